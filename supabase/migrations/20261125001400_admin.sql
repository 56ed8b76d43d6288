-- ============================================================================
-- Admin: the operators' RPCs (impersonation, users, settings, alerts, referrals and payouts, quick
-- onboarding, the dialer queue). Each checks private.assert_admin() first.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

create table public.dialer_queue (
  id uuid primary key default gen_random_uuid(),
  phone public.phone_e164 not null,
  contact_name text,
  business_name text,
  status text not null default 'queued' check (status in ('queued', 'calling', 'done', 'failed', 'skipped')),
  attempts integer not null default 0 check (attempts >= 0),
  scheduled_at timestamptz not null default now(),
  notes text,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  outcome text check (outcome in ('interested', 'not_interested', 'callback', 'no_answer', 'voicemail', 'wrong_number', 'signed_up')),
  last_called_at timestamptz,
  constraint dialer_queue_contact_name_length check (length(contact_name) <= 200),
  constraint dialer_queue_business_name_length check (length(business_name) <= 200),
  constraint dialer_queue_notes_length check (length(notes) <= 2000)
);
comment on table public.dialer_queue is 'Operators'' outbound call list (sales and onboarding calls).';
comment on column public.dialer_queue.outcome is 'What the last call came to: interested, not_interested, callback, no_answer, voicemail, wrong_number, signed_up.';
comment on column public.dialer_queue.last_called_at is 'When the entry last moved to calling.';
alter table public.dialer_queue enable row level security;
revoke all on public.dialer_queue from anon, authenticated, service_role;
grant select on public.dialer_queue to authenticated;

-- ---------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------

create index dialer_queue_status_scheduled_at_idx on public.dialer_queue (status, scheduled_at);
create index dialer_queue_created_by_idx on public.dialer_queue (created_by);

-- ---------------------------------------------------------------------------
-- Functions
-- ---------------------------------------------------------------------------

-- Impersonation
create function public.admin_start_impersonation(target_user_id uuid, reason text, minutes integer default 30)
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
comment on function public.admin_start_impersonation(uuid, text, integer) is 'Starts a time-limited impersonation of a user; send its id as x-impersonation-session.';
revoke all on function public.admin_start_impersonation(uuid, text, integer) from public, anon, authenticated, service_role;
grant execute on function public.admin_start_impersonation(uuid, text, integer) to authenticated;

create function public.admin_end_impersonation(session_id uuid)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
  ended public.impersonation_sessions;
begin
  perform private.assert_admin();
  update public.impersonation_sessions set ended_at = now()
  where id = session_id and admin_user_id = auth.uid() and ended_at is null
  returning * into ended;
  if ended.id is null then
    return false;
  end if;
  perform private.write_audit('impersonation.end', ended.target_user_id,
    jsonb_build_object('session_id', session_id), 'impersonation_sessions', session_id::text);
  return true;
end
$$;
comment on function public.admin_end_impersonation(uuid) is 'Ends the caller''s impersonation session at once; false when it was not active.';
revoke all on function public.admin_end_impersonation(uuid) from public, anon, authenticated, service_role;
grant execute on function public.admin_end_impersonation(uuid) to authenticated;

-- Users and settings
create function public.admin_list_users(search text default null, max_rows integer default 50, skip_rows integer default 0)
returns table (
  user_id uuid, email text, business_name text, industry text, plan text, subscription_status text,
  deploy_status text, phone_number text, created_at timestamptz, is_admin boolean
)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.assert_admin();
  return query
    select u.id, u.email::text, p.business_name, p.industry, s.plan, s.status, a.deploy_status, a.phone_number::text,
           u.created_at, exists (select 1 from private.admin_emails e where e.email = lower(u.email))
    from auth.users u
    left join public.profiles p on p.id = u.id
    left join public.subscriptions s on s.user_id = u.id
    left join public.agents a on a.user_id = u.id
    where search is null or u.email ilike '%' || search || '%' or p.business_name ilike '%' || search || '%'
    order by u.created_at desc
    limit least(max_rows, 500) offset skip_rows;
end
$$;
comment on function public.admin_list_users(text, integer, integer) is 'Users with their business, plan and deployment, newest first, optionally filtered by email or business name.';
revoke all on function public.admin_list_users(text, integer, integer) from public, anon, authenticated, service_role;
grant execute on function public.admin_list_users(text, integer, integer) to authenticated;

create function public.admin_update_setting(setting_key text, setting_value jsonb)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.assert_admin();
  if setting_key = 'admin_access_code_hash' then
    raise exception 'use admin_set_access_code to change the access code' using errcode = '22023';
  end if;
  update public.app_settings set value = setting_value where key = setting_key;
  if not found then
    raise exception 'unknown setting %', setting_key using errcode = '22023';
  end if;
  perform private.write_audit('settings.update', null, jsonb_build_object('key', setting_key, 'value', setting_value), 'app_settings', setting_key);
end
$$;
comment on function public.admin_update_setting(text, jsonb) is 'Changes one app setting (wizard maintenance mode, consent version, IP allowlist).';
revoke all on function public.admin_update_setting(text, jsonb) from public, anon, authenticated, service_role;
grant execute on function public.admin_update_setting(text, jsonb) to authenticated;

create function public.admin_set_access_code(code text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.assert_admin();
  if code is not null and length(code) < 8 then
    raise exception 'the access code must have at least 8 characters' using errcode = '22023';
  end if;
  update public.app_settings
  set value = case when code is null then 'null'::jsonb else to_jsonb(extensions.crypt(code, extensions.gen_salt('bf'))) end
  where key = 'admin_access_code_hash';
  perform private.write_audit('settings.access_code', null, jsonb_build_object('required', code is not null));
end
$$;
comment on function public.admin_set_access_code(text) is 'Sets (or with null, removes) the access code admins must send as x-admin-access-code.';
revoke all on function public.admin_set_access_code(text) from public, anon, authenticated, service_role;
grant execute on function public.admin_set_access_code(text) to authenticated;

create function public.admin_resolve_ops_alert(alert_id uuid)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.assert_admin();
  update public.ops_alerts set resolved_at = now() where id = alert_id and resolved_at is null;
  if not found then
    return false;
  end if;
  perform private.write_audit('ops_alert.resolve', null, '{}'::jsonb, 'ops_alerts', alert_id::text);
  return true;
end
$$;
comment on function public.admin_resolve_ops_alert(uuid) is 'Marks an ops alert resolved.';
revoke all on function public.admin_resolve_ops_alert(uuid) from public, anon, authenticated, service_role;
grant execute on function public.admin_resolve_ops_alert(uuid) to authenticated;

-- Unchanged but for rejecting a referral whose business has not paid yet (e.g. a fraudulent one).
create function public.admin_decide_referral(referral_id uuid, decision text)
returns public.referrals
language plpgsql
security definer
set search_path = ''
as $$
declare
  decided public.referrals;
begin
  perform private.assert_admin();
  if decision not in ('approved', 'rejected', 'paid') then
    raise exception 'decision must be approved, rejected or paid' using errcode = '22023';
  end if;
  update public.referrals
  set status = decision,
      decided_at = case when decision = 'paid' then decided_at else now() end,
      decided_by = auth.uid(),
      paid_at = case when decision = 'paid' then now() end
  where id = referral_id
    and ((decision = 'approved' and status = 'pending')
         or (decision = 'rejected' and status in ('signed_up', 'pending'))
         or (decision = 'paid' and status = 'approved'))
  returning * into decided;
  if decided.id is null then
    raise exception 'referral % cannot move to %', referral_id, decision using errcode = '22023';
  end if;
  perform private.write_audit('referral.' || decision, decided.referrer_user_id, '{}'::jsonb, 'referrals', referral_id::text);
  return decided;
end
$$;
comment on function public.admin_decide_referral(uuid, text) is 'Approves a pending referral, rejects one not decided yet (signed_up or pending), or marks an approved one paid.';
revoke all on function public.admin_decide_referral(uuid, text) from public, anon, authenticated, service_role;
grant execute on function public.admin_decide_referral(uuid, text) to authenticated;

create function public.admin_decide_payout(payout_id uuid, decision text)
returns public.payout_requests
language plpgsql
security definer
set search_path = ''
as $$
declare
  decided public.payout_requests;
begin
  perform private.assert_admin();
  if decision not in ('approved', 'rejected', 'paid') then
    raise exception 'decision must be approved, rejected or paid' using errcode = '22023';
  end if;
  update public.payout_requests
  set status = decision,
      decided_at = case when decision = 'paid' then decided_at else now() end,
      decided_by = auth.uid(),
      paid_at = case when decision = 'paid' then now() end
  where id = payout_id
    and ((decision in ('approved', 'rejected') and status = 'requested') or (decision = 'paid' and status = 'approved'))
  returning * into decided;
  if decided.id is null then
    raise exception 'payout request % cannot move to %', payout_id, decision using errcode = '22023';
  end if;
  -- Paying out settles the rewards it covered.
  if decision = 'paid' then
    update public.referrals set status = 'paid', paid_at = now()
    where referrer_user_id = decided.user_id and status = 'approved';
  end if;
  perform private.write_audit('payout.' || decision, decided.user_id, jsonb_build_object('amount_cents', decided.amount_cents), 'payout_requests', payout_id::text);
  return decided;
end
$$;
comment on function public.admin_decide_payout(uuid, text) is 'Approves, rejects or marks paid a referral payout request.';
revoke all on function public.admin_decide_payout(uuid, text) from public, anon, authenticated, service_role;
grant execute on function public.admin_decide_payout(uuid, text) to authenticated;

-- Before the account exists: may this admin onboard this email on this plan?
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
revoke all on function public.admin_check_quick_onboard(text, text) from public, anon, authenticated, service_role;
grant execute on function public.admin_check_quick_onboard(text, text) to authenticated;

-- The business of a freshly invited account, in one transaction
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
revoke all on function public.admin_quick_onboard(uuid, text, text, text, text, boolean, text, text, text, jsonb, text, text, numeric, numeric) from public, anon, authenticated, service_role;
grant execute on function public.admin_quick_onboard(uuid, text, text, text, text, boolean, text, text, text, jsonb, text, text, numeric, numeric) to authenticated;

create function public.admin_add_dialer_entry(phone text, contact_name text default null, business_name text default null, notes text default null, scheduled_at timestamptz default null)
returns public.dialer_queue
language plpgsql
security definer
set search_path = ''
as $$
declare
  added public.dialer_queue;
begin
  perform private.assert_admin();
  if phone is null or phone !~ '^\+[1-9][0-9]{6,14}$' then
    raise exception 'phone must be in E.164 form, e.g. +14155550123' using errcode = '22023';
  end if;
  insert into public.dialer_queue (phone, contact_name, business_name, notes, scheduled_at, created_by)
  values (phone, nullif(trim(contact_name), ''), nullif(trim(business_name), ''), nullif(trim(notes), ''),
          coalesce(scheduled_at, now()), auth.uid())
  returning * into added;
  perform private.write_audit('dialer.add', null, jsonb_build_object('phone', added.phone, 'business_name', added.business_name),
    'dialer_queue', added.id::text);
  return added;
end
$$;
comment on function public.admin_add_dialer_entry(text, text, text, text, timestamptz) is 'Adds a number (E.164) to the operators'' outbound call list; audited.';
revoke all on function public.admin_add_dialer_entry(text, text, text, text, timestamptz) from public, anon, authenticated, service_role;
grant execute on function public.admin_add_dialer_entry(text, text, text, text, timestamptz) to authenticated;

create function public.admin_update_dialer_entry(entry_id uuid, status text default null, notes text default null, outcome text default null, scheduled_at timestamptz default null)
returns public.dialer_queue
language plpgsql
security definer
set search_path = ''
as $$
declare
  before public.dialer_queue;
  after public.dialer_queue;
begin
  perform private.assert_admin();
  if status is not null and status not in ('queued', 'calling', 'done', 'failed', 'skipped') then
    raise exception 'status must be queued, calling, done, failed or skipped' using errcode = '22023';
  end if;
  select * into before from public.dialer_queue q where q.id = entry_id for update;
  if before.id is null then
    raise exception 'no dialer queue entry %', entry_id using errcode = 'PT404';
  end if;
  -- Null keeps a value; each move to calling counts as an attempt.
  update public.dialer_queue q
  set status = coalesce(admin_update_dialer_entry.status, q.status),
      notes = coalesce(admin_update_dialer_entry.notes, q.notes),
      outcome = coalesce(admin_update_dialer_entry.outcome, q.outcome),
      scheduled_at = coalesce(admin_update_dialer_entry.scheduled_at, q.scheduled_at),
      attempts = q.attempts + case when admin_update_dialer_entry.status = 'calling' then 1 else 0 end,
      last_called_at = case when admin_update_dialer_entry.status = 'calling' then now() else q.last_called_at end
  where q.id = entry_id
  returning * into after;
  perform private.write_audit('dialer.update', null,
    jsonb_build_object('before', jsonb_build_object('status', before.status, 'outcome', before.outcome, 'notes', before.notes, 'scheduled_at', before.scheduled_at),
                       'after', jsonb_build_object('status', after.status, 'outcome', after.outcome, 'notes', after.notes, 'scheduled_at', after.scheduled_at)),
    'dialer_queue', entry_id::text);
  return after;
end
$$;
comment on function public.admin_update_dialer_entry(uuid, text, text, text, timestamptz) is 'Changes a dialer queue entry''s status, notes, outcome or time to call (null keeps a value; calling counts an attempt); audited with before and after.';
revoke all on function public.admin_update_dialer_entry(uuid, text, text, text, timestamptz) from public, anon, authenticated, service_role;
grant execute on function public.admin_update_dialer_entry(uuid, text, text, text, timestamptz) to authenticated;

create function public.admin_remove_dialer_entry(entry_id uuid)
returns public.dialer_queue
language plpgsql
security definer
set search_path = ''
as $$
declare
  removed public.dialer_queue;
begin
  perform private.assert_admin();
  delete from public.dialer_queue q where q.id = entry_id returning * into removed;
  if removed.id is null then
    raise exception 'no dialer queue entry %', entry_id using errcode = 'PT404';
  end if;
  perform private.write_audit('dialer.remove', null, to_jsonb(removed), 'dialer_queue', entry_id::text);
  return removed;
end
$$;
comment on function public.admin_remove_dialer_entry(uuid) is 'Removes an entry from the dialer queue; the audit row keeps what it held.';
revoke all on function public.admin_remove_dialer_entry(uuid) from public, anon, authenticated, service_role;
grant execute on function public.admin_remove_dialer_entry(uuid) to authenticated;

-- ---------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------

create policy "Admins read the dialer queue" on public.dialer_queue for select to authenticated using ((select private.acting_as_admin()));

-- ---------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------

create trigger dialer_queue_set_updated_at before update on public.dialer_queue for each row execute function private.set_updated_at();
