-- Cal.com bookings into appointments: attribution order, the unattributed case kept and alerted
-- once, late events ignored, the agent's booking intents settled once, and owners kept from
-- changing a Cal.com booking's time behind Cal.com's back.
begin;
select plan(17);

create function pg_temp.booking(uid text, organizer jsonb, extra jsonb default '{}') returns jsonb
language sql
as $$
  select jsonb_build_object('uid', uid, 'start_at', '2031-03-04T15:00:00Z', 'end_at', '2031-03-04T16:00:00Z',
                            'organizer', organizer, 'customer_name', 'Pat Caller', 'customer_phone', '+15551239876') || extra
$$;

insert into auth.users (id, email, email_confirmed_at) values
  ('0c0c0000-0000-4000-8000-0000000000b1', 'by-id@calcom.pgtap', now()),
  ('0c0c0000-0000-4000-8000-0000000000b2', 'by-username@calcom.pgtap', now()),
  ('0c0c0000-0000-4000-8000-0000000000b3', 'by-email@calcom.pgtap', now()),
  ('0c0c0000-0000-4000-8000-0000000000b4', 'profile@calcom.pgtap', now());
insert into public.integrations (user_id, provider, external_user_id, external_username, external_email) values
  ('0c0c0000-0000-4000-8000-0000000000b1', 'calcom', '880001', 'someone-else', 'someone@calcom.pgtap'),
  ('0c0c0000-0000-4000-8000-0000000000b2', 'calcom', '880002', 'Pgtap-Owner', 'other@calcom.pgtap'),
  ('0c0c0000-0000-4000-8000-0000000000b3', 'calcom', '880003', 'third', 'owner@calcom.pgtap');

-- ---------------------------------------------------------------------------
-- Attribution: Cal.com user id, then username, then email (connection, then profile)
-- ---------------------------------------------------------------------------

select results_eq($$ select user_id, matched_by from private.calcom_booking_owner('{"id": 880001, "username": "pgtap-owner", "email": "owner@calcom.pgtap"}') $$,
  $$ values ('0c0c0000-0000-4000-8000-0000000000b1'::uuid, 'calcom_user_id'::text) $$, 'the stored Cal.com user id wins');
select results_eq($$ select user_id, matched_by from private.calcom_booking_owner('{"id": 1, "username": "pgtap-owner", "email": "owner@calcom.pgtap"}') $$,
  $$ values ('0c0c0000-0000-4000-8000-0000000000b2'::uuid, 'calcom_username'::text) $$, 'then the username, in any case');
select results_eq($$ select user_id, matched_by from private.calcom_booking_owner('{"id": 1, "username": "nobody", "email": "OWNER@calcom.pgtap"}') $$,
  $$ values ('0c0c0000-0000-4000-8000-0000000000b3'::uuid, 'calcom_email'::text) $$, 'then the connection''s email');
select results_eq($$ select user_id, matched_by from private.calcom_booking_owner('{"username": "nobody", "email": "profile@calcom.pgtap"}') $$,
  $$ values ('0c0c0000-0000-4000-8000-0000000000b4'::uuid, 'profile_email'::text) $$, 'then the business''s account email');
select is_empty($$ select * from private.calcom_booking_owner('{"id": 1, "username": "nobody", "email": "nobody@calcom.pgtap"}') $$,
  'nobody matches a stranger');

-- ---------------------------------------------------------------------------
-- Unattributed bookings are kept and alerted once; late events are ignored
-- ---------------------------------------------------------------------------

select tests.act_as_role('service_role');
select is(public.calcom_ingest_booking_event('e1', 'BOOKING_CREATED', '2031-01-01T10:00:00Z',
            pg_temp.booking('pgtap-stranger', '{"id": 1, "username": "nobody"}')) ->> 'outcome', 'inserted', 'a stranger''s booking is kept');
select is(public.calcom_ingest_booking_event('e1', 'BOOKING_CREATED', '2031-01-01T10:00:00Z',
            pg_temp.booking('pgtap-stranger', '{"id": 1, "username": "nobody"}')) ->> 'outcome', 'duplicate', 'the same event again does nothing');
select is(public.calcom_ingest_booking_event('e2', 'BOOKING_CANCELLED', '2031-01-01T11:00:00Z',
            pg_temp.booking('pgtap-stranger', '{"id": 1, "username": "nobody"}')) ->> 'outcome', 'updated', 'its cancellation applies');
select is(public.calcom_ingest_booking_event('e3', 'BOOKING_CREATED', '2031-01-01T09:00:00Z',
            pg_temp.booking('pgtap-stranger', '{"id": 1, "username": "nobody"}')) ->> 'outcome', 'stale', 'an older event arriving late is ignored');
reset role; -- what the events left, read as the database sees it (functions only call the RPC)
select results_eq($$ select user_id, source, status from public.appointments where calcom_booking_uid = 'pgtap-stranger' $$,
  $$ values (null::uuid, 'calcom'::text, 'cancelled'::text) $$, 'the booking stays unattributed and cancelled');
select results_eq($$ select count(*)::int from public.ops_alerts where dedupe_key = 'calcom_unattributed_booking:pgtap-stranger' $$,
  $$ values (1) $$, 'operators are alerted once');
select is_empty($$ select 1 from public.webhook_queue where dedupe_key like '%pgtap-stranger' $$, 'nothing goes to any outbox');

-- ---------------------------------------------------------------------------
-- The agent's booking intent: claimed once, settled by the booking
-- ---------------------------------------------------------------------------

insert into public.calls (call_id, user_id) values ('call_pgtap_booking', '0c0c0000-0000-4000-8000-0000000000b1');
select tests.act_as_role('service_role');
select results_eq($$ select status, claimed, earlier_attempt_uncertain from public.calcom_claim_booking_intent(
    '0c0c0000-0000-4000-8000-0000000000b1', 'call_pgtap_booking', '2031-03-04T15:00:00Z', 501, 'Pat Caller', '+15551239876') $$,
  $$ values ('pending'::text, true, false) $$, 'the first attempt claims the intent');
select results_eq($$ select claimed from public.calcom_claim_booking_intent(
    '0c0c0000-0000-4000-8000-0000000000b1', 'call_pgtap_booking', '2031-03-04T15:00:00Z', 501, 'Pat Caller', '+15551239876') $$,
  $$ values (false) $$, 'a second delivery while it runs does not');
select is(public.calcom_apply_booking_change('created', pg_temp.booking('pgtap-ai', '{"id": 880001}',
            jsonb_build_object('intent_id', (select intent_id from public.calcom_claim_booking_intent(
              '0c0c0000-0000-4000-8000-0000000000b1', 'call_pgtap_booking', '2031-03-04T15:00:00Z', 501, 'Pat Caller', '+15551239876'))))) ->> 'matched_by',
  'booking_intent', 'the booking settles the intent and belongs to its business');
select results_eq($$ select status, claimed, appointment_id is not null from public.calcom_claim_booking_intent(
    '0c0c0000-0000-4000-8000-0000000000b1', 'call_pgtap_booking', '2031-03-04T15:00:00Z', 501, 'Pat Caller', '+15551239876') $$,
  $$ values ('booked'::text, false, true) $$, 'a retry finds it booked');

-- ---------------------------------------------------------------------------
-- Owners may not move or cancel a Cal.com booking directly
-- ---------------------------------------------------------------------------

select tests.act_as_role('authenticated', '0c0c0000-0000-4000-8000-0000000000b1');
select throws_ok($$ update public.appointments set start_at = start_at + interval '1 day' where calcom_booking_uid = 'pgtap-ai' $$,
  '42501', null, 'moving a Cal.com booking directly is refused');

select * from finish();
rollback;
