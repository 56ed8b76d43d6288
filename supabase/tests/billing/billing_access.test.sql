-- Who reads what of billing: the catalog is public, the subscription summary and top-up purchases
-- are the owner's, and only the service role may apply Stripe events.
begin;
select plan(17);

select tests.name_people('owner', 'stranger');

insert into auth.users (id, email, email_confirmed_at)
select tests.id(name), 'access-' || name || '-' || tests.id(name) || '@access.test', now()
from unnest(array['owner', 'stranger']) as name;
insert into public.subscriptions (user_id, stripe_customer_id, stripe_subscription_id, plan, status, current_period_start, current_period_end)
values (tests.id('owner'), 'cus_access_' || tests.id('owner'), 'sub_access_' || tests.id('owner'), 'pro', 'active',
        now() - interval '1 day', now() + interval '29 days');
select private.sync_usage_limits(tests.id('owner'));
select is(public.stripe_apply_topup('evt_access_' || tests.id('owner'), 'checkout.session.completed', tests.id('owner'),
  'cs_access_' || tests.id('owner'), 'call_300') ->> 'outcome', 'applied', 'the owner bought a top-up');
insert into public.usage_calls (user_id, call_id, duration_seconds, billable_minutes)
values (tests.id('owner'), 'access_call_' || tests.id('owner'), 7200, 120);

-- ---------------------------------------------------------------------------
-- The catalog
-- ---------------------------------------------------------------------------

set local role anon;
select results_eq($$ select id, call_minutes, sms, overage_policy from public.plans order by sort_order $$,
  $$ values ('core'::text, 200, 200, 'block'::text), ('pro', 500, 500, 'block'), ('elite', 1000, 1000, 'block'), ('scale', 2500, 2500, 'allow') $$,
  'anyone reads the plans with their allowances and overage policy');
select results_eq($$ select id, call_minutes, sms from public.topup_products order by id $$,
  $$ values ('call_300'::text, 300, 0), ('call_800', 800, 0), ('sms_1000', 0, 1000), ('sms_500', 0, 500) $$,
  'anyone reads the top-up products');
select throws_ok($$ insert into public.plans (id, name, call_minutes, sms, overage_policy, sort_order) values ('free', 'Free', 9999, 0, 'allow', 9) $$,
  '42501', null, 'nobody changes the catalog through the API');
reset role;

-- ---------------------------------------------------------------------------
-- The owner's summary and purchases
-- ---------------------------------------------------------------------------

select tests.act_as('owner');
select is(
  (select (plan, plan_name, status, call_minutes_allowance, call_minutes_used, call_minutes_left, topup_call_minutes, sms_left)
   from public.subscription_status()),
  ('pro'::text, 'Pro'::text, 'active'::text, 500, 120, 680, 300, 500),
  'subscription_status gives plan, status, allowance, usage and what is left including top-up credits');
select is((select count(*) from public.topup_purchases), 1::bigint, 'the owner reads their top-up purchase');
select is((select (user_id, email, stripe_customer_id, subscription_status) from public.billing_customer()),
  (tests.id('owner'), 'access-owner-' || tests.id('owner') || '@access.test', 'cus_access_' || tests.id('owner'), 'active'::text),
  'billing_customer names the caller, their Stripe customer and subscription status');

select tests.act_as('stranger');
select is_empty($$ select * from public.subscription_status() $$, 'another user sees no subscription of the owner');
select is_empty($$ select * from public.topup_purchases $$, 'nor their top-up purchases');
select is((select (stripe_customer_id, subscription_status) from public.billing_customer()), (null::text, null::text),
  'a user without a subscription has no Stripe customer yet');
select throws_ok($$ update public.usage_limits set topup_call_minutes = 99999 $$, '42501', null,
  'a user cannot grant themselves credits');
reset role;

-- ---------------------------------------------------------------------------
-- Stripe RPCs: service role only
-- ---------------------------------------------------------------------------

select ok(not has_function_privilege('authenticated', 'public.stripe_apply_subscription(text, text, timestamptz, jsonb, boolean)', 'execute'),
  'a signed-in user cannot apply a subscription event');
select ok(not has_function_privilege('anon', 'public.stripe_apply_topup(text, text, uuid, text, text)', 'execute'),
  'an anonymous caller cannot grant a top-up');
select ok(not has_function_privilege('authenticated', 'public.stripe_apply_payment_failed(text, text, timestamptz, jsonb)', 'execute'),
  'nor apply a failed payment');
select ok(not has_function_privilege('authenticated', 'public.stripe_event_processed(text)', 'execute'),
  'nor mark an event processed');
select ok(not has_function_privilege('anon', 'public.subscription_status()', 'execute')
          and not has_function_privilege('anon', 'public.billing_customer()', 'execute'),
  'an anonymous caller cannot read billing state');
select ok(has_function_privilege('service_role', 'public.stripe_apply_subscription(text, text, timestamptz, jsonb, boolean)', 'execute'),
  'the service role (the webhook function) can');

select * from finish();
rollback;
