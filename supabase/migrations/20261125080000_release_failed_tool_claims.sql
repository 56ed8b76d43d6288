-- A tool run that fails (Cal.com down, a timeout) gives its claim back at once, so Retell's retry,
-- or the caller asking again, runs the tool again instead of hearing "still working on that" until
-- the claim goes stale.
create function public.release_tool_invocation(call_id text, tool_name text, args_hash text)
returns void
language sql
security definer
set search_path = ''
as $$
  delete from public.tool_invocations t
  where t.call_id = release_tool_invocation.call_id
    and t.tool_name = release_tool_invocation.tool_name
    and t.args_hash = release_tool_invocation.args_hash
    and t.result is null
$$;
comment on function public.release_tool_invocation(text, text, text) is 'After a failed tool run: removes its unfinished claim so the next request runs the tool again.';
revoke execute on function public.release_tool_invocation(text, text, text) from public, anon, authenticated;
grant execute on function public.release_tool_invocation(text, text, text) to service_role;
