-- ============================================================================
-- Profiles and consent: one profile per auth user (created by a trigger on auth.users), the
-- onboarding wizard's gate, consent records, the owner's self-service RPCs, and the integrations
-- table where connected accounts (Cal.com) are kept.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

-- Profiles: one per auth user, holding the business the receptionist answers for. The owner edits
-- the business fields; deployment and consent fields are written by functions only.
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  email text,
  full_name text check (length(full_name) <= 200),
  business_name text check (length(trim(business_name)) between 1 and 200),
  industry text check (industry in ('hvac', 'plumbing')),
  business_phone public.phone_e164,
  area_code text check (area_code ~ '^[2-9][0-9]{2}$'),
  time_zone text not null default 'America/New_York' check (time_zone ~ '^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$'),
  business_hours jsonb not null default '{}'::jsonb check (jsonb_typeof(business_hours) = 'object'),
  schedule_summary text check (length(schedule_summary) <= 500),
  transfer_number public.phone_e164,
  agent_tone text not null default 'friendly' check (agent_tone in ('friendly', 'professional', 'calm', 'energetic')),
  standard_fee numeric(10, 2) check (standard_fee >= 0),
  emergency_fee numeric(10, 2) check (emergency_fee >= 0),
  notify_email boolean not null default true,
  notify_sms boolean not null default false,
  referral_code text not null unique default upper(substr(md5(gen_random_uuid()::text), 1, 12)),
  consent_version text,
  consent_accepted_at timestamptz,
  deploy_error text,
  last_activity_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  sms_booking_confirmations boolean not null default true,
  text_back_enabled boolean not null default true,
  text_back_message text check (length(btrim(text_back_message)) between 1 and 320)
);
comment on table public.profiles is 'The business behind each account: what the voice agent says about it, and its onboarding state.';
comment on column public.profiles.area_code is 'US area code the business wants its number in; provisioning falls back to nearby codes.';
comment on column public.profiles.business_hours is 'Opening hours by weekday, e.g. {"mon": ["08:00", "17:00"]}.';
comment on column public.profiles.deploy_error is 'Code of the last deployment failure a frontend can show (e.g. AREA_CODE_UNAVAILABLE); null when none.';
comment on column public.profiles.consent_version is 'Consent version the owner accepted (see consent_logs); written by record_consent() only.';
comment on column public.profiles.sms_booking_confirmations is 'Whether a caller the voice agent booked gets a confirmation text (the owner''s choice; on by default).';
comment on column public.profiles.text_back_enabled is 'Whether callers the business could not fully serve get a text back (missed-call text-back).';
comment on column public.profiles.text_back_message is 'The owner''s own text-back (up to 320 characters); null: the default text, which names the business and its booking link.';
alter table public.profiles enable row level security;
revoke all on public.profiles from anon, authenticated, service_role;
grant select on public.profiles to authenticated;
grant update (schedule_summary, transfer_number, agent_tone, standard_fee, emergency_fee, notify_email, notify_sms, sms_booking_confirmations, text_back_enabled, text_back_message, full_name, business_name, industry, business_phone, area_code, time_zone, business_hours) on public.profiles to authenticated;

-- Integrations: a business's connection to Cal.com. OAuth tokens are stored encrypted by the
-- functions (AES-256-GCM) and are not even selectable by the owner: column privileges leave them out.
create table public.integrations (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  provider text not null check (provider in ('calcom')),
  status text not null default 'connected' check (status in ('connected', 'needs_reauth', 'disconnected')),
  external_user_id text,
  external_username text,
  external_email text,
  time_zone text,
  default_event_type_id bigint,
  booking_url text check (booking_url ~ '^https?://'),
  scopes text[] not null default '{}',
  access_token_encrypted text,
  refresh_token_encrypted text,
  token_key_id text,
  token_expires_at timestamptz,
  connected_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (user_id, provider),
  token_refresh_claimed_until timestamptz
);
comment on table public.integrations is 'Connections to outside tools (Cal.com). Tokens are encrypted and never readable by clients.';
comment on column public.integrations.token_key_id is 'Which encryption key sealed the tokens, so keys can rotate.';
comment on column public.integrations.token_refresh_claimed_until is 'Set while one function instance refreshes the tokens; others wait for its result instead of refreshing too.';
alter table public.integrations enable row level security;
revoke all on public.integrations from anon, authenticated, service_role;
grant select, delete on public.integrations to service_role;
grant select (id, booking_url, scopes, token_expires_at, connected_at, created_at, updated_at, user_id, provider, status, external_user_id, external_username, external_email, time_zone, default_event_type_id) on public.integrations to authenticated;

-- Consent: every acceptance of the terms (recording and SMS consent), by version. Owners record
-- consent through record_consent(), which also stamps their profile.
create table public.consent_logs (
  id bigint generated always as identity primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  consent_version text not null check (length(consent_version) between 1 and 40),
  consent_type text not null default 'terms_and_recording' check (consent_type in ('terms_and_recording', 'sms_marketing')),
  ip inet,
  user_agent text,
  accepted_at timestamptz not null default now()
);
comment on table public.consent_logs is 'Append-only record of consents accepted, with version, address and browser.';
alter table public.consent_logs enable row level security;
revoke all on public.consent_logs from anon, authenticated, service_role;
grant select on public.consent_logs to authenticated;
revoke all on sequence public.consent_logs_id_seq from anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------

create index integrations_provider_external_user_id_idx on public.integrations (provider, external_user_id);
create index integrations_provider_external_username_idx on public.integrations (provider, lower(external_username));
create index consent_logs_user_id_idx on public.consent_logs (user_id, accepted_at desc);
-- Storing a connection
create index integrations_provider_external_email_idx on public.integrations (provider, lower(external_email));
create index profiles_lower_email_idx on public.profiles (lower(email));

-- ---------------------------------------------------------------------------
-- Functions
-- ---------------------------------------------------------------------------

-- A profile for every new auth user, as a Supabase app does
create function private.create_profile_for_new_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.profiles (id, email, full_name)
  values (new.id, new.email, nullif(new.raw_user_meta_data ->> 'full_name', ''))
  on conflict (id) do nothing;
  return new;
end
$$;
comment on function private.create_profile_for_new_user() is 'Trigger on auth.users: creates the user''s profile row.';

create function public.record_consent(version text, kind text default 'terms_and_recording')
returns public.consent_logs
language plpgsql
security definer
set search_path = ''
as $$
declare
  me uuid := private.effective_user_id();
  current_version text := private.setting('consent_version') #>> '{}';
  logged public.consent_logs;
begin
  if me is null then
    raise exception 'sign in to record consent' using errcode = '42501';
  end if;
  if version is distinct from current_version then
    raise exception 'consent version % is not the current version %', version, current_version using errcode = '22023';
  end if;
  insert into public.consent_logs (user_id, consent_version, consent_type, ip, user_agent)
  values (me, version, kind, private.client_ip(), private.request_header('user-agent'))
  returning * into logged;
  if kind = 'terms_and_recording' then
    update public.profiles set consent_version = version, consent_accepted_at = logged.accepted_at where id = me;
  end if;
  if me is distinct from auth.uid() then
    perform private.write_audit('impersonation.consent_recorded', me, jsonb_build_object('version', version));
  end if;
  return logged;
end
$$;
comment on function public.record_consent(text, text) is 'Records that the signed-in owner accepted the current consent version.';
revoke all on function public.record_consent(text, text) from public, anon, authenticated, service_role;
grant execute on function public.record_consent(text, text) to authenticated;

-- Self-service RPCs for signed-in owners, covering what the old routes did beyond plain table
-- access: app settings the frontend needs, sign-in sessions, customer history, payout requests.
-- All act for the effective user (the caller, or the user an admin impersonates).
create function public.public_settings()
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'wizard_maintenance_mode', coalesce((private.setting('wizard_maintenance_mode'))::boolean, false),
    'consent_version', private.setting('consent_version') #>> '{}',
    'is_admin', private.is_admin()
  )
$$;
comment on function public.public_settings() is 'Settings the frontend needs: wizard maintenance mode, current consent version, whether the caller is an admin.';
revoke all on function public.public_settings() from public, anon, authenticated, service_role;
grant execute on function public.public_settings() to anon, authenticated;

-- Sessions (over auth.sessions)
create function public.my_sessions()
returns table (id uuid, created_at timestamptz, updated_at timestamptz, user_agent text, ip inet, is_current boolean)
language sql
stable
security definer
set search_path = ''
as $$
  select s.id, s.created_at, s.updated_at, s.user_agent, s.ip,
         s.id::text = (auth.jwt() ->> 'session_id') as is_current
  from auth.sessions s
  where s.user_id = private.effective_user_id()
  order by s.created_at desc
$$;
comment on function public.my_sessions() is 'The signed-in sessions of the effective user, newest first, marking the caller''s own.';
revoke all on function public.my_sessions() from public, anon, authenticated, service_role;
grant execute on function public.my_sessions() to authenticated;

create function public.revoke_session(session_id uuid)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
  me uuid := private.effective_user_id();
  revoked boolean;
begin
  delete from auth.sessions where id = session_id and user_id = me;
  revoked := found;
  if revoked and me is distinct from auth.uid() then
    perform private.write_audit('impersonation.session_revoked', me, jsonb_build_object('session_id', session_id));
  end if;
  return revoked;
end
$$;
comment on function public.revoke_session(uuid) is 'Signs out one session of the effective user; false when no such session is theirs.';
revoke all on function public.revoke_session(uuid) from public, anon, authenticated, service_role;
grant execute on function public.revoke_session(uuid) to authenticated;

create function public.revoke_other_sessions()
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  me uuid := private.effective_user_id();
  revoked integer;
begin
  delete from auth.sessions
  where user_id = me and id::text is distinct from (auth.jwt() ->> 'session_id');
  get diagnostics revoked = row_count;
  if me is distinct from auth.uid() then
    perform private.write_audit('impersonation.sessions_revoked', me, jsonb_build_object('count', revoked));
  end if;
  return revoked;
end
$$;
comment on function public.revoke_other_sessions() is 'Signs out every session of the effective user except the caller''s own; returns how many.';
revoke all on function public.revoke_other_sessions() from public, anon, authenticated, service_role;
grant execute on function public.revoke_other_sessions() to authenticated;

-- Wizard maintenance mode, enforced. With the app setting wizard_maintenance_mode on, a non-admin's
-- wizard and deployment requests are refused with SQLSTATE PT423: PostgREST answers it with HTTP
-- 423 and code "PT423", and the functions (deploy-agent, create-checkout-session) answer 423 with
-- code "maintenance_mode". Admins (by their confirmed email, also while impersonating) bypass it,
-- so operators can still onboard and fix businesses. Paths not started by the owner (Stripe events,
-- admin RPCs, the deployment worker) are not part of the wizard and keep working.
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
revoke all on function public.assert_wizard_open() from public, anon, authenticated, service_role;
grant execute on function public.assert_wizard_open() to authenticated;

-- profiles.email follows the confirmed Auth email. The sign-up trigger copies the email once; this
-- trigger copies it again whenever Auth's email of the user changes or gets confirmed, so admin
-- lists and emails to owners never use a stale address. An email that is not confirmed yet (an
-- unconfirmed account whose address an admin changed) is not copied until it is: GoTrue keeps a
-- pending change in auth.users.email_change and writes auth.users.email only on confirmation.
create function private.sync_profile_email()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.email_confirmed_at is not null then
    update public.profiles set email = new.email where id = new.id and email is distinct from new.email;
  end if;
  return new;
end
$$;
comment on function private.sync_profile_email() is 'Trigger on auth.users: copies a changed or newly confirmed email into the user''s profile.';

-- ---------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------

create policy "Users update their own profile"
  on public.profiles for update to authenticated
  using (id = (select private.effective_user_id()))
  with check (id = (select private.effective_user_id()));

create policy "Users read their own consents, admins every one" on public.consent_logs for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

create policy "Users read their own integrations, admins every one" on public.integrations for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

create policy "Users read their own profile, admins every one" on public.profiles for select to authenticated
  using (id = (select private.effective_user_id()) or (select private.acting_as_admin()));

-- ---------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------

create trigger profiles_set_updated_at before update on public.profiles
  for each row execute function private.set_updated_at();

create trigger profiles_audit_impersonated_write after update on public.profiles
  for each row execute function private.audit_impersonated_write();

create trigger on_auth_user_created after insert on auth.users
  for each row execute function private.create_profile_for_new_user();

create trigger integrations_set_updated_at before update on public.integrations for each row execute function private.set_updated_at();

create trigger on_auth_user_email_changed
  after update of email, email_confirmed_at on auth.users
  for each row
  when (new.email is distinct from old.email or new.email_confirmed_at is distinct from old.email_confirmed_at)
  execute function private.sync_profile_email();
