-- ============================================================================
-- Every error an RPC raises on purpose reaches the caller as a 4xx with a stable code. PostgREST
-- answers SQLSTATE P0002 (no_data_found) and class 55 (object_not_in_prerequisite_state) with 500,
-- so "not found" and "not in a state that allows this" are raised as PT404 and PT409: PostgREST
-- answers a PTxyz SQLSTATE with HTTP status xyz and the code "PTxyz" (PostgREST 12, "Errors",
-- RAISE errors with HTTP status codes). The functions are otherwise unchanged;
-- supabase/tests/rls/rpc_error_statuses.test.sql keeps every raise away from a 5xx.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Not found: PT404
-- ---------------------------------------------------------------------------

create or replace function public.appointment_for_change(appointment_id uuid, action text)
returns table(id uuid, user_id uuid, status text, start_at timestamp with time zone, end_at timestamp with time zone, time_zone text, calcom_booking_uid text)
language plpgsql
security definer
set search_path = ''
as $$
declare
  owner uuid := private.effective_user_id();
  impersonated uuid := private.impersonated_user_id();
begin
  if action is null or action not in ('reschedule', 'cancel') then
    raise exception 'action must be reschedule or cancel' using errcode = '22023';
  end if;
  return query
    select a.id, a.user_id, a.status, a.start_at, a.end_at, a.time_zone, a.calcom_booking_uid
    from public.appointments a
    where a.id = appointment_id and a.user_id = owner;
  if not found then
    raise exception 'no appointment % of yours', appointment_id using errcode = 'PT404';
  end if;
  -- The change itself is written by the function with the service role, where the impersonation
  -- trigger cannot see the admin: record it here, as the admin, for the user.
  if impersonated is not null then
    perform private.write_audit('impersonation.appointment_' || action, impersonated,
      jsonb_build_object('session_id', private.request_header('x-impersonation-session')), 'appointments', appointment_id::text);
  end if;
end
$$;

create or replace function public.admin_start_impersonation(target_user_id uuid, reason text, minutes integer default 30)
returns public.impersonation_sessions
language plpgsql
security definer
set search_path = ''
as $$
declare
  started public.impersonation_sessions;
begin
  perform private.assert_admin();
  if minutes not between 1 and 240 then
    raise exception 'minutes must be between 1 and 240' using errcode = '22023';
  end if;
  if not exists (select 1 from auth.users where id = target_user_id) then
    raise exception 'no user %', target_user_id using errcode = 'PT404';
  end if;
  -- One active impersonation per admin: starting a new one ends the previous.
  update public.impersonation_sessions set ended_at = now()
  where admin_user_id = auth.uid() and ended_at is null;
  insert into public.impersonation_sessions (admin_user_id, target_user_id, reason, expires_at)
  values (auth.uid(), target_user_id, reason, now() + make_interval(mins => minutes))
  returning * into started;
  perform private.write_audit('impersonation.start', target_user_id,
    jsonb_build_object('session_id', started.id, 'reason', reason, 'expires_at', started.expires_at),
    'impersonation_sessions', started.id::text);
  return started;
end
$$;

create or replace function public.admin_request_agent_deployment(target_user_id uuid, agent_model text default null)
returns public.agents
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.assert_admin();
  if not exists (select 1 from auth.users u where u.id = target_user_id) then
    raise exception 'no user %', target_user_id using errcode = 'PT404';
  end if;
  -- The request's own audit row names the admin as the actor and 'admin' as the source.
  return private.request_agent_deployment(target_user_id, 'admin', agent_model);
end
$$;

create or replace function public.deploy_my_agent(business_name text, area_code text, industry text, business_hours jsonb default null, transfer_number text default null, agent_tone text default null, schedule_summary text default null, standard_fee numeric default null, emergency_fee numeric default null)
returns public.agents
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
  -- The agents row first, even for a first deployment: create it (the request below gives it its
  -- real state in this same transaction) and hold it before saving the profile.
  insert into public.agents (user_id, deploy_status) values (me, 'waiting_for_profile') on conflict (user_id) do nothing;
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
    raise exception 'no profile for user %', me using errcode = 'PT404';
  end if;
  return private.request_agent_deployment(me, 'wizard', null);
end
$$;

-- ---------------------------------------------------------------------------
-- Not in a state that allows it (an agent that is not active, a lease lost): PT409
-- ---------------------------------------------------------------------------

create or replace function private.request_agent_deployment(target_user uuid, source text, agent_model text)
returns public.agents
language plpgsql
security definer
set search_path = ''
as $$
declare
  missing text[] := private.deployment_blockers(target_user);
  existing public.agents;
  deployment public.agents;
  restarted boolean;
begin
  if agent_model is not null and agent_model not in ('shared', 'dedicated') then
    raise exception 'agent model must be shared or dedicated, not %', agent_model using errcode = '22023';
  end if;
  select * into existing from public.agents a where a.user_id = target_user for update;
  if existing.id is not null and agent_model is not null and agent_model <> existing.model
     and existing.deploy_status not in ('waiting_for_profile', 'failed') then
    raise exception 'the % agent of this business is %, so it cannot become %', existing.model, existing.deploy_status, agent_model
      using errcode = 'PT409';
  end if;

  -- New, waiting and failed deployments (re)start; pending, provisioning and active ones are left as
  -- they are, so redelivered events and double clicks change nothing.
  insert into public.agents as a (user_id, model, deploy_status, waiting_for, deploy_source, deploy_requested_at)
  values (target_user, coalesce(agent_model, 'shared'),
          case when cardinality(missing) = 0 then 'pending' else 'waiting_for_profile' end,
          missing, source, now())
  on conflict (user_id) do update set
    model = coalesce(agent_model, a.model),
    deploy_status = excluded.deploy_status,
    waiting_for = excluded.waiting_for,
    deploy_source = excluded.deploy_source,
    deploy_requested_at = excluded.deploy_requested_at,
    deploy_attempts = 0,
    next_attempt_at = now(),
    deploy_error_code = null,
    deploy_error_detail = null,
    area_codes_tried = '{}'
  where a.deploy_status in ('waiting_for_profile', 'failed')
  returning * into deployment;

  restarted := deployment.id is not null;
  if not restarted then
    deployment := existing;
  end if;
  perform private.write_audit('agent.deploy_requested', target_user,
    jsonb_build_object('source', source, 'model', deployment.model, 'status', deployment.deploy_status,
                       'waiting_for', deployment.waiting_for, 'started', restarted),
    'agents', deployment.id::text);
  if deployment.deploy_status = 'pending' then
    perform private.kick_agent_deployer(target_user);
  end if;
  return deployment;
end
$$;

create or replace function private.assert_deployment_lease(target_user uuid, lease uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform 1 from public.agents a
  where a.user_id = target_user and a.lease_id = lease and a.deploy_status = 'provisioning'
  for update;
  if not found then
    raise exception 'the lease % on the deployment of % is no longer held', lease, target_user using errcode = 'PT409';
  end if;
end
$$;

create or replace function public.admin_dedicated_agent(target_user_id uuid)
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
    raise exception 'user % has no active agent', target_user_id using errcode = 'PT409';
  end if;
  if deployment.model <> 'dedicated' then
    raise exception 'user % answers with the industry''s shared master agent; change the master in Retell instead', target_user_id
      using errcode = 'PT409';
  end if;
  return deployment;
end
$$;

create or replace function public.admin_record_agent_version(target_user_id uuid, agent_id text, agent_version integer, changed_fields text[])
returns public.agents
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
    raise exception 'user % has no active agent %', target_user_id, agent_id using errcode = 'PT409';
  end if;
  perform private.write_audit('agent.updated', target_user_id,
    jsonb_build_object('retell_agent_id', agent_id, 'retell_agent_version', agent_version,
                       'retell_llm_id', updated.retell_llm_id, 'phone_number', updated.phone_number, 'changed', changed_fields),
    'agents', updated.id::text);
  return updated;
end
$$;
