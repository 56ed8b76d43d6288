-- Helpers the pgTAP files share (installed by the test command before pg_prove runs them; never a
-- migration): named people with random ids, so parallel runs never collide, and requests played
-- the way PostgREST sets them up.
set client_min_messages = warning;
create schema if not exists tests;
grant usage on schema tests to anon, authenticated, service_role;

create or replace function tests.name_people(variadic names text[])
returns void
language sql
set search_path = ''
as $$ select set_config('test.' || name, gen_random_uuid()::text, true) from unnest(names) as name $$;
comment on function tests.name_people(text[]) is 'Gives each named person a random id for the rest of the transaction.';

create or replace function tests.id(name text)
returns uuid
language sql
stable
set search_path = ''
as $$ select current_setting('test.' || name)::uuid $$;
comment on function tests.id(text) is 'The id tests.name_people gave this person.';

create or replace function tests.act_as(person text, headers jsonb default '{}'::jsonb)
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('request.jwt.claims', jsonb_build_object('sub', tests.id(person), 'role', 'authenticated')::text, true);
  perform set_config('request.headers', headers::text, true);
  perform set_config('role', 'authenticated', true);
end
$$;
comment on function tests.act_as(text, jsonb) is 'Runs the following statements as PostgREST runs a request of this signed-in person, with these request headers.';

grant execute on all functions in schema tests to anon, authenticated, service_role;

create or replace function tests.act_as_role(role_name text, person uuid default null)
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('request.jwt.claims', jsonb_strip_nulls(jsonb_build_object('sub', person, 'role', role_name))::text, true);
  perform set_config('request.headers', '{}', true);
  perform set_config('role', role_name, true);
end
$$;
comment on function tests.act_as_role(text, uuid) is 'Runs the following statements as an API role (anon, authenticated as a given user id, service_role).';

grant execute on function tests.act_as_role(text, uuid) to anon, authenticated, service_role;
