-- ============================================================================
-- Demo calls: a visitor of the website asks our demo agent to call them. The demo-call function
-- rate-limits the request (public.consume_rate_limit), places the call with Retell and records it
-- here; its call events then complete the row like any other call's.
-- ============================================================================

create function public.record_demo_call(call_id text, from_number text, to_number text, agent_id text default null)
returns void
language sql
security definer
set search_path = ''
as $$
  -- Call events may have recorded the call already: then it is only marked as a demo.
  insert into public.calls as c (call_id, agent_id, direction, from_number, to_number, status, is_demo)
  values (record_demo_call.call_id, record_demo_call.agent_id, 'outbound', record_demo_call.from_number,
          record_demo_call.to_number, 'registered', true)
  on conflict (call_id) do update set is_demo = true where not c.is_demo
$$;
comment on function public.record_demo_call(text, text, text, text) is 'Records an outbound demo call placed for a website visitor (calls.is_demo); idempotent.';

revoke execute on function public.record_demo_call(text, text, text, text) from public, anon, authenticated;
grant execute on function public.record_demo_call(text, text, text, text) to service_role;
