-- ============================================================================
-- Private schema: helpers that policies and RPCs call, never exposed through the API.
-- Admins, app settings, impersonation and the audit trail live here because every other
-- table's policies depend on them.
-- ============================================================================

create schema if not exists private;
revoke all on schema private from public;
grant usage on schema private to anon, authenticated, service_role;
alter default privileges in schema private revoke execute on functions from public;

-- Functions in public are granted explicitly, role by role.
alter default privileges in schema public revoke execute on functions from public;
alter default privileges in schema public revoke execute on functions from anon, authenticated;

-- ---------------------------------------------------------------------------
-- Shared column types and triggers
-- ---------------------------------------------------------------------------

create domain public.phone_e164 as text
  check (value ~ '^\+[1-9][0-9]{6,14}$');
comment on domain public.phone_e164 is 'A phone number in E.164 form, e.g. +14155550123.';

create function private.set_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;
comment on function private.set_updated_at() is 'Trigger: keeps updated_at at the time of the last change.';

-- ---------------------------------------------------------------------------
-- App settings (single key/value store; read by SQL, changed by admins)
-- ---------------------------------------------------------------------------

create table public.app_settings (
  key text primary key check (key ~ '^[a-z][a-z0-9_]*$'),
  value jsonb not null,
  description text not null default '',
  updated_at timestamptz not null default now()
);
comment on table public.app_settings is 'Operational settings: wizard maintenance mode, consent version, admin access code hash, admin IP allowlist.';
create trigger app_settings_set_updated_at before update on public.app_settings
  for each row execute function private.set_updated_at();
alter table public.app_settings enable row level security;
-- No policies: clients read the public subset through public.public_settings().

insert into public.app_settings (key, value, description) values
  ('wizard_maintenance_mode', 'false', 'When true, the onboarding wizard is closed to non-admins.'),
  ('consent_version', '"v1"', 'The consent text version users must accept.'),
  ('admin_access_code_hash', 'null', 'bcrypt hash of the optional admin access code (header x-admin-access-code); null = not required.'),
  ('admin_ip_allowlist', '[]', 'CIDRs admins must call from; empty = any address.');

create function private.setting(setting_key text)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$ select value from public.app_settings where key = setting_key $$;
comment on function private.setting(text) is 'The value of one app setting, or null.';

-- ---------------------------------------------------------------------------
-- Admins: who is an admin is data, matched on the confirmed email of the caller's account
-- ---------------------------------------------------------------------------

create table private.admin_emails (
  email text primary key check (email = lower(email) and email like '%@%'),
  created_at timestamptz not null default now()
);
comment on table private.admin_emails is 'Emails of operators (the old ADMIN_EMAIL list). Only SQL with the postgres role changes it.';

create function private.is_admin()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1
    from auth.users u
    join private.admin_emails a on a.email = lower(u.email)
    where u.id = auth.uid() and u.email_confirmed_at is not null
  )
$$;
comment on function private.is_admin() is 'True when the signed-in user''s confirmed email is on the admin list.';

create function private.request_header(name text)
returns text
language sql
stable
set search_path = ''
as $$ select nullif(current_setting('request.headers', true), '')::jsonb ->> lower(name) $$;
comment on function private.request_header(text) is 'A header of the current PostgREST request, or null outside one.';

create function private.client_ip()
returns inet
language sql
stable
set search_path = ''
as $$
  select nullif(trim(split_part(private.request_header('x-forwarded-for'), ',', 1)), '')::inet
$$;
comment on function private.client_ip() is 'The address of the client, as the API gateway reports it.';

create function private.admin_gate_open()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select
    (
      private.setting('admin_access_code_hash') is null
      or jsonb_typeof(private.setting('admin_access_code_hash')) = 'null'
      or extensions.crypt(
           coalesce(private.request_header('x-admin-access-code'), ''),
           private.setting('admin_access_code_hash') #>> '{}'
         ) = private.setting('admin_access_code_hash') #>> '{}'
    )
    and (
      jsonb_array_length(coalesce(private.setting('admin_ip_allowlist'), '[]')) = 0
      or exists (
        select 1
        from jsonb_array_elements_text(private.setting('admin_ip_allowlist')) as allowed(cidr)
        where private.client_ip() <<= allowed.cidr::cidr
      )
    )
$$;
comment on function private.admin_gate_open() is 'True when the optional admin access code and IP allowlist are satisfied by the current request.';

-- ---------------------------------------------------------------------------
-- Audit trail
-- ---------------------------------------------------------------------------

create table public.audit_logs (
  id bigint generated always as identity primary key,
  actor_user_id uuid references auth.users (id) on delete set null,
  on_behalf_of_user_id uuid references auth.users (id) on delete set null,
  action text not null check (action ~ '^[a-z][a-z0-9_.]*$'),
  target_table text,
  target_id text,
  details jsonb not null default '{}'::jsonb,
  ip inet,
  created_at timestamptz not null default now()
);
comment on table public.audit_logs is 'Every admin action and every write made while impersonating, with who acted and for whom.';
comment on column public.audit_logs.on_behalf_of_user_id is 'The user an admin acted for (impersonation or an admin RPC).';
create index audit_logs_actor_user_id_idx on public.audit_logs (actor_user_id, created_at desc);
create index audit_logs_on_behalf_of_user_id_idx on public.audit_logs (on_behalf_of_user_id, created_at desc);
alter table public.audit_logs enable row level security;

create function private.write_audit(
  action text,
  on_behalf_of uuid default null,
  details jsonb default '{}'::jsonb,
  target_table text default null,
  target_id text default null
) returns void
language sql
security definer
set search_path = ''
as $$
  insert into public.audit_logs (actor_user_id, on_behalf_of_user_id, action, target_table, target_id, details, ip)
  values (auth.uid(), on_behalf_of, action, target_table, target_id, details, private.client_ip())
$$;
comment on function private.write_audit(text, uuid, jsonb, text, text) is 'Appends one audit_logs row for the current caller.';

-- ---------------------------------------------------------------------------
-- Impersonation: an admin acts as a user, for a limited time, in requests that ask for it with
-- the header x-impersonation-session: <session id>
-- ---------------------------------------------------------------------------

create table public.impersonation_sessions (
  id uuid primary key default gen_random_uuid(),
  admin_user_id uuid not null references auth.users (id) on delete cascade,
  target_user_id uuid not null references auth.users (id) on delete cascade,
  reason text not null check (length(trim(reason)) between 3 and 500),
  started_at timestamptz not null default now(),
  expires_at timestamptz not null,
  ended_at timestamptz,
  check (expires_at > started_at and expires_at <= started_at + interval '4 hours'),
  check (admin_user_id <> target_user_id)
);
comment on table public.impersonation_sessions is 'Time-limited support sessions in which an admin sees and changes exactly what one user would.';
create index impersonation_sessions_admin_user_id_idx on public.impersonation_sessions (admin_user_id) where ended_at is null;
create index impersonation_sessions_target_user_id_idx on public.impersonation_sessions (target_user_id);
alter table public.impersonation_sessions enable row level security;

create function private.impersonated_user_id()
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  requested text := private.request_header('x-impersonation-session');
  target uuid;
begin
  if requested is null then
    return null;
  end if;
  if requested !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    raise exception 'x-impersonation-session is not a session id' using errcode = '22023';
  end if;
  select s.target_user_id into target
  from public.impersonation_sessions s
  where s.id = requested::uuid
    and s.admin_user_id = auth.uid()
    and s.ended_at is null
    and s.expires_at > now();
  -- Asking to impersonate and silently acting as oneself would show an admin the wrong data.
  if target is null or not private.is_admin() or not private.admin_gate_open() then
    raise exception 'impersonation session % is not active for this admin', requested using errcode = '42501';
  end if;
  return target;
end
$$;
comment on function private.impersonated_user_id() is 'The user an admin is impersonating in this request, null when not asked; refuses an inactive session.';

create function private.effective_user_id()
returns uuid
language sql
stable
security definer
set search_path = ''
as $$ select coalesce(private.impersonated_user_id(), auth.uid()) $$;
comment on function private.effective_user_id() is 'Whose data this request sees: the impersonated user, or the caller. Policies call it as (select private.effective_user_id()).';

create function private.acting_as_admin()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select private.request_header('x-impersonation-session') is null
     and private.is_admin()
     and private.admin_gate_open()
$$;
comment on function private.acting_as_admin() is 'True for an admin who passes the gate and is not impersonating: may read across users.';

create function private.audit_impersonated_write()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  target uuid := private.impersonated_user_id();
  affected record := case when tg_op = 'DELETE' then old else new end;
begin
  if target is not null then
    perform private.write_audit(
      'impersonation.' || lower(tg_op),
      target,
      jsonb_build_object('session_id', private.request_header('x-impersonation-session')),
      tg_table_name,
      to_jsonb(affected) ->> 'id'
    );
  end if;
  return null;
end
$$;
comment on function private.audit_impersonated_write() is 'Trigger: records a write made while impersonating, attributed to the admin and the user.';

grant execute on all functions in schema private to anon, authenticated, service_role;
