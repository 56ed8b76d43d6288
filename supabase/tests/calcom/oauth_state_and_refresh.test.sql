-- The Cal.com OAuth state works once, for the user it was issued to, before it expires; only the
-- functions (service role) may use it up or touch tokens; a token refresh is claimed by one caller.
begin;
select plan(17);

insert into auth.users (id, email, email_confirmed_at)
values ('0c0c0000-0000-4000-8000-00000000000a', 'oauth-owner@calcom.pgtap', now());

-- ---------------------------------------------------------------------------
-- Starting: a signed-in user records the hash of a state for themselves
-- ---------------------------------------------------------------------------

select tests.act_as_role('anon');
select throws_ok($$ select public.calcom_start_oauth(repeat('a', 64)) $$, '42501', null, 'anonymous callers cannot start a connection');

select tests.act_as_role('authenticated', '0c0c0000-0000-4000-8000-00000000000a');
select cmp_ok(public.calcom_start_oauth(repeat('a', 64)), '>', now(), 'a signed-in user starts one and learns when it expires');
select throws_ok($$ select public.calcom_start_oauth('not-a-hash') $$, '23514', null, 'only a SHA-256 hex digest is stored');
select throws_ok($$ select * from public.calcom_consume_oauth_state(repeat('a', 64)) $$, '42501', null, 'users cannot use up states themselves');
select throws_ok($$ select public.calcom_save_connection('0c0c0000-0000-4000-8000-00000000000a', '{}', 'x', 'y', 'k', now(), '{}') $$,
  '42501', null, 'users cannot write connections');

-- ---------------------------------------------------------------------------
-- Using it up (the callback, as the service role)
-- ---------------------------------------------------------------------------

select tests.act_as_role('service_role');
select results_eq($$ select user_id, problem from public.calcom_consume_oauth_state(repeat('a', 64)) $$,
  $$ values ('0c0c0000-0000-4000-8000-00000000000a'::uuid, null::text) $$, 'the first use answers the user it was issued to');
select results_eq($$ select user_id, problem from public.calcom_consume_oauth_state(repeat('a', 64)) $$,
  $$ values (null::uuid, 'already_used'::text) $$, 'a second use is refused as already used');
select results_eq($$ select user_id, problem from public.calcom_consume_oauth_state(repeat('b', 64)) $$,
  $$ values (null::uuid, 'unknown'::text) $$, 'a state never issued is unknown');

reset role;
insert into private.calcom_oauth_states (state_hash, user_id, created_at, expires_at)
values (repeat('c', 64), '0c0c0000-0000-4000-8000-00000000000a', now() - interval '20 minutes', now() - interval '10 minutes');
select tests.act_as_role('service_role');
select results_eq($$ select user_id, problem from public.calcom_consume_oauth_state(repeat('c', 64)) $$,
  $$ values (null::uuid, 'expired'::text) $$, 'an expired state is refused as expired');

-- ---------------------------------------------------------------------------
-- Token refresh: claimed by one caller; stored only over the refresh token it replaced
-- ---------------------------------------------------------------------------

select isnt(public.calcom_save_connection('0c0c0000-0000-4000-8000-00000000000a',
  '{"external_user_id": "77", "external_username": "pgtap", "default_event_type_id": 501}', 'access-1', 'refresh-1', 'k_test', now() + interval '30 minutes', '{BOOKING_READ}'),
  null, 'the service role stores a connection');
select ok(public.calcom_claim_token_refresh(
  (select id from public.integrations where user_id = '0c0c0000-0000-4000-8000-00000000000a'), 'refresh-1'), 'the first caller claims the refresh');
select ok(not public.calcom_claim_token_refresh(
  (select id from public.integrations where user_id = '0c0c0000-0000-4000-8000-00000000000a'), 'refresh-1'), 'a second caller cannot claim it meanwhile');
select ok(not public.calcom_save_refreshed_tokens(
  (select id from public.integrations where user_id = '0c0c0000-0000-4000-8000-00000000000a'), 'refresh-0', 'a', 'b', 'k_test', now()),
  'tokens refreshed from a stale refresh token are not stored');
select ok(public.calcom_save_refreshed_tokens(
  (select id from public.integrations where user_id = '0c0c0000-0000-4000-8000-00000000000a'), 'refresh-1', 'access-2', 'refresh-2', 'k_test', now() + interval '30 minutes'),
  'tokens refreshed from the current refresh token are stored');
select results_eq(
  $$ select refresh_token_encrypted, token_refresh_claimed_until from public.integrations where user_id = '0c0c0000-0000-4000-8000-00000000000a' $$,
  $$ values ('refresh-2'::text, null::timestamptz) $$, 'storing them ends the claim');

select ok(public.calcom_mark_needs_reauth(
  (select id from public.integrations where user_id = '0c0c0000-0000-4000-8000-00000000000a'), 'refresh-2', 'invalid_grant'),
  'a refused refresh token marks the connection as needing a new consent');
reset role; -- functions never read ops_alerts; the test reads what the call left
select results_eq(
  $$ select i.status, a.kind from public.integrations i join public.ops_alerts a on a.user_id = i.user_id
     where i.user_id = '0c0c0000-0000-4000-8000-00000000000a' $$,
  $$ values ('needs_reauth'::text, 'calcom_needs_reauth'::text) $$, 'and alerts operators');

select * from finish();
rollback;
