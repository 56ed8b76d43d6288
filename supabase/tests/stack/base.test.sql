-- The Supabase-compatible base the migrations rely on behaves as on hosted Supabase, and is never
-- more permissive than it: each check below fails if the local stack regresses on that point.
begin;
select plan(22);

select has_extension('pg_cron', 'pg_cron is installed');
select has_function('net', 'http_post', array['text', 'jsonb', 'jsonb', 'jsonb', 'integer'], 'net.http_post has pg_net''s signature');
select has_role('anon');
select has_role('service_role');

set local request.jwt.claims = '{"sub": "00000000-0000-0000-0000-000000000001", "role": "authenticated", "email": "a@example.com"}';
select is(auth.uid(), '00000000-0000-0000-0000-000000000001'::uuid, 'auth.uid() reads the sub claim');
select is(auth.role(), 'authenticated', 'auth.role() reads the role claim');
select is(auth.jwt() ->> 'email', 'a@example.com', 'auth.jwt() returns the claims');

select ok(net.http_post('http://127.0.0.1:1/never', '{}'::jsonb) > 0, 'net.http_post queues a request and returns its id');

-- ---------------------------------------------------------------------------
-- Roles as on hosted
-- ---------------------------------------------------------------------------

select is((select rolsuper from pg_catalog.pg_roles where rolname = current_user), false,
  'the tests (and migrations) run as postgres, which is not a superuser');
select is((select array_agg(rolname::text order by rolname) from pg_catalog.pg_roles
           where rolname in ('anon', 'authenticated', 'service_role') and rolinherit),
  array['anon', 'authenticated', 'service_role'], 'the API roles inherit');
select is((select array_agg(r.rolname || ' ' || s.setting order by r.rolname, s.setting)
           from pg_catalog.pg_db_role_setting d
           join pg_catalog.pg_roles r on r.oid = d.setrole
           cross join unnest(d.setconfig) as s(setting)
           where r.rolname in ('anon', 'authenticated', 'authenticator') and s.setting ~ '_timeout='),
  array['anon statement_timeout=3s', 'authenticated statement_timeout=8s', 'authenticator lock_timeout=8s', 'authenticator statement_timeout=8s'],
  'requests are cancelled after 3 s as anon, 8 s as authenticated, and wait at most 8 s for a lock');

-- ---------------------------------------------------------------------------
-- Schemas the platform owns
-- ---------------------------------------------------------------------------

select is((select array_agg(nspname::text order by nspname) from pg_catalog.pg_namespace
           where nspname in ('auth', 'cron', 'net', 'vault') and has_schema_privilege('postgres', oid, 'CREATE')),
  null, 'postgres cannot create objects in auth, cron, net or vault');
select throws_ok($$ create table auth.not_ours (id int) $$, '42501', null, 'a migration creating a table in auth fails, as on hosted');
select throws_ok($$ create function vault.not_ours() returns int language sql as 'select 1' $$, '42501', null, 'nor can it add a function to vault');
select lives_ok($$ create table public.refers_to_auth (user_id uuid references auth.users (id)) $$,
  'a foreign key to auth.users is allowed');
select lives_ok($$ create trigger on_user_for_test after insert on auth.users for each row execute function suppress_redundant_updates_trigger() $$,
  'and so is a trigger on auth.users');
select is((select array_agg(e.extname::text || ' ' || n.nspname::text order by e.extname) from pg_catalog.pg_extension e
           join pg_catalog.pg_namespace n on n.oid = e.extnamespace where e.extname in ('pg_net', 'supabase_vault')),
  array['pg_net extensions', 'supabase_vault vault'], 'pg_net lives in extensions and Vault in vault, not in public');
select is_empty($$ select extname from pg_catalog.pg_extension where extnamespace = 'public'::regnamespace $$,
  'no extension is installed in public');
select ok(has_function_privilege('authenticated', 'net.http_post(text, jsonb, jsonb, jsonb, integer)', 'execute')
          and not has_function_privilege('authenticated', 'vault.create_secret(text, text, text)', 'execute')
          and not has_table_privilege('service_role', 'vault.decrypted_secrets', 'select'),
  'pg_net and Vault grant what hosted grants: net.http_post to the API roles, secrets to postgres only');

-- ---------------------------------------------------------------------------
-- No default Data API privileges: a new table is invisible until granted
-- ---------------------------------------------------------------------------

create table public.new_without_grants (id int);
create function public.new_function_without_grants() returns int language sql as 'select 1';
select is_empty(
  $$ select r.role || ' ' || p.privilege from (values ('anon'), ('authenticated'), ('service_role')) as r(role)
     cross join (values ('select'), ('insert'), ('update'), ('delete')) as p(privilege)
     where has_table_privilege(r.role, 'public.new_without_grants', p.privilege) $$,
  'a table a migration creates is not readable or writable by any API role until it grants it');
select is_empty(
  $$ select a.privilege_type from pg_catalog.pg_proc f cross join lateral aclexplode(f.proacl) a
     where f.oid = 'public.new_function_without_grants()'::regprocedure
       and a.grantee in (select oid from pg_catalog.pg_roles where rolname in ('anon', 'authenticated', 'service_role')) $$,
  'nor is a new function granted to them (only PUBLIC''s default remains, which migrations revoke)');
select is(current_setting('statement_timeout'), '0', 'postgres itself has no statement timeout');

select * from finish();
rollback;
