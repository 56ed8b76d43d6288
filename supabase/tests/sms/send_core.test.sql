-- The send core beyond the owner's send: quiet hours in the recipient's zone (area code, fallback to
-- the business's), automatic texts (the booking confirmation once per appointment, refusals kept,
-- the claim of queued texts), the owner's consent actions, and the retention of waiting callbacks.
begin;
select plan(42);

-- ---------------------------------------------------------------------------
-- The recipient's zone from the area code
-- ---------------------------------------------------------------------------

select is(private.sms_recipient_time_zone('+13035550100', 'America/New_York'), 'America/Denver', '303 is Denver''s zone');
select is(private.sms_recipient_time_zone('+14165550100', 'America/Chicago'), 'America/Toronto', '416 is Toronto''s');
select is(private.sms_recipient_time_zone('+18085550100', 'America/Chicago'), 'Pacific/Honolulu', '808 is Hawaii''s');
select is(private.sms_recipient_time_zone('+16025550100', 'America/Chicago'), 'America/Phoenix', '602 is Arizona''s, without daylight saving');
select is(private.sms_recipient_time_zone('+18505550100', 'America/Denver'), 'America/Denver', '850 spans two zones: the business''s');
select is((select kind from private.sms_area_code_zones where area_code = '850'), 'spans_zones', 'and is marked so');
select is(private.sms_recipient_time_zone('+18005550100', 'America/Denver'), 'America/Denver', 'toll-free 800: the business''s');
select is(private.sms_recipient_time_zone('+18765550100', 'America/Denver'), 'America/Denver', 'a Caribbean code outside the table: the business''s');
select is(private.sms_recipient_time_zone('+447700900123', 'Europe/London'), 'Europe/London', 'a number outside the NANP: the business''s');
select is((select count(*)::int from private.sms_area_code_zones where kind = 'single_zone' and time_zone not in (select name from pg_timezone_names)),
          0, 'every zone in the table is one Postgres knows');
select is(private.sms_quiet_hours('Nowhere/Land', '2026-12-01 02:30:00+00'), true, 'a zone Postgres does not know counts as Eastern');

-- 02:30 UTC on 1 Dec is 9:30 pm in New York and 7:30 pm in Denver.
select ok(private.sms_quiet_for('+12125550100', 'America/Denver', '2026-12-01 02:30:00+00'),
          'quiet for a New York recipient of a Denver business: the recipient''s zone decides');
select ok(not private.sms_quiet_for('+13035550100', 'America/New_York', '2026-12-01 02:30:00+00'),
          'and not quiet for a Denver recipient of a New York business');
select ok(private.sms_quiet_for('+18505550100', 'America/New_York', '2026-12-01 02:30:00+00'),
          'a code that spans zones takes the business''s');

-- ---------------------------------------------------------------------------
-- A business with a number, an allowance, and customers
-- ---------------------------------------------------------------------------

select tests.name_people('owner');
insert into auth.users (id, email, email_confirmed_at) values (tests.id('owner'), 'sms-core-pgtap@sms.test', now());
update public.profiles set business_name = 'Core Plumbing', time_zone = 'America/Denver' where id = tests.id('owner');
insert into public.subscriptions (user_id, plan, status) values (tests.id('owner'), 'pro', 'active');
insert into public.usage_limits (user_id, period_start, period_end, call_minutes_allowance, sms_allowance)
values (tests.id('owner'), now() - interval '1 day', now() + interval '29 days', 100, 50);
insert into public.agents (user_id, deploy_status, retell_agent_id, phone_number)
values (tests.id('owner'), 'active', 'agent_master_plumbing', '+13035550300');
insert into public.integrations (user_id, provider, booking_url) values (tests.id('owner'), 'calcom', 'https://cal.example.com/core/service');

-- A marketing text now, to a recipient whose zone is quiet now, from a business whose zone is not
-- (and the reverse): which zones those are depends on the hour, so they are chosen from the table.
create temporary table world (zone text) on commit drop;
insert into world values ('Pacific/Kiritimati'), ('Pacific/Auckland'), ('Asia/Tokyo'), ('Asia/Shanghai'), ('Asia/Kolkata'), ('Asia/Dubai'),
  ('Europe/Moscow'), ('Europe/Berlin'), ('Europe/London'), ('Atlantic/Azores'), ('America/Sao_Paulo'), ('America/New_York'),
  ('America/Chicago'), ('America/Denver'), ('America/Los_Angeles'), ('Pacific/Honolulu');
select set_config('test.quiet_code', coalesce((select area_code from private.sms_area_code_zones
  where kind = 'single_zone' and private.sms_quiet_hours(time_zone) order by area_code limit 1), ''), true);
select set_config('test.awake_code', (select area_code from private.sms_area_code_zones
  where kind = 'single_zone' and not private.sms_quiet_hours(time_zone) order by area_code limit 1), true);
select set_config('test.awake_zone', (select zone from world where not private.sms_quiet_hours(zone) limit 1), true);
select set_config('test.quiet_zone', (select zone from world where private.sms_quiet_hours(zone) limit 1), true);

update public.profiles set time_zone = current_setting('test.quiet_zone') where id = tests.id('owner');
select is(private.queue_sms(tests.id('owner'), '+1' || current_setting('test.awake_code') || '5550101', 'Spring tune-up offer', 'm-awake', 'marketing') ->> 'send',
          'true', 'a marketing text goes out in the recipient''s daytime, though it is night for the business');
update public.profiles set time_zone = current_setting('test.awake_zone') where id = tests.id('owner');
select is(case when current_setting('test.quiet_code') = '' then 'quiet_hours'
          else private.queue_sms(tests.id('owner'), '+1' || current_setting('test.quiet_code') || '5550102', 'Spring tune-up offer', 'm-quiet', 'marketing') ->> 'refusal' end,
          'quiet_hours', 'and is refused in the recipient''s night, though it is day for the business (when some NANP zone is in its night now)');
update public.profiles set time_zone = current_setting('test.quiet_zone') where id = tests.id('owner');
select is(private.queue_sms(tests.id('owner'), '+447700900123', 'Spring tune-up offer', 'm-abroad', 'marketing') ->> 'refusal',
          'quiet_hours', 'a number outside the table falls back to the business''s zone');
select is(private.queue_sms(tests.id('owner'), '+447700900123', 'Your booking is confirmed', 't-abroad', 'transactional') ->> 'send',
          'true', 'a transactional text is not held to quiet hours');
select throws_ok($$ select private.queue_sms(tests.id('owner'), '+13035550103', 'Hi', 'x-1', 'newsletter') $$, '22023', null,
                 'an unknown kind is refused');
update public.profiles set time_zone = 'America/Denver' where id = tests.id('owner');

-- ---------------------------------------------------------------------------
-- The booking confirmation: once per appointment, whichever path records the booking
-- ---------------------------------------------------------------------------

insert into public.calls (call_id, user_id) values ('call_pgtap_confirm', tests.id('owner'));
create function pg_temp.booking(uid text, intent uuid) returns jsonb
language sql as $$
  select jsonb_build_object('uid', uid, 'start_at', '2031-03-04T15:00:00Z', 'end_at', '2031-03-04T16:00:00Z',
                            'organizer', '{}'::jsonb, 'customer_name', 'Pat Caller', 'customer_phone', '+13035550110',
                            'intent_id', intent)
$$;
create temporary table intent on commit drop as
  select intent_id from public.calcom_claim_booking_intent(tests.id('owner'), 'call_pgtap_confirm', '2031-03-04T15:00:00Z', 501, 'Pat Caller', '+13035550110');
select set_config('test.net_before', (select coalesce(max(id), 0)::text from net.http_request_queue), true);
select public.calcom_apply_booking_change('created', pg_temp.booking('pgtap-confirm', (select intent_id from intent)));
select public.calcom_ingest_booking_event('pgtap-confirm-created', 'BOOKING_CREATED', now(), pg_temp.booking('pgtap-confirm', (select intent_id from intent)));
select public.calcom_apply_booking_change('created', pg_temp.booking('pgtap-confirm', (select intent_id from intent)));
select results_eq(
  $$ select status, kind, automatic, to_number::text, body from public.sms_messages
     where user_id = tests.id('owner') and idempotency_key like 'booking-confirmation:%' $$,
  $$ values ('queued'::text, 'transactional'::text, true, '+13035550110'::text,
             'Core Plumbing: your appointment on Tue Mar 4 at 8:00 AM is confirmed. Reschedule: https://cal.example.com/reschedule/pgtap-confirm Cancel: https://cal.example.com/booking/pgtap-confirm?cancel=true'::text) $$,
  'the tool''s booking, Cal.com''s webhook and a retry queue one confirmation, in the business''s zone with Cal.com''s links');
select is((select count(*)::int from public.usage_sms u join public.sms_messages m on m.id::text = u.message_id
           where m.idempotency_key like 'booking-confirmation:%' and m.user_id = tests.id('owner')), 1, 'charged once');
select is((select count(*)::int from net.http_request_queue where id > current_setting('test.net_before')::bigint and url like '%/functions/v1/send-sms/queued'), 1,
          'and send-sms/queued is kicked for it, after commit');

-- A business without Cal.com: "reply RESCHEDULE".
delete from public.integrations where user_id = tests.id('owner');
select alike(private.booking_confirmation_text((select a from public.appointments a where a.calcom_booking_uid = 'pgtap-confirm')),
            '%is confirmed. To reschedule or cancel, reply RESCHEDULE.', 'without the booking page''s origin, the customer replies RESCHEDULE');

-- An opted-out customer: a refused message, not charged.
select private.set_sms_consent(tests.id('owner'), '+13035550300', '+13035550111', true, 'keyword');
insert into public.appointments (user_id, source, customer_name, customer_phone, start_at, end_at)
values (tests.id('owner'), 'ai_call', 'Opted Out', '+13035550111', '2031-03-05T15:00:00Z', '2031-03-05T16:00:00Z');
select results_eq($$ select status, error_code from public.sms_messages where to_number = '+13035550111' $$,
  $$ values ('refused'::text, 'recipient_opted_out'::text) $$, 'an opted-out customer''s confirmation is kept refused, with the reason');
select is((select count(*)::int from public.usage_sms u join public.sms_messages m on m.id::text = u.message_id where m.to_number = '+13035550111'),
          0, 'and not charged');

-- Turned off by the owner.
update public.profiles set sms_booking_confirmations = false where id = tests.id('owner');
insert into public.appointments (user_id, source, customer_name, customer_phone, start_at, end_at)
values (tests.id('owner'), 'ai_call', 'No Text', '+13035550112', '2031-03-06T15:00:00Z', '2031-03-06T16:00:00Z');
select is_empty($$ select 1 from public.sms_messages where to_number = '+13035550112' $$, 'no confirmation when the owner turned them off');
update public.profiles set sms_booking_confirmations = true where id = tests.id('owner');

-- ---------------------------------------------------------------------------
-- Claiming queued automatic texts
-- ---------------------------------------------------------------------------

select tests.act_as_role('service_role');
select is((select count(*)::int from public.claim_queued_sms(10)), 1, 'the queued confirmation is claimed');
select is((select count(*)::int from public.claim_queued_sms(10)), 0, 'and not again while the claim holds');
reset role;
update public.sms_messages set send_claimed_until = now() - interval '1 second', send_attempts = 3
where user_id = tests.id('owner') and to_number = '+13035550110';
select tests.act_as_role('service_role');
select is((select count(*)::int from public.claim_queued_sms(10)), 0, 'a text claimed three times without an answer is not claimed again');
reset role;
select results_eq($$ select status, error_code from public.sms_messages where user_id = tests.id('owner') and to_number = '+13035550110' $$,
  $$ values ('failed'::text, 'send_abandoned'::text) $$, 'it is given up');
select is((select count(*)::int from public.usage_sms u join public.sms_messages m on m.id::text = u.message_id
           where m.user_id = tests.id('owner') and m.to_number = '+13035550110'), 0, 'with its charge given back');

-- ---------------------------------------------------------------------------
-- The owner's consent actions
-- ---------------------------------------------------------------------------

insert into public.customers (user_id, phone) values (tests.id('owner'), '+13035550120'), (tests.id('owner'), '+13035550121');
select tests.act_as('owner');
select is(public.set_customer_sms_consent('+13035550120', true) ->> 'opted_out', 'true', 'an owner opts a customer out');
select is(public.set_customer_sms_consent('+13035550120', false) ->> 'opted_out', 'false', 'and back in: an owner''s opt-out is theirs to lift');
select throws_ok($$ select public.set_customer_sms_consent('303-555-0120', true) $$, '22023', null, 'a phone must be E.164');
select throws_ok($$ select public.set_customer_sms_consent('+13035550199', true) $$, 'PT404', null, 'and a customer of the business');
reset role;
select private.set_sms_consent(tests.id('owner'), '+13035550300', '+13035550121', true, 'phrase');
select tests.act_as('owner');
select throws_ok($$ select public.set_customer_sms_consent('+13035550121', false) $$, 'PT409', null,
                 'an owner cannot lift the customer''s own opt-out');
select is(public.set_customer_sms_consent('+13035550121', true) ->> 'changed', 'false', 'an owner''s opt-out on top of it changes nothing');
select throws_ok($$ select public.set_customer_sms_consent('+13035550121', false) $$, 'PT409', null, 'so the customer''s opt-out still stands');
reset role;
select results_eq(
  $$ select e.source, e.opted_out from public.sms_consent_events e join public.sms_consents c on c.id = e.consent_id
     where c.customer_phone = '+13035550120' order by e.id $$,
  $$ values ('owner'::text, true), ('owner'::text, false) $$, 'the ledger records the owner''s actions');
select is((select count(*)::int from public.audit_logs where on_behalf_of_user_id = tests.id('owner') and action like 'sms.customer_opted_%'),
          2, 'each one audited');

-- ---------------------------------------------------------------------------
-- Retention of callbacks that never found their send
-- ---------------------------------------------------------------------------

insert into private.sms_pending_statuses (provider_message_id, status, received_at)
values ('SM' || repeat('c', 32), 'delivered', now() - interval '8 days'), ('SM' || repeat('d', 32), 'delivered', now());
select is(private.prune_logs() ->> 'sms_pending_statuses', '1', 'prune-logs deletes callbacks older than 7 days');
select is((select array_agg(provider_message_id) from private.sms_pending_statuses where provider_message_id in ('SM' || repeat('c', 32), 'SM' || repeat('d', 32))),
          array['SM' || repeat('d', 32)], 'and keeps the recent one');

select * from finish();
rollback;
