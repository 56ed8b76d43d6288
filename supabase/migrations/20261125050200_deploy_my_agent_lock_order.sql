-- ============================================================================
-- deploy_my_agent takes its locks in the order every deployment path uses: the agents row, then
-- the profile. Before, a first deployment (no agents row yet) saved the profile first, and two
-- concurrent wizard requests of one owner could deadlock (one holding the profile and waiting for
-- the new agents row, the other the reverse).
-- ============================================================================

create or replace function public.deploy_my_agent(
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
    raise exception 'no profile for user %', me using errcode = 'P0002';
  end if;
  return private.request_agent_deployment(me, 'wizard', null);
end
$$;
comment on function public.deploy_my_agent(text, text, text, jsonb, text, text, text, numeric, numeric) is
  'The wizard''s deploy step for the signed-in owner (or the user an admin impersonates): saves the business details and requests the deployment, in one transaction. Returns the deployment row; it waits (waiting_for) until consent and payment are in.';
