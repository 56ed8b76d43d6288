-- ============================================================================
-- Wizard maintenance mode, enforced. With the app setting wizard_maintenance_mode on, a non-admin's
-- wizard and deployment requests are refused with SQLSTATE PT423: PostgREST answers it with HTTP
-- 423 and code "PT423", and the functions (deploy-agent, create-checkout-session) answer 423 with
-- code "maintenance_mode". Admins (by their confirmed email, also while impersonating) bypass it,
-- so operators can still onboard and fix businesses. Paths not started by the owner (Stripe events,
-- admin RPCs, the deployment worker) are not part of the wizard and keep working.
-- ============================================================================

create function private.assert_wizard_open()
returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if coalesce((private.setting('wizard_maintenance_mode'))::boolean, false) and not private.is_admin() then
    raise exception 'the setup wizard is closed for maintenance; try again later'
      using errcode = 'PT423', hint = 'maintenance_mode';
  end if;
end
$$;
comment on function private.assert_wizard_open() is 'Raises PT423 (HTTP 423) when wizard maintenance mode is on and the caller is not an admin.';

-- The wizard's check for the functions that do not go through deploy_my_agent (checkout).
create function public.assert_wizard_open()
returns void
language sql
stable
security definer
set search_path = ''
as $$ select private.assert_wizard_open() $$;
comment on function public.assert_wizard_open() is 'Raises PT423 (HTTP 423) when wizard maintenance mode is on and the caller is not an admin; returns nothing otherwise.';
revoke all on function public.assert_wizard_open() from public, anon, authenticated;
grant execute on function public.assert_wizard_open() to authenticated;

-- ---------------------------------------------------------------------------
-- deploy_my_agent: unchanged but for the check, before anything is written
-- ---------------------------------------------------------------------------

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
  perform private.assert_wizard_open();
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
