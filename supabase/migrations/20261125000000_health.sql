-- Health check used by the `health` function and monitoring: proves PostgREST reaches the database.
create function public.health_check()
returns boolean
language sql
stable
set search_path = ''
as $$ select true $$;

comment on function public.health_check() is 'Returns true when the database answers; called by the health function.';
