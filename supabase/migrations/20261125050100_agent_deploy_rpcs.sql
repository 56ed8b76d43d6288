-- ============================================================================
-- Entry points into agent deployment for people: the owner's wizard (deploy-agent function) and
-- operators (admin-agents function). Each is one transaction that saves what it was given and
-- requests the deployment; the agent-deployer worker does the Retell side afterwards.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Owner: the wizard's deploy step
-- ---------------------------------------------------------------------------

create function public.deploy_my_agent(
  business_name text,
  area_code text,
  industry text,
  business_hours jsonb default null,
  transfer_number text default null,
  agent_tone text default null,
  schedule_summary text default null,
  standard_fee numeric default null,
  emergency_fee numeric default null
) returns public.agents
language plpgsql
security definer
set search_path = ''
as $$
declare
  me uuid := private.effective_user_id();
begin
  if me is null then
    raise exception 'sign in to deploy an agent' using errcode = '42501';
  end if;
  -- Same lock order as the worker and the Stripe webhook (agents, then profiles): no deadlocks.
  perform 1 from public.agents a where a.user_id = me for update;
  -- Only the business fields an owner may edit anyway; null keeps the saved value.
  update public.profiles p
  set business_name = deploy_my_agent.business_name,
      area_code = deploy_my_agent.area_code,
      industry = deploy_my_agent.industry,
      business_hours = coalesce(deploy_my_agent.business_hours, p.business_hours),
      transfer_number = coalesce(deploy_my_agent.transfer_number::public.phone_e164, p.transfer_number),
      agent_tone = coalesce(deploy_my_agent.agent_tone, p.agent_tone),
      schedule_summary = coalesce(deploy_my_agent.schedule_summary, p.schedule_summary),
      standard_fee = coalesce(deploy_my_agent.standard_fee, p.standard_fee),
      emergency_fee = coalesce(deploy_my_agent.emergency_fee, p.emergency_fee)
  where p.id = me;
  if not found then
    raise exception 'no profile for user %', me using errcode = 'P0002';
  end if;
  return private.request_agent_deployment(me, 'wizard', null);
end
$$;
comment on function public.deploy_my_agent(text, text, text, jsonb, text, text, text, numeric, numeric) is
  'The wizard''s deploy step for the signed-in owner (or the user an admin impersonates): saves the business details and requests the deployment, in one transaction. Returns the deployment row; it waits (waiting_for) until consent and payment are in.';
revoke execute on function public.deploy_my_agent(text, text, text, jsonb, text, text, text, numeric, numeric) from public, anon;
grant execute on function public.deploy_my_agent(text, text, text, jsonb, text, text, text, numeric, numeric) to authenticated;

-- ---------------------------------------------------------------------------
-- Operators
-- ---------------------------------------------------------------------------

create function public.admin_request_agent_deployment(target_user_id uuid, agent_model text default null)
returns public.agents
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.assert_admin();
  if not exists (select 1 from auth.users u where u.id = target_user_id) then
    raise exception 'no user %', target_user_id using errcode = 'P0002';
  end if;
  -- The request's own audit row names the admin as the actor and 'admin' as the source.
  return private.request_agent_deployment(target_user_id, 'admin', agent_model);
end
$$;
comment on function public.admin_request_agent_deployment(uuid, text) is
  'Admin: deploys (or retries the failed deployment of) a business''s agent. agent_model dedicated = the legacy clone path: an agent of its own built from the master''s template; null keeps the current model (shared for a new deployment).';

create function public.admin_quick_onboard(
  email text,
  business_name text,
  industry text,
  area_code text,
  plan text,
  consent_confirmed boolean,
  full_name text default null,
  business_phone text default null,
  transfer_number text default null,
  time_zone text default null,
  business_hours jsonb default null,
  schedule_summary text default null,
  agent_tone text default null,
  standard_fee numeric default null,
  emergency_fee numeric default null
) returns public.agents
language plpgsql
security definer
set search_path = ''
as $$
declare
  address text := lower(trim(admin_quick_onboard.email));
  accepted_version text := private.setting('consent_version') #>> '{}';
  onboarded uuid;
begin
  perform private.assert_admin();
  if consent_confirmed is not true then
    raise exception 'confirm that the customer accepted the terms (consent_confirmed)' using errcode = '22023';
  end if;
  if exists (select 1 from auth.users u where lower(u.email) = address) then
    raise exception 'a user with email % already exists', address using errcode = '23505';
  end if;

  -- The user signs in later with a magic link or a password reset to this address.
  insert into auth.users (instance_id, aud, role, email, email_confirmed_at, raw_app_meta_data, raw_user_meta_data)
  values ('00000000-0000-0000-0000-000000000000', 'authenticated', 'authenticated', address, now(),
          '{"provider": "email", "providers": ["email"]}',
          jsonb_strip_nulls(jsonb_build_object('full_name', admin_quick_onboard.full_name)))
  returning id into onboarded;

  -- The profile row comes from the auth.users trigger.
  update public.profiles p
  set business_name = admin_quick_onboard.business_name,
      industry = admin_quick_onboard.industry,
      area_code = admin_quick_onboard.area_code,
      business_phone = admin_quick_onboard.business_phone::public.phone_e164,
      transfer_number = admin_quick_onboard.transfer_number::public.phone_e164,
      time_zone = coalesce(admin_quick_onboard.time_zone, p.time_zone),
      business_hours = coalesce(admin_quick_onboard.business_hours, p.business_hours),
      schedule_summary = admin_quick_onboard.schedule_summary,
      agent_tone = coalesce(admin_quick_onboard.agent_tone, p.agent_tone),
      standard_fee = admin_quick_onboard.standard_fee,
      emergency_fee = admin_quick_onboard.emergency_fee,
      consent_version = accepted_version,
      consent_accepted_at = now()
  where p.id = onboarded;
  insert into public.consent_logs (user_id, consent_version, ip, user_agent)
  values (onboarded, accepted_version, private.client_ip(), 'admin quick onboard');

  -- Billed outside Stripe (no Stripe ids): an operator-managed subscription.
  insert into public.subscriptions (user_id, plan, status, current_period_start, current_period_end)
  values (onboarded, admin_quick_onboard.plan, 'active', now(), now() + interval '1 month');
  perform private.sync_usage_limits(onboarded);

  perform private.write_audit('admin.quick_onboard', onboarded,
    jsonb_build_object('email', address, 'plan', admin_quick_onboard.plan, 'consent_version', accepted_version),
    'profiles', onboarded::text);
  return private.request_agent_deployment(onboarded, 'quick_onboard', 'dedicated');
end
$$;
comment on function public.admin_quick_onboard(text, text, text, text, text, boolean, text, text, text, text, jsonb, text, text, numeric, numeric) is
  'Admin: creates a business in one transaction (auth user, profile, consent the admin confirms, an active subscription without Stripe, usage limits) and requests a dedicated agent (Model B) for it. Returns the deployment row.';

create function public.admin_dedicated_agent(target_user_id uuid)
returns public.agents
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  deployment public.agents;
begin
  perform private.assert_admin();
  select * into deployment from public.agents a where a.user_id = target_user_id;
  if deployment.id is null or deployment.deploy_status <> 'active' then
    raise exception 'user % has no active agent', target_user_id using errcode = '55000';
  end if;
  if deployment.model <> 'dedicated' then
    raise exception 'user % answers with the industry''s shared master agent; change the master in Retell instead', target_user_id
      using errcode = '55000';
  end if;
  return deployment;
end
$$;
comment on function public.admin_dedicated_agent(uuid) is 'Admin: the active dedicated agent of a business, which update-agent may change; refuses shared (master) agents.';

create function public.admin_record_agent_version(
  target_user_id uuid, agent_id text, agent_version integer, changed_fields text[]
) returns public.agents
language plpgsql
security definer
set search_path = ''
as $$
declare
  updated public.agents;
begin
  perform private.assert_admin();
  update public.agents a
  set retell_agent_version = admin_record_agent_version.agent_version
  where a.user_id = target_user_id and a.retell_agent_id = admin_record_agent_version.agent_id
    and a.deploy_status = 'active'
  returning * into updated;
  if updated.id is null then
    raise exception 'user % has no active agent %', target_user_id, agent_id using errcode = '55000';
  end if;
  perform private.write_audit('agent.updated', target_user_id,
    jsonb_build_object('retell_agent_id', agent_id, 'retell_agent_version', agent_version,
                       'retell_llm_id', updated.retell_llm_id, 'phone_number', updated.phone_number, 'changed', changed_fields),
    'agents', updated.id::text);
  return updated;
end
$$;
comment on function public.admin_record_agent_version(uuid, text, integer, text[]) is 'Admin (update-agent): records the newly published version a dedicated agent''s number now answers with.';

revoke execute on function
  public.admin_request_agent_deployment(uuid, text),
  public.admin_quick_onboard(text, text, text, text, text, boolean, text, text, text, text, jsonb, text, text, numeric, numeric),
  public.admin_dedicated_agent(uuid),
  public.admin_record_agent_version(uuid, text, integer, text[])
from public, anon;
grant execute on function
  public.admin_request_agent_deployment(uuid, text),
  public.admin_quick_onboard(text, text, text, text, text, boolean, text, text, text, text, jsonb, text, text, numeric, numeric),
  public.admin_dedicated_agent(uuid),
  public.admin_record_agent_version(uuid, text, integer, text[])
to authenticated;
