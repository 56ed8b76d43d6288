-- The roles of a hosted Supabase project, as its image creates them (supabase/postgres init scripts
-- and migrations). Applied by the stack's own superuser, `supabase_admin`, before any migration.
-- Roles belong to the whole cluster, so this file is idempotent: a scratch database on the same
-- server (benchmarks) applies the base again.
do $$
begin
  -- The migration role. On hosted it is not a superuser: it creates what migrations create, but
  -- extensions only through the platform's list, and nothing in auth, cron, net or vault.
  if not exists (select from pg_roles where rolname = 'postgres') then
    create role postgres login createdb createrole replication bypassrls password 'postgres';
  end if;
  -- The API roles PostgREST switches to. They inherit on hosted since 2023.
  if not exists (select from pg_roles where rolname = 'anon') then
    create role anon nologin inherit;
  end if;
  if not exists (select from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin inherit;
  end if;
  if not exists (select from pg_roles where rolname = 'service_role') then
    create role service_role nologin inherit bypassrls;
  end if;
  if not exists (select from pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit password 'postgres';
  end if;
  -- Owns the tables and functions of the auth schema, as Supabase Auth's migrations leave them.
  if not exists (select from pg_roles where rolname = 'supabase_auth_admin') then
    create role supabase_auth_admin login noinherit createrole;
  end if;
end
$$;

grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to postgres;

-- Hosted's role-level timeouts: a request as anon is cancelled after 3 s, as authenticated after
-- 8 s; PostgREST's own connection waits at most 8 s for a statement or a lock.
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
alter role authenticator set lock_timeout = '8s';
alter role postgres set search_path = "$user", public, extensions;
-- Auth's connection works in its own schema, as on hosted.
alter role supabase_auth_admin set search_path = auth;
