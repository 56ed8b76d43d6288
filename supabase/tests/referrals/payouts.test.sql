-- Referral rewards and payouts: admins decide referrals, owners ask for the approved total once it
-- reaches the minimum, admins decide the payout, and paying it settles the rewards it covered.
begin;
select plan(23);

select tests.name_people('admin', 'referrer', 'first_referred', 'second_referred', 'bystander', 'first_referral', 'second_referral', 'session');

insert into auth.users (id, email, email_confirmed_at)
select tests.id(person), person || '-' || tests.id(person) || '@payouts.test', now()
from unnest(array['admin', 'referrer', 'first_referred', 'second_referred', 'bystander']) as person;
insert into private.admin_emails (email) select email from auth.users where id = tests.id('admin');
update public.app_settings set value = 'null' where key = 'admin_access_code_hash';
update public.app_settings set value = '[]' where key = 'admin_ip_allowlist';
update public.referral_settings set min_payout_cents = 5000;

insert into public.referrals (id, referrer_user_id, referred_user_id, code, reward_cents)
select tests.id(referral), tests.id('referrer'), tests.id(referred), 'REFCODE1', 3000
from (values ('first_referral', 'first_referred'), ('second_referral', 'second_referred')) as v(referral, referred);

-- ---------------------------------------------------------------------------
-- Deciding referrals
-- ---------------------------------------------------------------------------

select tests.act_as('referrer');
select throws_ok($$ select public.request_payout('paypal', 'me@example.com') $$, '22023', null,
  'with nothing approved a payout is refused');
select throws_ok($$ select public.admin_decide_referral(tests.id('first_referral'), 'approved') $$, '42501', 'admin only',
  'an owner cannot approve their own referral');

select tests.act_as('admin');
select throws_ok($$ select public.admin_decide_referral(tests.id('first_referral'), 'paid') $$, '22023', null,
  'a pending referral cannot be marked paid');
select throws_ok($$ select public.admin_decide_referral(tests.id('first_referral'), 'maybe') $$, '22023', null,
  'an unknown decision is refused');
select is((public.admin_decide_referral(tests.id('first_referral'), 'approved')).status, 'approved', 'an admin approves a referral');
select throws_ok($$ select public.admin_decide_referral(tests.id('first_referral'), 'rejected') $$, '22023', null,
  'a decided referral cannot be decided again');

reset role;
select results_eq(
  $$ select decided_by, r.decided_at is not null, a.on_behalf_of_user_id
     from public.referrals r
     join public.audit_logs a on a.target_table = 'referrals' and a.target_id = r.id::text and a.action = 'referral.approved'
     where r.id = tests.id('first_referral') $$,
  $$ values (tests.id('admin'), true, tests.id('referrer')) $$,
  'the approval records who decided and when, and is audited for the referrer');

-- ---------------------------------------------------------------------------
-- Requesting a payout
-- ---------------------------------------------------------------------------

select tests.act_as('referrer');
select throws_ok($$ select public.request_payout('paypal', 'me@example.com') $$, '22023', null,
  'approved rewards below the minimum cannot be paid out');

select tests.act_as('admin');
select is((public.admin_decide_referral(tests.id('second_referral'), 'approved')).status, 'approved', 'a second referral is approved');

select tests.act_as('referrer');
select throws_ok($$ select public.request_payout('cheque', 'me@example.com') $$, '23514', null, 'an unknown payout method is refused');
select throws_ok($$ select public.request_payout('paypal', ' ') $$, '23514', null, 'a payout needs a destination');
select lives_ok(
  $$ select set_config('test.payout', (public.request_payout('paypal', 'me@example.com')).id::text, true) $$,
  'with the minimum reached the owner requests a payout');
select results_eq($$ select amount_cents, status from public.payout_requests $$, $$ values (6000, 'requested') $$,
  'the payout asks for the whole approved total');
select throws_ok($$ select public.request_payout('paypal', 'me@example.com') $$, '23505', 'a payout request is already open',
  'only one payout request may be open');

select tests.act_as('bystander');
select is_empty($$ select id from public.payout_requests where id = tests.id('payout') $$,
  'another user does not see the payout request');

-- ---------------------------------------------------------------------------
-- Deciding the payout
-- ---------------------------------------------------------------------------

select tests.act_as('referrer');
select throws_ok($$ select public.admin_decide_payout(tests.id('payout'), 'approved') $$, '42501', 'admin only',
  'an owner cannot approve their own payout');
select tests.act_as('admin');
select throws_ok($$ select public.admin_decide_payout(tests.id('payout'), 'paid') $$, '22023', null,
  'a payout must be approved before it is paid');
select is((public.admin_decide_payout(tests.id('payout'), 'approved')).status, 'approved', 'an admin approves the payout');
select is((public.admin_decide_payout(tests.id('payout'), 'paid')).status, 'paid', 'an admin marks it paid');

reset role;
select results_eq($$ select status from public.referrals where referrer_user_id = tests.id('referrer') $$,
  $$ values ('paid'), ('paid') $$, 'paying out settles the rewards it covered');
select is(
  (select count(*)::int from public.audit_logs where target_table = 'payout_requests' and target_id = current_setting('test.payout')
     and actor_user_id = tests.id('admin') and on_behalf_of_user_id = tests.id('referrer') and action in ('payout.approved', 'payout.paid')),
  2, 'each payout decision is audited for the referrer');

-- ---------------------------------------------------------------------------
-- Requested by an impersonating admin: audited like any other impersonated write
-- ---------------------------------------------------------------------------

insert into public.impersonation_sessions (id, admin_user_id, target_user_id, reason, expires_at)
values (tests.id('session'), tests.id('admin'), tests.id('referrer'), 'help with a payout', now() + interval '10 minutes');
update public.referrals set status = 'approved', paid_at = null, reward_cents = 5000 where id = tests.id('first_referral');
select tests.act_as('admin', jsonb_build_object('x-impersonation-session', current_setting('test.session')));
select lives_ok($$ select set_config('test.impersonated_payout', (public.request_payout('bank_transfer', 'IBAN DE00 1234')).id::text, true) $$,
  'an impersonating admin requests a payout for the user');
reset role;
select results_eq(
  $$ select actor_user_id, on_behalf_of_user_id from public.audit_logs
     where action = 'impersonation.insert' and target_table = 'payout_requests' and target_id = current_setting('test.impersonated_payout') $$,
  $$ values (tests.id('admin'), tests.id('referrer')) $$,
  'the payout requested while impersonating is audited for the admin and the user');

select * from finish();
rollback;
