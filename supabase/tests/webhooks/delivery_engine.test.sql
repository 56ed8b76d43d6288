-- The delivery engine's SQL on its own: the retry schedule, fan-out, claims and their deadline,
-- recording attempts (retry, Retry-After, dead letter, 410, auto-disable after 5 days), the URL
-- rules of endpoints saved through the Data API, the health check, and who may call what.
begin;
select plan(41);

-- ---------------------------------------------------------------------------
-- The retry schedule: a pure function
-- ---------------------------------------------------------------------------

select is(private.webhook_retry_delay(1, 0.5), interval '5 seconds', 'the first retry comes 5 seconds after the first attempt');
select is(array(select private.webhook_retry_delay(n, 0.5) from generate_series(1, 9) n),
  array[interval '5 seconds', interval '5 minutes', interval '30 minutes', interval '2 hours', interval '5 hours',
        interval '10 hours', interval '14 hours', interval '20 hours', interval '24 hours'],
  'the schedule is Standard Webhooks'' (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h)');
select is(private.webhook_retry_delay(10, 0.5), null, 'after the 10th attempt there is no retry (dead letter)');
select is(private.webhook_retry_delay(2, 0), interval '4 minutes 30 seconds', 'jitter 0 is 10 % early');
select is(private.webhook_retry_delay(2, 1), interval '5 minutes 30 seconds', 'jitter 1 is 10 % late');
select is(private.webhook_retry_delay(2, 7), interval '5 minutes 30 seconds', 'jitter out of range is clamped');

-- ---------------------------------------------------------------------------
-- Fan-out
-- ---------------------------------------------------------------------------

insert into auth.users (id, email, email_confirmed_at) values
  ('6b000000-0000-4000-8000-000000000001', 'hooks-owner@webhooks.test', now()),
  ('6b000000-0000-4000-8000-000000000002', 'hooks-other@webhooks.test', now());
insert into public.webhook_configs (id, user_id, url, events, active) values
  ('6b100000-0000-4000-8000-000000000001', '6b000000-0000-4000-8000-000000000001', 'https://a.example.com/h', '{call_ended,lead_created}', true),
  ('6b100000-0000-4000-8000-000000000002', '6b000000-0000-4000-8000-000000000001', 'https://b.example.com/h', '{call_ended}', true),
  ('6b100000-0000-4000-8000-000000000003', '6b000000-0000-4000-8000-000000000001', 'https://c.example.com/h', '{lead_created}', true),
  ('6b100000-0000-4000-8000-000000000004', '6b000000-0000-4000-8000-000000000001', 'https://d.example.com/h', '{call_ended}', false),
  ('6b100000-0000-4000-8000-000000000005', '6b000000-0000-4000-8000-000000000002', 'https://e.example.com/h', '{call_ended}', true);

insert into public.webhook_queue (user_id, event_type, dedupe_key, payload)
values ('6b000000-0000-4000-8000-000000000001', 'call_ended', 'call_ended:pgtap-1', '{"call_id": "pgtap-1"}');

select results_eq(
  $$ select d.webhook_config_id from public.webhook_endpoint_deliveries d join public.webhook_queue q on q.id = d.event_id
     where q.dedupe_key = 'call_ended:pgtap-1' order by 1 $$,
  $$ values ('6b100000-0000-4000-8000-000000000001'::uuid), ('6b100000-0000-4000-8000-000000000002'::uuid) $$,
  'an event becomes one delivery per active endpoint of its business subscribed to its type');

insert into public.webhook_configs (id, user_id, url, events) values
  ('6b100000-0000-4000-8000-000000000006', '6b000000-0000-4000-8000-000000000001', 'https://f.example.com/h', '{call_ended}');
select is((select count(*)::int from public.webhook_endpoint_deliveries where webhook_config_id = '6b100000-0000-4000-8000-000000000006'), 0,
  'an endpoint created after the event does not get it');
select is((select count(distinct message_id)::int from public.webhook_endpoint_deliveries d join public.webhook_queue q on q.id = d.event_id
           where q.dedupe_key = 'call_ended:pgtap-1'), 2, 'each delivery has its own webhook-id');

-- Deliveries other suites left due in this database are out of the way until the rollback.
update public.webhook_endpoint_deliveries set status = 'dead', dead_reason = 'aborted', claim_id = null, claim_expires_at = null
where user_id <> '6b000000-0000-4000-8000-000000000001' and status in ('pending', 'delivering');

-- ---------------------------------------------------------------------------
-- Claims
-- ---------------------------------------------------------------------------

select tests.act_as_role('service_role');
create temporary table first_claim as select * from public.webhook_claim_deliveries(10);
select is((select count(*)::int from first_claim), 2, 'the dispatcher claims both due deliveries');
select is((select count(distinct claim_id)::int from first_claim), 1, 'one claim id for the batch');
select is((select count(*)::int from public.webhook_claim_deliveries(10)), 0, 'claimed deliveries are invisible to a second worker');
reset role;
select ok((select bool_and(attempt = 1 and secrets = array[c.secret] and body::jsonb ->> 'type' = 'call_ended'
                             and body::jsonb -> 'data' = '{"call_id": "pgtap-1"}')
           from first_claim f join public.webhook_configs c on c.url = f.url),
  'a claim carries attempt 1, the endpoint''s secret and the envelope {type, timestamp, data}');

-- The worker vanished: after the deadline the delivery is claimed again, with the same webhook-id.
update public.webhook_endpoint_deliveries set claim_expires_at = now() - interval '1 second'
where id = (select delivery_id from first_claim where url = 'https://b.example.com/h');
select tests.act_as_role('service_role');
create temporary table second_claim as select * from public.webhook_claim_deliveries(10);
select results_eq($$ select url, message_id, attempt from second_claim $$,
  $$ select url, message_id, 1 from first_claim where url = 'https://b.example.com/h' $$,
  'a claim whose deadline passed is claimed again: same webhook-id, still attempt 1');
select is((select count(*)::int from public.webhook_record_attempts(
  (select claim_id from first_claim limit 1),
  (select jsonb_agg(jsonb_build_object('delivery_id', delivery_id, 'outcome', 'delivered', 'status_code', 200)) from first_claim))), 0,
  'the first worker records late: nothing disabled');
reset role;
select is((select status from public.webhook_endpoint_deliveries where id = (select delivery_id from second_claim)), 'delivering',
  'a worker that lost its claim changes nothing on that delivery');
select is((select status from public.webhook_endpoint_deliveries where id = (select delivery_id from first_claim where url = 'https://a.example.com/h')),
  'delivered', 'but records what it still held');

-- ---------------------------------------------------------------------------
-- Recording attempts
-- ---------------------------------------------------------------------------

select tests.act_as_role('service_role');
select * from public.webhook_record_attempts((select claim_id from second_claim), (select jsonb_agg(jsonb_build_object(
  'delivery_id', delivery_id, 'outcome', 'failed', 'status_code', 500, 'error', 'the endpoint answered 500',
  'duration_ms', 12, 'response_excerpt', 'oops')) from second_claim));
reset role;
select ok((select status = 'pending' and attempts = 1 and next_attempt_at between now() + interval '4 seconds' and now() + interval '6 seconds'
           from public.webhook_endpoint_deliveries where id = (select delivery_id from second_claim)),
  'a failed first attempt is retried about 5 seconds later');
select results_eq($$ select attempt, status_code, response_excerpt, duration_ms from public.webhook_deliveries
                     where delivery_id = (select delivery_id from second_claim) $$,
  $$ values (1, 500, 'oops', 12) $$, 'the attempt is logged with its status, excerpt and duration');
select ok((select failing_since is not null from public.webhook_configs where id = '6b100000-0000-4000-8000-000000000002'),
  'the endpoint is failing since that attempt');

-- 429 with Retry-After: the receiver decides when.
update public.webhook_endpoint_deliveries set next_attempt_at = now() where id = (select delivery_id from second_claim);
select tests.act_as_role('service_role');
create temporary table third_claim as select * from public.webhook_claim_deliveries(10);
select * from public.webhook_record_attempts((select claim_id from third_claim), (select jsonb_agg(jsonb_build_object(
  'delivery_id', delivery_id, 'outcome', 'failed', 'status_code', 429, 'retry_after_seconds', 120)) from third_claim));
reset role;
select ok((select attempts = 2 and next_attempt_at between now() + interval '119 seconds' and now() + interval '121 seconds'
           from public.webhook_endpoint_deliveries where id = (select delivery_id from second_claim)),
  '429 with Retry-After: 120 is retried after 120 seconds');

-- The 10th attempt fails: dead letter.
update public.webhook_endpoint_deliveries set next_attempt_at = now(), attempts = 9 where id = (select delivery_id from second_claim);
select tests.act_as_role('service_role');
create temporary table last_claim as select * from public.webhook_claim_deliveries(10);
select is((select attempt from last_claim), 10, 'the last claim is attempt 10');
select * from public.webhook_record_attempts((select claim_id from last_claim), (select jsonb_agg(jsonb_build_object(
  'delivery_id', delivery_id, 'outcome', 'failed', 'status_code', 503)) from last_claim));
reset role;
select results_eq($$ select status, dead_reason from public.webhook_endpoint_deliveries where id = (select delivery_id from second_claim) $$,
  $$ values ('dead', 'attempts_exhausted') $$, 'after the last attempt the delivery is dead-lettered');

-- Five days of nothing but failures disable the endpoint, once, with an ops alert.
insert into public.webhook_queue (user_id, event_type, dedupe_key, payload)
values ('6b000000-0000-4000-8000-000000000001', 'call_ended', 'call_ended:pgtap-2', '{"call_id": "pgtap-2"}');
update public.webhook_configs set failing_since = now() - interval '5 days 1 minute' where id = '6b100000-0000-4000-8000-000000000002';
update public.webhook_configs set active = false where id in ('6b100000-0000-4000-8000-000000000001', '6b100000-0000-4000-8000-000000000006');
select tests.act_as_role('service_role');
create temporary table failing_claim as select * from public.webhook_claim_deliveries(10);
create temporary table disabled as select * from public.webhook_record_attempts((select claim_id from failing_claim), (select jsonb_agg(jsonb_build_object(
  'delivery_id', delivery_id, 'outcome', 'failed', 'status_code', 500)) from failing_claim));
reset role;
select results_eq($$ select webhook_config_id, disabled_reason, owner_email from disabled $$,
  $$ values ('6b100000-0000-4000-8000-000000000002'::uuid, 'failing', 'hooks-owner@webhooks.test') $$,
  'an endpoint failing for 5 days is disabled and its owner returned to be emailed');
select results_eq($$ select active, disabled_reason from public.webhook_configs where id = '6b100000-0000-4000-8000-000000000002' $$,
  $$ values (false, 'failing') $$, 'the endpoint is inactive with its reason');
select is((select count(*)::int from public.ops_alerts where dedupe_key = 'webhook_endpoint_disabled:6b100000-0000-4000-8000-000000000002' and resolved_at is null),
  1, 'an operator sees an ops alert');
select tests.act_as_role('service_role');
select is((select count(*)::int from public.webhook_claim_deliveries(10)), 0, 'a disabled endpoint''s deliveries are not claimed');
reset role;

-- Enabling it again clears its health and resolves the alert.
update public.webhook_configs set active = true where id = '6b100000-0000-4000-8000-000000000002';
select results_eq($$ select disabled_reason, disabled_at, failing_since from public.webhook_configs where id = '6b100000-0000-4000-8000-000000000002' $$,
  $$ values (null::text, null::timestamptz, null::timestamptz) $$, 'an endpoint enabled again starts healthy');
select is((select count(*)::int from public.ops_alerts where dedupe_key = 'webhook_endpoint_disabled:6b100000-0000-4000-8000-000000000002' and resolved_at is null),
  0, 'and its disabled alert is resolved');

-- A failed replay counts for nothing: not towards the 5 days, not towards disabling.
update public.webhook_configs set failing_since = now() - interval '6 days' where id = '6b100000-0000-4000-8000-000000000002';
update public.webhook_endpoint_deliveries set status = 'pending', dead_reason = null, replay = true, next_attempt_at = now()
where id = (select delivery_id from second_claim);
select tests.act_as_role('service_role');
create temporary table replay_claim as select * from public.webhook_claim_deliveries(10);
select is((select count(*)::int from public.webhook_record_attempts((select claim_id from replay_claim), (select jsonb_agg(jsonb_build_object(
  'delivery_id', delivery_id, 'outcome', 'failed', 'status_code', 500)) from replay_claim))), 0, 'a failed replay disables nothing');
reset role;
select results_eq($$ select d.status, d.dead_reason, d.replay, c.active from public.webhook_endpoint_deliveries d
                     join public.webhook_configs c on c.id = d.webhook_config_id where d.id = (select delivery_id from second_claim) $$,
  $$ values ('dead', 'attempts_exhausted', false, true) $$, 'a failed replay is not retried and leaves the endpoint active');

-- ---------------------------------------------------------------------------
-- Endpoint URLs saved through the Data API
-- ---------------------------------------------------------------------------

select is(private.webhook_url_problem('https://hooks.zapier.com/hooks/catch/1/abc'), null, 'a public https URL may be saved');
select is(array(select private.webhook_url_problem(u) is not null from unnest(array[
    'http://hooks.example.com/h', 'https://127.0.0.1/h', 'https://169.254.169.254/latest/meta-data', 'https://10.1.2.3/h',
    'https://192.168.0.1/h', 'https://[::1]/h', 'https://[fe80::1]/h', 'https://[::ffff:127.0.0.1]/h', 'https://localhost/h',
    'https://metadata.google.internal/h', 'https://2130706433/h', 'https://user:pw@hooks.example.com/h', 'https://224.0.0.1/h']) u),
  array_fill(true, array[13]), 'plain http, credentials, loopback, private, link-local, multicast and internal names are refused');

select tests.name_people('owner');
select tests.act_as('owner');
select throws_ok($$ insert into public.webhook_configs (url) values ('https://169.254.169.254/latest') $$, '23514', null,
  'an owner cannot save an endpoint at the cloud metadata address');
select throws_ok($$ insert into public.webhook_configs (url) values ('http://127.0.0.1:8080/h') $$, '23514', null,
  'an owner cannot save a plain http loopback endpoint');
reset role;

-- ---------------------------------------------------------------------------
-- Health check and privileges
-- ---------------------------------------------------------------------------

insert into public.webhook_deliveries (queue_id, delivery_id, webhook_config_id, user_id, attempt, status_code)
select d.event_id, d.id, '6b100000-0000-4000-8000-000000000003', d.user_id, n, 500
from public.webhook_endpoint_deliveries d, generate_series(1, 6) n
where d.id = (select delivery_id from second_claim);
select is(private.check_webhook_health() >= 0, true, 'the health check runs');
select is((select count(*)::int from public.ops_alerts where dedupe_key = 'webhook_endpoint_failing:6b100000-0000-4000-8000-000000000003' and resolved_at is null),
  1, 'the health check opens an alert for an endpoint whose attempts mostly fail');
delete from public.webhook_deliveries where webhook_config_id = '6b100000-0000-4000-8000-000000000003';
select is(private.check_webhook_health() >= 0, true, 'the health check runs again');
select is((select count(*)::int from public.ops_alerts where dedupe_key = 'webhook_endpoint_failing:6b100000-0000-4000-8000-000000000003' and resolved_at is null),
  0, 'and resolves it when the rate recovers');
select is((select schedule from cron.job where jobname = 'webhook-health-check'), '*/15 * * * *', 'the health check runs every 15 minutes');

select ok(not has_function_privilege('authenticated', 'public.webhook_claim_deliveries(integer)', 'execute')
          and not has_function_privilege('authenticated', 'public.webhook_record_attempts(uuid, jsonb)', 'execute')
          and not has_function_privilege('anon', 'public.webhook_claim_deliveries(integer)', 'execute'),
  'only the service role claims and records deliveries');

select * from finish();
rollback;
