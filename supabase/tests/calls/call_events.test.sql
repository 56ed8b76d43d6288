-- The call-time SQL on its own: status order, the lead rule, record_call_event applied twice and
-- out of order, the refused-call path of the inbound lookup, tool claims, and who may call what.
begin;
select plan(24);

-- ---------------------------------------------------------------------------
-- Pure helpers
-- ---------------------------------------------------------------------------

select is(private.later_call_status('ongoing', 'ended'), 'ended', 'an ended event moves an ongoing call to ended');
select is(private.later_call_status('ended', 'ongoing'), 'ended', 'a late call_started never moves an ended call back');
select is(private.later_call_status('refused', 'ended'), 'refused', 'a refused call stays refused');
select is(private.later_call_status('ended', 'not_connected'), 'ended', 'between final statuses the first one stays');

select ok(private.analysis_says_lead('{"custom_analysis_data": {"is_lead": true}}'), 'is_lead true is a lead');
select ok(private.analysis_says_lead('{"custom_analysis_data": {"service_needed": "Boiler"}}'), 'a named service is a lead');
select ok(not private.analysis_says_lead('{"custom_analysis_data": {"is_lead": "no", "service_needed": "Boiler"}}'), 'is_lead no wins over a service');
select ok(not private.analysis_says_lead('{"in_voicemail": true, "custom_analysis_data": {"is_lead": true}}'), 'a voicemail is never a lead');
select ok(not private.analysis_says_lead('{"custom_analysis_data": {"service_needed": "  "}}'), 'a blank service is not a lead');

-- ---------------------------------------------------------------------------
-- A business and its call
-- ---------------------------------------------------------------------------

insert into auth.users (id, email, email_confirmed_at)
values ('6a000000-0000-4000-8000-000000000001', 'calls-pgtap@calls.test', now());
update public.profiles set business_name = 'PgTAP Plumbing' where id = '6a000000-0000-4000-8000-000000000001';
insert into public.subscriptions (user_id, plan, status) values ('6a000000-0000-4000-8000-000000000001', 'pro', 'active');
insert into public.usage_limits (user_id, period_start, period_end, call_minutes_allowance, sms_allowance)
values ('6a000000-0000-4000-8000-000000000001', now() - interval '1 day', now() + interval '29 days', 100, 100);
insert into public.agents (user_id, deploy_status, retell_agent_id, phone_number)
values ('6a000000-0000-4000-8000-000000000001', 'active', 'agent_master_plumbing', '+15015550101');

create temporary table ended_call as
select jsonb_build_object(
  'call_id', 'call_pgtap_1', 'direction', 'inbound', 'from_number', '+15015550199', 'to_number', '+15015550101',
  'call_status', 'ended', 'start_timestamp', started_ms, 'end_timestamp', started_ms + 125000, 'duration_ms', 125000,
  'recording_url', 'https://recordings.example.com/1.wav',
  'call_analysis', jsonb_build_object('call_summary', 'Leaking pipe', 'custom_analysis_data', jsonb_build_object('service_needed', 'Leak repair'))
) as call
from (select (extract(epoch from now() - interval '5 minutes') * 1000)::bigint as started_ms) as t;

select is((public.record_call_event('call_analyzed', (select call from ended_call)) ->> 'first_end')::boolean, true,
  'call_analyzed arriving first does what the end of a call does');
select is((public.record_call_event('call_ended', (select call from ended_call)) ->> 'first_end')::boolean, false,
  'call_ended arriving after it does not do it again');
select is((public.record_call_event('call_started', (select call - 'call_status' from ended_call)) ->> 'status'), 'ended',
  'a late call_started leaves the call ended');
select is((select billable_minutes from public.usage_calls where call_id = 'call_pgtap_1'), 3, 'billable minutes are the ceiling of the length');
select is((select calls_count from public.usage_limits where user_id = '6a000000-0000-4000-8000-000000000001'), 1,
  'the call is charged to the counters once');
select is((select total_calls from public.customers where user_id = '6a000000-0000-4000-8000-000000000001'), 1, 'the caller counted once');
select is((select count(*)::int from public.webhook_queue where user_id = '6a000000-0000-4000-8000-000000000001'), 2,
  'one call_ended and one lead_created outbox row');
select is((select service_needed from public.leads where call_id = 'call_pgtap_1'), 'Leak repair', 'the lead names the service');

-- ---------------------------------------------------------------------------
-- Inbound: a refused call is recorded once and the cap alert raised once
-- ---------------------------------------------------------------------------

update public.usage_limits set call_minutes_used = 100 where user_id = '6a000000-0000-4000-8000-000000000001';
select is(public.inbound_call_context('+15015550101', '+15015550198', 'call_pgtap_2') ->> 'refusal_reason', 'over_cap',
  'a business over its cap is refused');
select public.inbound_call_context('+15015550101', '+15015550198', 'call_pgtap_3');
select is((select count(*)::int from public.calls where call_id in ('call_pgtap_2', 'call_pgtap_3') and status = 'refused'), 2,
  'every refused call is recorded');
select is((select count(*)::int from public.ops_alerts where user_id = '6a000000-0000-4000-8000-000000000001' and kind = 'usage_cap_reached'), 1,
  'the cap alert is raised once per period');

-- ---------------------------------------------------------------------------
-- Tool calls: claimed once, first result wins
-- ---------------------------------------------------------------------------

select is(public.claim_tool_invocation('call_pgtap_1', 'book_appointment', '{"b": 1, "a": 2}', null) ->> 'state', 'claimed', 'a new tool call is claimed');
select is(public.claim_tool_invocation('call_pgtap_1', 'book_appointment', '{"a": 2, "b": 1}', null) ->> 'state', 'running',
  'the same arguments in another order are the same call, still running');
select is(
  public.complete_tool_invocation('call_pgtap_1', 'book_appointment', encode(sha256(convert_to('{"a": 2, "b": 1}'::jsonb::text, 'UTF8')), 'hex'), '{"result": "second"}'),
  '{"result": "second"}'::jsonb, 'the first stored result is kept');

-- ---------------------------------------------------------------------------
-- Who may call the call-time RPCs: the service role only
-- ---------------------------------------------------------------------------

select is_empty($$
  select f from unnest(array[
    'public.inbound_call_context(text,text,text)', 'public.inbound_sms_context(text,text,text,text)',
    'public.record_call_event(text,jsonb)', 'public.claim_tool_invocation(text,text,jsonb,text)',
    'public.complete_tool_invocation(text,text,text,jsonb)', 'public.record_demo_call(text,text,text,text)'
  ]) as f
  cross join (values ('anon'), ('authenticated')) as r(role)
  where has_function_privilege(r.role, f, 'execute') or not has_function_privilege('service_role', f, 'execute')
$$, 'webhook RPCs are the service role''s alone');

select * from finish();
rollback;
