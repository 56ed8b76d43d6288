-- Functions in the exposed schema are callable only by the roles they are granted to: none by
-- PUBLIC, only a listed few by anonymous callers, and every security definer function pins its
-- search path. Functions are enumerated from the catalog, so a new one that misses this fails here.
begin;
select plan(4);

-- What a visitor who is not signed in may call.
create temporary table anon_functions (signature) as
values ('health_check()'), ('public_settings()'), ('tracking_session_by_token(text)');

select is_empty(
  $$ select signature from anon_functions
     except select p.oid::regprocedure::text from pg_catalog.pg_proc p where p.pronamespace = 'public'::regnamespace $$,
  'every function on the anonymous list exists'
);

select is_empty(
  $$ select p.oid::regprocedure::text from pg_catalog.pg_proc p
     where p.pronamespace = 'public'::regnamespace
       and (p.proacl is null or exists (select 1 from pg_catalog.aclexplode(p.proacl) a where a.grantee = 0 and a.privilege_type = 'EXECUTE')) $$,
  'no function in public is executable by PUBLIC (revoke it and grant role by role)'
);

select is_empty(
  $$ select p.oid::regprocedure::text from pg_catalog.pg_proc p
     where p.pronamespace = 'public'::regnamespace and pg_catalog.has_function_privilege('anon', p.oid, 'execute')
     except select signature from anon_functions $$,
  'anonymous callers may execute only the listed functions'
);

select is_empty(
  $$ select p.oid::regprocedure::text from pg_catalog.pg_proc p
     where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace) and p.prosecdef
       and not coalesce('search_path=""' = any (p.proconfig), false) $$,
  'every security definer function sets search_path = '''''
);

select * from finish();
rollback;
