-- ============================================================================
-- Foundation: extensions, the private schema and its default privileges, app settings, admins,
-- impersonation and the audit trail, the ops tables every area writes to (ops alerts, inbound webhook
-- ids, error logs, rate limits), the same-owner reference guard, private.call_function (the one way
-- SQL calls an Edge Function) and the cron job registry. Every later area depends on this file.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Extensions, schemas and default privileges
-- ---------------------------------------------------------------------------

-- Extensions the product relies on: pg_cron for schedules, pg_net for calls to Edge Functions from
-- SQL (triggers and cron jobs), pgcrypto for random tokens and digests.
create extension if not exists pg_cron with schema pg_catalog;

create extension if not exists pg_net with schema extensions;

create extension if not exists pgcrypto with schema extensions;

grant usage on schema cron to postgres;

-- Private schema: helpers that policies and RPCs call, never exposed through the API.
-- Admins, app settings, impersonation and the audit trail live here because every other
-- table's policies depend on them.
create schema if not exists private;

revoke all on schema private from public;

grant usage on schema private to anon, authenticated, service_role;

alter default privileges in schema private revoke execute on functions from public;

-- Functions in public are granted explicitly, role by role.
alter default privileges in schema public revoke execute on functions from public;

alter default privileges in schema public revoke execute on functions from anon, authenticated;

-- Data API grants, role by role. Hosted Supabase no longer grants new tables in public to anon,
-- authenticated and service_role (changelog 45329); what is left of its default privileges
-- (truncate, references, trigger on tables; update on sequences) no API role needs, and Postgres
-- makes every new function executable by PUBLIC whatever the schema's default privileges say. So
-- each table, view, sequence and function in these migrations starts from "revoke all" and grants
-- each role exactly what it uses: RLS decides which rows, the grants whether the verb is allowed at
-- all. supabase/tests/rls/table_grants.test.sql holds the whole table matrix.
--   anon           the public catalog (plans, top-up products), and health_check, public_settings,
--                  tracking_session_by_token
--   authenticated  reads every table that has a read policy; writes only where a policy allows it
--                  (column-level where only some columns are the owner's)
--   service_role   only what Edge Functions do to tables directly; everything else through
--                  security definer RPCs

-- ---------------------------------------------------------------------------
-- Types
-- ---------------------------------------------------------------------------

-- Shared column types and triggers
create domain public.phone_e164 as text
  check (value ~ '^\+[1-9][0-9]{6,14}$');
comment on domain public.phone_e164 is 'A phone number in E.164 form, e.g. +14155550123.';

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

-- App settings (single key/value store; read by SQL, changed by admins)
create table public.app_settings (
  key text primary key check (key ~ '^[a-z][a-z0-9_]*$'),
  value jsonb not null,
  description text not null default '',
  updated_at timestamptz not null default now()
);
comment on table public.app_settings is 'Operational settings: wizard maintenance mode, consent version, admin access code hash, admin IP allowlist.';
alter table public.app_settings enable row level security;
revoke all on public.app_settings from anon, authenticated, service_role;

-- Admins: who is an admin is data, matched on the confirmed email of the caller's account
create table private.admin_emails (
  email text primary key check (email = lower(email) and email like '%@%'),
  created_at timestamptz not null default now()
);
comment on table private.admin_emails is 'Emails of operators (the old ADMIN_EMAIL list). Only SQL with the postgres role changes it.';

-- Audit trail
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
alter table public.audit_logs enable row level security;
revoke all on public.audit_logs from anon, authenticated, service_role;
grant select on public.audit_logs to authenticated;
revoke all on sequence public.audit_logs_id_seq from anon, authenticated, service_role;

-- Impersonation: an admin acts as a user, for a limited time, in requests that ask for it with
-- the header x-impersonation-session: <session id>
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
alter table public.impersonation_sessions enable row level security;
revoke all on public.impersonation_sessions from anon, authenticated, service_role;
grant select on public.impersonation_sessions to authenticated;

create table public.ops_alerts (
  id uuid primary key default gen_random_uuid(),
  kind text not null check (kind ~ '^[a-z][a-z0-9_]*$'),
  severity text not null default 'warning' check (severity in ('info', 'warning', 'critical')),
  message text not null,
  user_id uuid references auth.users (id) on delete cascade,
  details jsonb not null default '{}'::jsonb,
  dedupe_key text,
  created_at timestamptz not null default now(),
  resolved_at timestamptz
);
comment on table public.ops_alerts is 'Problems an operator must look at (payment failures, unattributed bookings, failed deployments).';
alter table public.ops_alerts enable row level security;
revoke all on public.ops_alerts from anon, authenticated, service_role;
grant select on public.ops_alerts to authenticated;

create table public.error_logs (
  id bigint generated always as identity primary key,
  source text not null,
  message text not null,
  user_id uuid references auth.users (id) on delete set null,
  request_id text,
  context jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);
comment on table public.error_logs is 'Errors functions could not surface to a caller (e.g. the database briefly unreachable during a call).';
alter table public.error_logs enable row level security;
revoke all on public.error_logs from anon, authenticated, service_role;
grant select on public.error_logs to authenticated;
grant insert on public.error_logs to service_role;
revoke all on sequence public.error_logs_id_seq from anon, authenticated, service_role;

create table public.inbound_webhook_events (
  provider text not null check (provider in ('stripe', 'retell', 'calcom', 'twilio')),
  event_id text not null,
  event_type text not null,
  received_at timestamptz not null default now(),
  processed_at timestamptz,
  primary key (provider, event_id)
);
comment on table public.inbound_webhook_events is 'Every provider event id we accepted, recorded before acting, so a redelivery does nothing twice.';
alter table public.inbound_webhook_events enable row level security;
revoke all on public.inbound_webhook_events from anon, authenticated, service_role;

create table public.rate_limit_counters (
  bucket text not null,
  window_start timestamptz not null,
  hits integer not null default 0,
  primary key (bucket, window_start)
);
comment on table public.rate_limit_counters is 'Fixed-window request counters shared by every function instance.';
alter table public.rate_limit_counters enable row level security;
revoke all on public.rate_limit_counters from anon, authenticated, service_role;

-- Every pg_cron job of the project in one registry, scheduled by one idempotent setup and run by
-- one runner. The registry is the list README and supabase/tests/ops/cron_jobs.test.sql hold; the
-- runner makes a job that is still running when its next start comes do nothing (pg_cron would
-- otherwise start it again beside itself); cron-watch reads the registry's max_gap to tell a run
-- that should have happened and did not (pg_cron never catches up after a restart).
create table private.cron_jobs (
  name text primary key check (name ~ '^[a-z][a-z0-9-]*$'),
  schedule text not null,
  command text not null,
  max_gap interval not null check (max_gap > interval '0'),
  description text not null,
  registered_at timestamptz not null default now()
);
comment on table private.cron_jobs is 'The project''s pg_cron jobs: schedule, the SQL each run executes, and the longest gap between runs before cron-watch calls a run missed.';

-- ---------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------

create index audit_logs_actor_user_id_idx on public.audit_logs (actor_user_id, created_at desc);
create index audit_logs_on_behalf_of_user_id_idx on public.audit_logs (on_behalf_of_user_id, created_at desc);
create index impersonation_sessions_admin_user_id_idx on public.impersonation_sessions (admin_user_id) where ended_at is null;
create index impersonation_sessions_target_user_id_idx on public.impersonation_sessions (target_user_id);
create unique index ops_alerts_open_dedupe_key on public.ops_alerts (dedupe_key) where resolved_at is null;
create index ops_alerts_user_id_idx on public.ops_alerts (user_id);
create index ops_alerts_open_idx on public.ops_alerts (created_at desc) where resolved_at is null;
create index error_logs_created_at_idx on public.error_logs (created_at desc);
create index error_logs_user_id_idx on public.error_logs (user_id);
create index rate_limit_counters_window_start_idx on public.rate_limit_counters (window_start);

-- ---------------------------------------------------------------------------
-- Functions
-- ---------------------------------------------------------------------------

-- Health check used by the `health` function and monitoring: proves PostgREST reaches the database.
create function public.health_check()
returns boolean
language sql
stable
set search_path = ''
as $$ select true $$;
comment on function public.health_check() is 'Returns true when the database answers; called by the health function.';
revoke all on function public.health_check() from public, anon, authenticated, service_role;
grant execute on function public.health_check() to anon, authenticated, service_role;

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
revoke all on function private.set_updated_at() from public, anon, authenticated, service_role;
grant execute on function private.set_updated_at() to public, anon, authenticated, service_role;

create function private.setting(setting_key text)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$ select value from public.app_settings where key = setting_key $$;
comment on function private.setting(text) is 'The value of one app setting, or null.';
revoke all on function private.setting(text) from public, anon, authenticated, service_role;
grant execute on function private.setting(text) to public, anon, authenticated, service_role;

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
revoke all on function private.is_admin() from public, anon, authenticated, service_role;
grant execute on function private.is_admin() to public, anon, authenticated, service_role;

create function private.request_header(name text)
returns text
language sql
stable
set search_path = ''
as $$ select nullif(current_setting('request.headers', true), '')::jsonb ->> lower(name) $$;
comment on function private.request_header(text) is 'A header of the current PostgREST request, or null outside one.';
revoke all on function private.request_header(text) from public, anon, authenticated, service_role;
grant execute on function private.request_header(text) to public, anon, authenticated, service_role;

-- The admin IP allowlist must read an address the client cannot choose. The first hop in front of
-- PostgREST sets these headers: on hosted Supabase, Cloudflare's cf-connecting-ip; locally, the
-- gateway's x-real-ip. x-forwarded-for's first entry is what the client claims, so it comes last.
create function private.client_ip()
returns inet
language sql
stable
set search_path = ''
as $$
  select coalesce(
    nullif(trim(private.request_header('cf-connecting-ip')), ''),
    nullif(trim(private.request_header('x-real-ip')), ''),
    nullif(trim(split_part(private.request_header('x-forwarded-for'), ',', 1)), '')
  )::inet
$$;
comment on function private.client_ip() is 'The client''s address as the first trusted hop reports it (cf-connecting-ip, x-real-ip, then x-forwarded-for).';
revoke all on function private.client_ip() from public, anon, authenticated, service_role;
grant execute on function private.client_ip() to public, anon, authenticated, service_role;

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
revoke all on function private.admin_gate_open() from public, anon, authenticated, service_role;
grant execute on function private.admin_gate_open() to public, anon, authenticated, service_role;

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
revoke all on function private.write_audit(text, uuid, jsonb, text, text) from public, anon, authenticated, service_role;
grant execute on function private.write_audit(text, uuid, jsonb, text, text) to public, anon, authenticated, service_role;

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
revoke all on function private.impersonated_user_id() from public, anon, authenticated, service_role;
grant execute on function private.impersonated_user_id() to public, anon, authenticated, service_role;

create function private.effective_user_id()
returns uuid
language sql
stable
security definer
set search_path = ''
as $$ select coalesce(private.impersonated_user_id(), auth.uid()) $$;
comment on function private.effective_user_id() is 'Whose data this request sees: the impersonated user, or the caller. Policies call it as (select private.effective_user_id()).';
revoke all on function private.effective_user_id() from public, anon, authenticated, service_role;
grant execute on function private.effective_user_id() to public, anon, authenticated, service_role;

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
revoke all on function private.acting_as_admin() from public, anon, authenticated, service_role;
grant execute on function private.acting_as_admin() to public, anon, authenticated, service_role;

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
revoke all on function private.audit_impersonated_write() from public, anon, authenticated, service_role;
grant execute on function private.audit_impersonated_write() to public, anon, authenticated, service_role;

-- Rate limiting shared by all function instances
create function public.consume_rate_limit(bucket text, max_hits integer, window_seconds integer)
returns table (allowed boolean, retry_after_seconds integer)
language sql
volatile
security definer
set search_path = ''
as $$
  with window_bounds as (
    select to_timestamp(floor(extract(epoch from now()) / window_seconds) * window_seconds) as started
  ),
  counted as (
    insert into public.rate_limit_counters as c (bucket, window_start, hits)
    select consume_rate_limit.bucket, started, 1 from window_bounds
    on conflict (bucket, window_start) do update set hits = c.hits + 1
    returning c.hits, c.window_start
  )
  select
    hits <= max_hits,
    case when hits <= max_hits then 0
         else greatest(1, ceil(extract(epoch from window_start + make_interval(secs => window_seconds) - now()))::integer)
    end
  from counted
$$;
comment on function public.consume_rate_limit(text, integer, integer) is 'Counts one hit against a bucket in a fixed window; says whether it is allowed and, if not, when to retry.';
revoke all on function public.consume_rate_limit(text, integer, integer) from public, anon, authenticated, service_role;
grant execute on function public.consume_rate_limit(text, integer, integer) to service_role;

create function private.prune_rate_limit_counters()
returns integer
language sql
set search_path = ''
as $$
  with pruned as (delete from public.rate_limit_counters where window_start < now() - interval '1 day' returning 1)
  select count(*)::integer from pruned
$$;
comment on function private.prune_rate_limit_counters() is 'Deletes counters of windows older than a day; run hourly by cron.';

-- Admin RPCs. Each checks the caller is an admin who passes the access code and IP allowlist, acts,
-- and writes an audit_logs row. Admins read other tables through their "Admins read ..." policies.
create function private.assert_admin()
returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if not private.is_admin() then
    raise exception 'admin only' using errcode = '42501';
  end if;
  if not private.admin_gate_open() then
    raise exception 'admin access code or IP address not accepted' using errcode = '42501';
  end if;
end
$$;
comment on function private.assert_admin() is 'Raises 42501 unless the caller is an admin passing the access code and IP allowlist.';

-- A row never points at another business's row. Row Level Security checks who owns a new row, not
-- who owns the rows it references, so an owner could start a tracking session on another business's
-- appointment (and a random id answered "Key is not present", telling the caller which ids exist).
-- Every foreign key between two owner tables has a trigger that refuses a reference to a row of
-- another owner, before the foreign key itself is checked, with one error (23503, PostgREST: 409)
-- whether the row belongs to someone else or does not exist. A client's row must reference the
-- caller's own rows (the effective user, as the policies say); any other writer's, rows of the
-- same owner as the new row. supabase/tests/rls/same_owner_references.test.sql tries every such
-- foreign key, read from the catalog.
create function private.refuse_reference_to_other_owner()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  fk record;
  expected_owner uuid := case when current_user = 'authenticated' then private.effective_user_id() else new.user_id end;
  same_owner boolean;
begin
  select a.attname as child_column, p.relname as parent, pa.attname as parent_column into fk
  from pg_catalog.pg_constraint c
  join pg_catalog.pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
  join pg_catalog.pg_class p on p.oid = c.confrelid
  join pg_catalog.pg_attribute pa on pa.attrelid = c.confrelid and pa.attnum = c.confkey[1]
  where c.conrelid = tg_relid and c.conname = tg_argv[0];

  execute format(
    'select ($1).%1$I is null or exists (select 1 from public.%2$I p where p.%3$I = ($1).%1$I and p.user_id is not distinct from $2)',
    fk.child_column, fk.parent, fk.parent_column)
  into same_owner using new, expected_owner;
  if not same_owner then
    raise exception '%.% must name one of this business''s % rows', tg_table_name, fk.child_column, fk.parent
      using errcode = '23503';
  end if;
  return new;
end
$$;
comment on function private.refuse_reference_to_other_owner() is 'Trigger (argument: the foreign key''s name): refuses a row whose foreign key names a row of another owner, or no row, with the same 23503.';
revoke all on function private.refuse_reference_to_other_owner() from public, anon, authenticated, service_role;

-- Correctly signed webhook events we cannot apply (README, "Webhooks we receive"): the function
-- answers the provider 200, so it stops redelivering what would fail the same way every time, and
-- records the event here for an operator, once per body however often it is redelivered. The
-- record names the event (provider, ids it carried, the reason and the body's SHA-256 and size),
-- never the body itself, which may hold personal data or what Postgres cannot store.
create function public.record_rejected_webhook_event(provider text, reason_code text, reason text, body_sha256 text, details jsonb)
returns void
language sql
security definer
set search_path = ''
as $$
  insert into public.ops_alerts (kind, severity, message, details, dedupe_key)
  values ('webhook_event_rejected', 'warning',
          format('A signed %s event could not be applied (%s): %s', provider, reason_code, left(reason, 500)),
          coalesce(details, '{}'::jsonb) || jsonb_build_object('provider', provider, 'reason_code', reason_code,
                                                              'reason', left(reason, 2000), 'body_sha256', body_sha256),
          'webhook_event_rejected:' || provider || ':' || body_sha256)
  on conflict (dedupe_key) where resolved_at is null do nothing
$$;
comment on function public.record_rejected_webhook_event(text, text, text, text, jsonb) is
  'Records a correctly signed webhook event that cannot be applied as one open ops alert per provider and body (kind webhook_event_rejected); details: the ids the event carried, as far as they could be read.';
revoke all on function public.record_rejected_webhook_event(text, text, text, text, jsonb) from public, anon, authenticated, service_role;
grant execute on function public.record_rejected_webhook_event(text, text, text, text, jsonb) to service_role;

create function private.run_cron_job(job_name text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  job_command text := (select j.command from private.cron_jobs j where j.name = job_name);
begin
  if job_command is null then
    raise exception 'no cron job named %', job_name using errcode = '22023';
  end if;
  if not pg_try_advisory_xact_lock(hashtextextended('private.run_cron_job:' || job_name, 0)) then
    raise notice 'cron job % is still running from its previous start; this start does nothing', job_name;
    return;
  end if;
  execute job_command;
end
$$;
comment on function private.run_cron_job(text) is 'Runs one registered cron job, unless a previous start of it is still running.';
revoke all on function private.run_cron_job(text) from public, anon, authenticated, service_role;

create function private.setup_cron_jobs()
returns void
language sql
security definer
set search_path = ''
as $$
  -- Unschedule by name, then schedule again: running it twice leaves the same jobs.
  select cron.unschedule(c.jobid) from cron.job c where c.jobname in (select name from private.cron_jobs);
  select cron.schedule(j.name, j.schedule, format('select private.run_cron_job(%L)', j.name)) from private.cron_jobs j;
  update private.cron_jobs set registered_at = now();
$$;
comment on function private.setup_cron_jobs() is 'Schedules exactly the registered cron jobs, each through private.run_cron_job; idempotent.';
revoke all on function private.setup_cron_jobs() from public, anon, authenticated, service_role;

-- One way for SQL to call an Edge Function: pg_net, sent after commit, with the Vault's
-- service_role_key (a secret key, or the legacy service_role JWT) as both apikey and bearer, so
-- the functions' requireServiceRole accepts it under either key scheme. The agent-deployer and
-- webhook-dispatcher kicks both go through it, and a missing Vault secret never fails the
-- transaction that asked for the kick.
create function private.call_function(function_name text, body jsonb default '{}'::jsonb)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  project_url text;
  service_role_key text;
begin
  select max(s.decrypted_secret) filter (where s.name = 'project_url'),
         max(s.decrypted_secret) filter (where s.name = 'service_role_key')
  into project_url, service_role_key
  from vault.decrypted_secrets s
  where s.name in ('project_url', 'service_role_key');
  if project_url is null or service_role_key is null then
    raise warning '% not called: Vault secrets project_url and service_role_key are required', function_name;
    return null;
  end if;
  return net.http_post(
    url := project_url || '/functions/v1/' || function_name,
    body := body,
    headers := jsonb_build_object('Content-Type', 'application/json', 'apikey', service_role_key,
                                  'Authorization', 'Bearer ' || service_role_key),
    timeout_milliseconds := 5000
  );
end
$$;
comment on function private.call_function(text, jsonb) is 'Calls an Edge Function with the service role from SQL (pg_net, after commit); returns the pg_net request id, or null without the Vault secrets.';
revoke all on function private.call_function(text, jsonb) from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------

create policy "Admins read ops alerts" on public.ops_alerts for select to authenticated using ((select private.acting_as_admin()));

create policy "Admins read error logs" on public.error_logs for select to authenticated using ((select private.acting_as_admin()));

create policy "Admins read audit logs" on public.audit_logs for select to authenticated using ((select private.acting_as_admin()));

create policy "Admins read impersonation sessions" on public.impersonation_sessions for select to authenticated using ((select private.acting_as_admin()));

-- ---------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------

create trigger app_settings_set_updated_at before update on public.app_settings
  for each row execute function private.set_updated_at();

-- ---------------------------------------------------------------------------
-- Seed data
-- ---------------------------------------------------------------------------

-- No policies: clients read the public subset through public.public_settings().
insert into public.app_settings (key, value, description) values
  ('wizard_maintenance_mode', 'false', 'When true, the onboarding wizard is closed to non-admins.'),
  ('consent_version', '"v1"', 'The consent text version users must accept.'),
  ('admin_access_code_hash', 'null', 'bcrypt hash of the optional admin access code (header x-admin-access-code); null = not required.'),
  ('admin_ip_allowlist', '[]', 'CIDRs admins must call from; empty = any address.');
