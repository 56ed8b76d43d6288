-- The database and its public schema as a hosted project has them: owned by `postgres`, usable by
-- the API roles, and with "Default privileges for new entities" turned off (the default for every
-- project since 2026-10-30, Supabase changelog 45329). These are the statements hosted runs: the
-- image's grants of everything, then the Dashboard's revoke of data access, so a table a migration
-- creates is invisible to anon, authenticated and service_role until the migration grants it.
do $$ begin execute format('alter database %I owner to postgres', current_database()); end $$;
do $$ begin execute format('alter database %I set search_path = "$user", public, extensions', current_database()); end $$;

grant usage on schema public to anon, authenticated, service_role;

alter default privileges for role postgres in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on sequences to anon, authenticated, service_role;

alter default privileges for role postgres in schema public
  revoke select, insert, update, delete on tables from anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  revoke usage, select on sequences from anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  revoke execute on functions from anon, authenticated, service_role;
