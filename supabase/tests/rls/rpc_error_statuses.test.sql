-- No SQL function the API reaches raises a SQLSTATE that PostgREST answers with a 5xx: every error a
-- function raises on purpose is a caller's mistake (bad input, not allowed, not found, conflict) and
-- must reach the caller as a 4xx with a stable code. PostgREST 12's table (docs, "Errors", HTTP
-- status codes) is written out below; the raises are read from every function in public and private
-- (RPCs call the private helpers), so a new raise with a 5xx code fails here.
begin;
select plan(4);

-- PostgREST 12: the status of a SQLSTATE, in the order its table is matched.
create function pg_temp.postgrest_status(sqlstate text) returns integer
language sql immutable as $$
  select case
    when sqlstate ~ '^PT[1-5][0-9][0-9]$' then substr(sqlstate, 3)::integer
    when sqlstate like '08%' then 503
    when sqlstate like '09%' then 500
    when sqlstate like '0L%' or sqlstate like '0P%' then 403
    when sqlstate in ('23503', '23505') then 409
    when sqlstate = '25006' then 405
    when sqlstate like '25%' then 500
    when sqlstate like '28%' then 403
    when sqlstate like '2D%' or sqlstate like '38%' or sqlstate like '39%' or sqlstate like '3B%' or sqlstate like '40%' then 500
    when sqlstate like '53%' then 503
    when sqlstate like '54%' then 413
    when sqlstate like '55%' or sqlstate like '57%' or sqlstate like '58%' or sqlstate like 'F0%' or sqlstate like 'HV%' then 500
    when sqlstate = 'P0001' then 400
    when sqlstate like 'P0%' or sqlstate like 'XX%' then 500
    when sqlstate in ('42883', '42P01') then 404
    when sqlstate = '42501' then 403
    else 400
  end
$$;

create temporary table raised on commit drop as
select p.oid::regprocedure::text as function_name, m[1] as errcode
from pg_catalog.pg_proc p
cross join lateral regexp_matches(p.prosrc, '(?:errcode\s*=\s*|raise\s+(?:exception\s+)?sqlstate\s+)''([^'']*)''', 'gi') as m
where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace);

select is(pg_temp.postgrest_status('P0002'), 500, 'the table says what PostgREST does with no_data_found (500)');

select cmp_ok((select count(*) from raised), '>=', 30::bigint, 'the raises of the functions are found');

select is_empty(
  $$ select function_name || ' raises ' || errcode || ' (HTTP ' || pg_temp.postgrest_status(errcode) || ')'
     from raised where errcode !~ '^[0-9A-Z]{5}$' or pg_temp.postgrest_status(errcode) >= 500 $$,
  'no function raises a SQLSTATE that PostgREST answers with a 5xx (use PT404, PT409, 22023, 42501, ...)'
);

-- A raise by condition name (raise unique_violation) or a plain "raise exception" is fine only when
-- it says its code: the status of a name cannot be checked here.
select is_empty(
  $$ select p.oid::regprocedure::text || ': ' || m[1]
     from pg_catalog.pg_proc p
     cross join lateral regexp_matches(p.prosrc, '\mraise\s+([a-z_]+)', 'gi') as m
     where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
       and lower(m[1]) not in ('exception', 'notice', 'warning', 'info', 'log', 'debug', 'sqlstate') $$,
  'no function raises a condition by name (give it errcode = ''xxxxx'' instead)'
);

select * from finish();
rollback;
