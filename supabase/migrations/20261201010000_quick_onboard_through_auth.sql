-- ============================================================================
-- Quick onboard creates the owner's account through the Auth admin API, never by inserting into
-- auth.users: a row made by SQL lacks the columns and the identity Auth needs, and Auth then fails
-- to sign that user in ("converting NULL to string is unsupported", supabase/auth issue 1940). The
-- admin-agents function now checks the request here, invites the user through Auth, and hands the
-- new account to admin_quick_onboard, which does the rest in one transaction (or the function
-- deletes the account again).
-- ============================================================================

drop function public.admin_quick_onboard(text, text, text, text, text, boolean, text, text, text, text, jsonb, text, text, numeric, numeric);

-- ---------------------------------------------------------------------------
-- Before the account exists: may this admin onboard this email on this plan?
-- ---------------------------------------------------------------------------

create function public.admin_check_quick_onboard(email text, plan text)
returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.assert_admin();
  if exists (select 1 from auth.users u where lower(u.email) = lower(trim(admin_check_quick_onboard.email))) then
    raise exception 'a user with email % already exists', lower(trim(admin_check_quick_onboard.email)) using errcode = '23505';
  end if;
  if not exists (select 1 from public.plans p where p.id = admin_check_quick_onboard.plan) then
    raise exception 'no plan %', admin_check_quick_onboard.plan using errcode = '22023';
  end if;
end
$$;
comment on function public.admin_check_quick_onboard(text, text) is
  'Admin: refuses a quick onboard before its account is created (caller not an admin, email taken, unknown plan).';

-- ---------------------------------------------------------------------------
-- The business of a freshly invited account, in one transaction
-- ---------------------------------------------------------------------------

create function public.admin_quick_onboard(
  target_user_id uuid,
  business_name text,
  industry text,
  area_code text,
  plan text,
  consent_confirmed boolean,
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
  accepted_version text := private.setting('consent_version') #>> '{}';
  address text;
begin
  perform private.assert_admin();
  if consent_confirmed is not true then
    raise exception 'confirm that the customer accepted the terms (consent_confirmed)' using errcode = '22023';
  end if;
  -- Only an account Auth just invited, which nobody has used yet, becomes a quick-onboarded business.
  select u.email into address from auth.users u
  where u.id = target_user_id and u.invited_at is not null and u.last_sign_in_at is null
    and not exists (select 1 from public.subscriptions s where s.user_id = u.id);
  if address is null then
    raise exception 'user % is not a newly invited account', target_user_id using errcode = '22023';
  end if;

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
  where p.id = target_user_id;
  insert into public.consent_logs (user_id, consent_version, ip, user_agent)
  values (target_user_id, accepted_version, private.client_ip(), 'admin quick onboard');

  -- Billed outside Stripe (no Stripe ids): an operator-managed subscription.
  insert into public.subscriptions (user_id, plan, status, current_period_start, current_period_end)
  values (target_user_id, admin_quick_onboard.plan, 'active', now(), now() + interval '1 month');
  perform private.sync_usage_limits(target_user_id);

  perform private.write_audit('admin.quick_onboard', target_user_id,
    jsonb_build_object('email', address, 'plan', admin_quick_onboard.plan, 'consent_version', accepted_version),
    'profiles', target_user_id::text);
  return private.request_agent_deployment(target_user_id, 'quick_onboard', 'dedicated');
end
$$;
comment on function public.admin_quick_onboard(uuid, text, text, text, text, boolean, text, text, text, jsonb, text, text, numeric, numeric) is
  'Admin: makes a newly invited Auth account a business in one transaction (profile, consent the admin confirms, an active subscription without Stripe, usage limits) and requests a dedicated agent (Model B) for it. Returns the deployment row.';

revoke execute on function
  public.admin_check_quick_onboard(text, text),
  public.admin_quick_onboard(uuid, text, text, text, text, boolean, text, text, text, jsonb, text, text, numeric, numeric)
from public, anon;
grant execute on function
  public.admin_check_quick_onboard(text, text),
  public.admin_quick_onboard(uuid, text, text, text, text, boolean, text, text, text, jsonb, text, text, numeric, numeric)
to authenticated;
