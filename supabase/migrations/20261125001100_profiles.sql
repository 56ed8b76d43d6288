-- ============================================================================
-- Profiles: one per auth user, holding the business the receptionist answers for. The owner edits
-- the business fields; deployment and consent fields are written by functions only.
-- ============================================================================

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
  referral_code text not null unique default upper(substr(md5(gen_random_uuid()::text), 1, 8)),
  consent_version text,
  consent_accepted_at timestamptz,
  deploy_error text,
  last_activity_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.profiles is 'The business behind each account: what the voice agent says about it, and its onboarding state.';
comment on column public.profiles.area_code is 'US area code the business wants its number in; provisioning falls back to nearby codes.';
comment on column public.profiles.business_hours is 'Opening hours by weekday, e.g. {"mon": ["08:00", "17:00"]}.';
comment on column public.profiles.deploy_error is 'Code of the last deployment failure a frontend can show (e.g. AREA_CODE_UNAVAILABLE); null when none.';
comment on column public.profiles.consent_version is 'Consent version the owner accepted (see consent_logs); written by record_consent() only.';

create trigger profiles_set_updated_at before update on public.profiles
  for each row execute function private.set_updated_at();

alter table public.profiles enable row level security;

create policy "Users read their own profile"
  on public.profiles for select to authenticated
  using (id = (select private.effective_user_id()));

create policy "Admins read every profile"
  on public.profiles for select to authenticated
  using ((select private.acting_as_admin()));

create policy "Users update their own profile"
  on public.profiles for update to authenticated
  using (id = (select private.effective_user_id()))
  with check (id = (select private.effective_user_id()));

-- Owners may change only the business fields; consent, deployment state and referral code are
-- written by functions.
revoke insert, update, delete, truncate on public.profiles from anon, authenticated;
grant update (
  full_name, business_name, industry, business_phone, area_code, time_zone, business_hours,
  schedule_summary, transfer_number, agent_tone, standard_fee, emergency_fee, notify_email, notify_sms
) on public.profiles to authenticated;

create trigger profiles_audit_impersonated_write after update on public.profiles
  for each row execute function private.audit_impersonated_write();

-- ---------------------------------------------------------------------------
-- A profile for every new auth user, as a Supabase app does
-- ---------------------------------------------------------------------------

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

create trigger on_auth_user_created after insert on auth.users
  for each row execute function private.create_profile_for_new_user();
