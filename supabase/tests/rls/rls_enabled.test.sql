-- Every table in the exposed schema is under Row Level Security, has policies unless it is listed
-- here as service-only, calls its helpers once per statement, and has its foreign keys indexed.
-- The tables are enumerated from the catalog, so a new table that misses any of this fails here.
begin;
select plan(10);

-- Tables only the service role (functions, cron) touches: RLS on, no policies, no client grants.
create temporary table service_only_tables (name) as
values ('app_settings'), ('inbound_webhook_events'), ('rate_limit_counters');

create temporary view public_tables as
select c.oid, c.relname as name, c.relrowsecurity as rls_enabled
from pg_catalog.pg_class c
where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p');

select cmp_ok((select count(*) from public_tables), '>=', 30::bigint,
  'the catalog query finds the tables of public');

select is_empty(
  $$ select name from service_only_tables except select name from public_tables $$,
  'every table on the service-only list exists'
);

select is_empty(
  $$ select name from public_tables where not rls_enabled $$,
  'RLS is enabled on every table in public'
);

select is_empty(
  $$ select t.name from public_tables t
     where t.name not in (select name from service_only_tables)
       and not exists (select 1 from pg_catalog.pg_policy p where p.polrelid = t.oid) $$,
  'every table in public that is not service-only has at least one policy'
);

select is_empty(
  $$ select t.name from public_tables t
     join service_only_tables s using (name)
     where exists (select 1 from pg_catalog.pg_policy p where p.polrelid = t.oid) $$,
  'service-only tables have no policies (take a table off the list when it gets one)'
);

select is_empty(
  $$ select s.name || ' ' || r.role || ' ' || priv.name
     from service_only_tables s
     cross join (values ('anon'), ('authenticated')) as r(role)
     cross join (values ('select'), ('insert'), ('update'), ('delete')) as priv(name)
     where pg_catalog.has_table_privilege(r.role, ('public.' || s.name)::regclass, priv.name) $$,
  'clients hold no privilege on service-only tables'
);

-- pg_policies shows a wrapped call as "( SELECT private.f() AS f)"; any auth./private. call left
-- after removing those is evaluated once per row instead of once per statement.
select is_empty(
  $$ select tablename || ': ' || policyname
     from pg_catalog.pg_policies
     where schemaname = 'public'
       and regexp_replace(coalesce(qual, '') || ' ' || coalesce(with_check, ''),
                          '\( SELECT (auth|private)\.\w+\([^()]*\) AS \w+\)', '', 'g')
           ~ '(auth|private)\.\w+\(' $$,
  'every policy calls auth.* and private.* helpers wrapped as (select ...)'
);

select is_empty(
  $$ select tablename || ': ' || policyname from pg_catalog.pg_policies
     where schemaname = 'public' and 'public' = any (roles) $$,
  'every policy names the roles it applies to (none applies to PUBLIC)'
);

select is_empty(
  $$ select c.conrelid::regclass || '.' || a.attname
     from pg_catalog.pg_constraint c
     join pg_catalog.pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
     where c.contype = 'f' and c.connamespace = 'public'::regnamespace
       and not exists (
         select 1 from pg_catalog.pg_index i
         where i.indrelid = c.conrelid and i.indkey[0] = c.conkey[1]
       ) $$,
  'every foreign key in public has an index whose leading column is the key'
);

-- A view runs with its owner's rights unless security_invoker is set, bypassing RLS.
select is_empty(
  $$ select c.relname from pg_catalog.pg_class c
     where c.relnamespace = 'public'::regnamespace and c.relkind in ('v', 'm')
       and not coalesce('security_invoker=true' = any (c.reloptions), false) $$,
  'every view in public runs with the caller''s rights (security_invoker)'
);

select * from finish();
rollback;
