-- ============================================================================
-- Consent: every acceptance of the terms (recording and SMS consent), by version. Owners record
-- consent through record_consent(), which also stamps their profile.
-- ============================================================================

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
create index consent_logs_user_id_idx on public.consent_logs (user_id, accepted_at desc);

alter table public.consent_logs enable row level security;
create policy "Users read their own consents" on public.consent_logs for select to authenticated
  using (user_id = (select private.effective_user_id()));
create policy "Admins read every consent" on public.consent_logs for select to authenticated
  using ((select private.acting_as_admin()));
revoke insert, update, delete, truncate on public.consent_logs from anon, authenticated;

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
grant execute on function public.record_consent(text, text) to authenticated;
