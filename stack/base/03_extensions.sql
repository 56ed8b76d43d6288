-- Extensions a hosted project has before our migrations run, created by the superuser as the
-- platform does (there, `postgres` enables them through supautils' privileged list; here the
-- migrations' `create extension if not exists` finds them in place). The schemas they live in are
-- owned by supabase_admin, so a migration cannot create its own objects in cron, net or vault.
create schema if not exists extensions;
grant usage, create on schema extensions to postgres;
grant usage on schema extensions to anon, authenticated, service_role;

create extension if not exists pgcrypto with schema extensions;
create extension if not exists "uuid-ossp" with schema extensions;
-- For the test command only: pgTAP for supabase/tests, plpgsql_check for `supabase db lint`.
create extension if not exists pgtap with schema extensions;
create extension if not exists plpgsql_check with schema extensions;

-- pg_cron: postgres schedules jobs and reads their history, as on hosted.
create extension if not exists pg_cron with schema pg_catalog;
grant usage on schema cron to postgres with grant option;
grant all on all tables in schema cron to postgres with grant option;
grant all on all sequences in schema cron to postgres with grant option;

-- pg_net and Vault: the local stand-ins (stack/extensions), with hosted's grants inside them.
create extension if not exists pg_net with schema extensions;
create extension if not exists supabase_vault;
