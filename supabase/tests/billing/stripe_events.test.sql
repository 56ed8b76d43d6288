-- Stripe events applied by the RPCs the stripe-webhook function calls: each event once, older
-- events never undoing newer ones, plan changes and period rollovers on usage_limits, top-ups,
-- failed payments, and events we cannot attribute.
begin;
select plan(46);

create function pg_temp.at(seconds integer) returns timestamptz
language sql stable
as $$ select '2026-01-01 00:00:00+00'::timestamptz + make_interval(secs => seconds) $$;

-- A subscription as the function hands it over (read from Stripe, price mapped to a plan).
create function pg_temp.subscription(person text, sub text, plan text, status text, period_days integer default 0, with_user boolean default true)
returns jsonb
language sql stable
as $$
  select jsonb_build_object(
    'user_id', case when with_user then tests.id(person) end,
    'stripe_customer_id', 'cus_' || person || '_' || tests.id(person),
    'stripe_subscription_id', sub || '_' || tests.id(person),
    'plan', plan, 'status', status,
    'current_period_start', now() - interval '3 days' + make_interval(days => period_days),
    'current_period_end', now() + interval '27 days' + make_interval(days => period_days),
    'cancel_at_period_end', false, 'canceled_at', null)
$$;

create function pg_temp.apply(person text, event text, type text, created integer, subscription jsonb, deploy boolean default false)
returns text
language sql
as $$
  select public.stripe_apply_subscription(event || '_' || tests.id(person), type, pg_temp.at(created), subscription, deploy) ->> 'outcome'
$$;

create function pg_temp.sub(person text) returns public.subscriptions
language sql stable
as $$ select * from public.subscriptions where user_id = tests.id(person) $$;

create function pg_temp.limits(person text) returns public.usage_limits
language sql stable
as $$ select * from public.usage_limits where user_id = tests.id(person) $$;

select tests.name_people('buyer', 'late', 'delayed', 'payer', 'ghost');

insert into auth.users (id, email, email_confirmed_at)
select tests.id(name), 'stripe-' || name || '-' || tests.id(name) || '@stripe.test', now()
from unnest(array['buyer', 'late', 'delayed', 'payer']) as name;

-- ---------------------------------------------------------------------------
-- checkout.session.completed: subscription, usage limits, deployment request
-- ---------------------------------------------------------------------------

select is(pg_temp.apply('buyer', 'evt_checkout', 'checkout.session.completed', 100, pg_temp.subscription('buyer', 'sub_1', 'pro', 'active'), true),
  'applied', 'a completed checkout is applied');
select is(((pg_temp.sub('buyer')).plan, (pg_temp.sub('buyer')).status), ('pro'::text, 'active'::text),
  'the subscription row holds the plan and status');
select is((pg_temp.sub('buyer')).last_event_at, pg_temp.at(100), 'and the event time as its watermark');
select is(((pg_temp.limits('buyer')).call_minutes_allowance, (pg_temp.limits('buyer')).sms_allowance), (500, 500),
  'usage limits get the plan''s allowances for the period');
select is((pg_temp.limits('buyer')).period_start, (pg_temp.sub('buyer')).current_period_start, 'for the subscription''s period');
select ok(exists (select 1 from public.agents where user_id = tests.id('buyer')), 'the agent deployment is requested');
select ok(exists (select 1 from public.inbound_webhook_events where provider = 'stripe' and event_id = 'evt_checkout_' || tests.id('buyer')),
  'the event id is recorded');

-- ---------------------------------------------------------------------------
-- Redelivery and order
-- ---------------------------------------------------------------------------

select is(pg_temp.apply('buyer', 'evt_checkout', 'checkout.session.completed', 100, pg_temp.subscription('buyer', 'sub_1', 'core', 'canceled'), true),
  'duplicate', 'the same event id again does nothing');
select is((pg_temp.sub('buyer')).plan, 'pro', 'the redelivery changed nothing');

select is(pg_temp.apply('buyer', 'evt_old', 'customer.subscription.updated', 50, pg_temp.subscription('buyer', 'sub_1', 'core', 'past_due')),
  'stale', 'an event older than the newest applied is stale');
select is(((pg_temp.sub('buyer')).plan, (pg_temp.sub('buyer')).status), ('pro'::text, 'active'::text),
  'a stale event never moves the subscription back');

insert into public.usage_calls (user_id, call_id, duration_seconds, billable_minutes)
values (tests.id('buyer'), 'stripe_call_' || tests.id('buyer'), 1800, 30);
select is(pg_temp.apply('buyer', 'evt_upgrade', 'customer.subscription.updated', 200, pg_temp.subscription('buyer', 'sub_1', 'elite', 'active')),
  'applied', 'a newer plan change is applied');
select is((pg_temp.limits('buyer')).call_minutes_allowance, 1000, 'a plan change changes the allowance at once');
select is((pg_temp.limits('buyer')).call_minutes_used, 30, 'and carries the period''s usage over');
select is(pg_temp.apply('buyer', 'evt_same_second', 'customer.subscription.updated', 200, pg_temp.subscription('buyer', 'sub_1', 'elite', 'active')),
  'applied', 'an event of the same second as the watermark is applied (<=)');

select is(pg_temp.apply('buyer', 'evt_renewal', 'customer.subscription.updated', 300, pg_temp.subscription('buyer', 'sub_1', 'elite', 'active', 30)),
  'applied', 'a renewal is applied');
select is(((pg_temp.limits('buyer')).call_minutes_used, (pg_temp.limits('buyer')).calls_count, (pg_temp.limits('buyer')).sms_used), (0, 0, 0),
  'a new period resets the period counters');
select is((pg_temp.limits('buyer')).period_start, (pg_temp.sub('buyer')).current_period_start, 'usage limits follow the new period');

select is(pg_temp.apply('buyer', 'evt_deleted', 'customer.subscription.deleted', 400, pg_temp.subscription('buyer', 'sub_1', 'elite', 'canceled', 30)),
  'applied', 'a deletion is applied');
select is((pg_temp.sub('buyer')).status, 'canceled', 'the subscription is canceled');

-- ---------------------------------------------------------------------------
-- One subscription row per business
-- ---------------------------------------------------------------------------

select is(pg_temp.apply('buyer', 'evt_checkout_2', 'checkout.session.completed', 500, pg_temp.subscription('buyer', 'sub_2', 'core', 'active', 30), true),
  'applied', 'subscribing again after a cancellation replaces the ended subscription');
select is(((pg_temp.sub('buyer')).stripe_subscription_id, (pg_temp.sub('buyer')).status), ('sub_2_' || tests.id('buyer'), 'active'::text),
  'the row now holds the new subscription');
select is(pg_temp.apply('buyer', 'evt_late_old', 'customer.subscription.updated', 450, pg_temp.subscription('buyer', 'sub_1', 'pro', 'active', 30)),
  'other_subscription', 'a late event of the ended subscription does not touch the live one');
select is(pg_temp.apply('buyer', 'evt_checkout_3', 'checkout.session.completed', 600, pg_temp.subscription('buyer', 'sub_3', 'pro', 'active', 30), true),
  'other_subscription', 'a second live subscription does not replace the first');
select is((select count(*) from public.ops_alerts where user_id = tests.id('buyer') and kind = 'stripe_second_subscription' and resolved_at is null),
  1::bigint, 'it raises one ops alert, for the second subscription only');

-- ---------------------------------------------------------------------------
-- Deployment requests beyond the plain checkout
-- ---------------------------------------------------------------------------

-- Paid by a delayed method: the checkout completes with the subscription incomplete.
select is(pg_temp.apply('delayed', 'evt_checkout', 'checkout.session.completed', 100, pg_temp.subscription('delayed', 'sub_1', 'pro', 'incomplete'), true),
  'applied', 'a checkout whose subscription is still incomplete is applied');
select ok(not exists (select 1 from public.agents where user_id = tests.id('delayed')), 'but deploys nothing yet');
select is(pg_temp.apply('delayed', 'evt_paid', 'customer.subscription.updated', 200, pg_temp.subscription('delayed', 'sub_1', 'pro', 'active')),
  'applied', 'the subscription becomes active');
select ok(exists (select 1 from public.agents where user_id = tests.id('delayed')), 'which requests the deployment');

-- The subscription's first event overtakes its checkout.
select is(pg_temp.apply('late', 'evt_updated', 'customer.subscription.updated', 200, pg_temp.subscription('late', 'sub_1', 'pro', 'active')),
  'applied', 'a subscription event naming its user in metadata is applied before its checkout');
delete from public.agents where user_id = tests.id('late');
select is(pg_temp.apply('late', 'evt_checkout', 'checkout.session.completed', 100, pg_temp.subscription('late', 'sub_1', 'pro', 'active'), true),
  'stale', 'the older checkout is stale for the subscription row');
select ok(exists (select 1 from public.agents where user_id = tests.id('late')), 'but the paid checkout still requests the deployment');

-- ---------------------------------------------------------------------------
-- Top-ups: one purchase per Checkout Session
-- ---------------------------------------------------------------------------

select is(public.stripe_apply_topup('evt_topup_a_' || tests.id('late'), 'checkout.session.completed', tests.id('late'), 'cs_topup_' || tests.id('late'), 'sms_500') ->> 'outcome',
  'applied', 'a top-up checkout adds credits');
select is(public.stripe_apply_topup('evt_topup_b_' || tests.id('late'), 'checkout.session.async_payment_succeeded', tests.id('late'), 'cs_topup_' || tests.id('late'), 'sms_500') ->> 'outcome',
  'duplicate', 'another event about the same Checkout Session adds nothing');
select is((pg_temp.limits('late')).topup_sms, 500, 'the credits were added once');
select throws_ok($$ select public.stripe_apply_topup('evt_topup_c', 'checkout.session.completed', tests.id('late'), 'cs_other', 'sms_9000') $$,
  '22023', 'unknown top-up product sms_9000', 'an unknown product is an error and records nothing');

-- ---------------------------------------------------------------------------
-- invoice.payment_failed
-- ---------------------------------------------------------------------------

select is(pg_temp.apply('payer', 'evt_checkout', 'checkout.session.completed', 100, pg_temp.subscription('payer', 'sub_1', 'core', 'active'), true),
  'applied', 'another business subscribes');
create function pg_temp.payment_failed(event text, created integer) returns jsonb
language sql
as $$
  select public.stripe_apply_payment_failed(event || '_' || tests.id('payer'), 'invoice.payment_failed', pg_temp.at(created), jsonb_build_object(
    'id', 'in_' || tests.id('payer'), 'stripe_subscription_id', 'sub_1_' || tests.id('payer'),
    'stripe_customer_id', 'cus_payer_' || tests.id('payer'), 'amount_due', 4900, 'currency', 'usd',
    'attempt_count', 1, 'next_payment_attempt', now() + interval '3 days', 'hosted_invoice_url', 'https://invoice.test/in'))
$$;

select is(pg_temp.payment_failed('evt_failed', 150) - 'user_id' - 'business_name',
  jsonb_build_object('outcome', 'applied', 'notify_email', 'stripe-payer-' || tests.id('payer') || '@stripe.test'),
  'a failed payment is applied and names whom to email');
select is((pg_temp.sub('payer')).status, 'past_due', 'the subscription is past due');
select is((select count(*) from public.ops_alerts where user_id = tests.id('payer') and kind = 'payment_failed'), 1::bigint,
  'an ops alert is raised');
select is(pg_temp.payment_failed('evt_failed', 150) ->> 'outcome', 'pending',
  'a redelivery before the email is confirmed asks for the email again (its idempotency key stops a second send)');
select public.stripe_event_processed('evt_failed_' || tests.id('payer'));
select is(pg_temp.payment_failed('evt_failed', 150) ->> 'outcome', 'duplicate', 'once the email is confirmed a redelivery does nothing');
select is(pg_temp.payment_failed('evt_failed_again', 160) ->> 'outcome', 'applied', 'a later attempt on the same invoice is a new event');
select is((select count(*) from public.ops_alerts where user_id = tests.id('payer') and kind = 'payment_failed' and resolved_at is null), 1::bigint,
  'but the invoice keeps one open alert');

-- ---------------------------------------------------------------------------
-- Events we cannot attribute
-- ---------------------------------------------------------------------------

select is(pg_temp.apply('ghost', 'evt_ghost', 'customer.subscription.updated', 100, pg_temp.subscription('ghost', 'sub_1', 'pro', 'active', 0, false)),
  'unattributed', 'a subscription nobody holds, without a user in its metadata, is unattributed');
select ok(exists (select 1 from public.ops_alerts where kind = 'stripe_unattributed_event' and dedupe_key = 'stripe_unattributed_event:evt_ghost_' || tests.id('ghost')),
  'and raises an ops alert');

select * from finish();
rollback;
