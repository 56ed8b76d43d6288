-- Usage caps: recording a call or an SMS charges the plan allowance first, then top-up credits,
-- records the split on the ledger row, and private.usage_check refuses once both are used (unless
-- the plan allows overage).
begin;
select plan(28);

create function pg_temp.limits(person text) returns public.usage_limits
language sql stable
as $$ select * from public.usage_limits where user_id = tests.id(person) $$;

-- usage_check's answer as one word pair, e.g. 'allowed ok' or 'refused over_cap'.
create function pg_temp.check(person text, kind text) returns text
language sql stable
as $$ select case when allowed then 'allowed ' else 'refused ' end || reason from private.usage_check(tests.id(person), kind) $$;

select tests.name_people('core', 'scale', 'canceled', 'past_due', 'unsubscribed');

insert into auth.users (id, email, email_confirmed_at)
select tests.id(name), 'caps-' || name || '-' || tests.id(name) || '@caps.test', now()
from unnest(array['core', 'scale', 'canceled', 'past_due', 'unsubscribed']) as name;

insert into public.subscriptions (user_id, stripe_subscription_id, plan, status, current_period_start, current_period_end)
select tests.id(v.name), 'sub_caps_' || tests.id(v.name), v.plan, v.status, now() - interval '5 days', now() + interval '25 days'
from (values ('core', 'core', 'active'), ('scale', 'scale', 'active'), ('canceled', 'core', 'canceled'), ('past_due', 'core', 'past_due'))
  as v(name, plan, status);
select private.sync_usage_limits(tests.id(name)) from unnest(array['core', 'scale', 'canceled', 'past_due']) as name;

select is((pg_temp.limits('core')).call_minutes_allowance, 200, 'the period gets the plan''s call minutes');
select is((pg_temp.limits('core')).sms_allowance, 200, 'and its SMS');

-- ---------------------------------------------------------------------------
-- Plan minutes first
-- ---------------------------------------------------------------------------

insert into public.usage_calls (user_id, call_id, duration_seconds, billable_minutes)
values (tests.id('core'), 'caps_call_1_' || tests.id('core'), 8940, 150);
select is(((pg_temp.limits('core')).call_minutes_used, (pg_temp.limits('core')).calls_count), (150, 1),
  'a recorded call is charged to the period in the same transaction');
select is((select (plan_minutes, topup_minutes) from public.usage_calls where call_id = 'caps_call_1_' || tests.id('core')),
  (150, 0), 'the call records that the plan paid for it');
select is(pg_temp.check('core', 'call'), 'allowed ok',
  'with plan minutes left another call may start');

-- ---------------------------------------------------------------------------
-- Then top-up credits
-- ---------------------------------------------------------------------------

select is(public.stripe_apply_topup('evt_caps_topup_' || tests.id('core'), 'checkout.session.completed',
  tests.id('core'), 'cs_caps_' || tests.id('core'), 'call_300') ->> 'outcome', 'applied', 'a paid top-up is applied');
select is((pg_temp.limits('core')).topup_call_minutes, 300, 'a top-up adds its credits');

insert into public.usage_calls (user_id, call_id, duration_seconds, billable_minutes)
values (tests.id('core'), 'caps_call_2_' || tests.id('core'), 6000, 100);
select is((select (plan_minutes, topup_minutes) from public.usage_calls where call_id = 'caps_call_2_' || tests.id('core')),
  (50, 50), 'a call crossing the allowance is paid by the plan up to it, then by top-up credits');
select is(((pg_temp.limits('core')).call_minutes_used, (pg_temp.limits('core')).topup_call_minutes), (200, 250),
  'the plan allowance is used up, the credits are reduced');
select is((pg_temp.limits('core')).cap_reached_at, null, 'no cap while credits remain');
select is(pg_temp.check('core', 'call'), 'allowed ok',
  'with the allowance used but credits left another call may start');

-- The last call runs past everything: 250 credits, then 50 minutes beyond the cap.
insert into public.usage_calls (user_id, call_id, duration_seconds, billable_minutes)
values (tests.id('core'), 'caps_call_3_' || tests.id('core'), 18000, 300);
select is((select (plan_minutes, topup_minutes) from public.usage_calls where call_id = 'caps_call_3_' || tests.id('core')),
  (50, 250), 'credits pay what they can; the rest counts against the period');
select is(((pg_temp.limits('core')).call_minutes_used, (pg_temp.limits('core')).topup_call_minutes, (pg_temp.limits('core')).calls_count),
  (250, 0, 3), 'billable minutes = plan minutes + top-up minutes, in the counters too');
select isnt((pg_temp.limits('core')).cap_reached_at, null, 'the cap is reached once allowance and credits are used');
select is(pg_temp.check('core', 'call'), 'refused over_cap',
  'a block plan refuses the next call once allowance and top-up are used');

-- ---------------------------------------------------------------------------
-- What is not charged
-- ---------------------------------------------------------------------------

insert into public.usage_calls (user_id, call_id, duration_seconds, billable_minutes)
values (tests.id('core'), 'caps_call_1_' || tests.id('core'), 60, 1)
on conflict (call_id) do nothing;
select is((pg_temp.limits('core')).calls_count, 3, 'a redelivered call (insert ... on conflict do nothing) charges nothing');

insert into public.usage_calls (user_id, call_id, duration_seconds, billable_minutes, occurred_at)
values (tests.id('core'), 'caps_call_old_' || tests.id('core'), 600, 10, now() - interval '40 days');
select is((pg_temp.limits('core')).calls_count, 3, 'a call from before the period is not charged to it');
select is((select (plan_minutes, topup_minutes) from public.usage_calls where call_id = 'caps_call_old_' || tests.id('core')),
  (10, 0), 'and it still records billable = plan + top-up');

-- ---------------------------------------------------------------------------
-- SMS: segments, with the same order
-- ---------------------------------------------------------------------------

insert into public.usage_sms (user_id, message_id, direction, segments)
values (tests.id('core'), 'caps_sms_1_' || tests.id('core'), 'outbound', 3);
select is((pg_temp.limits('core')).sms_used, 3, 'an SMS is charged by its segments');
select is(pg_temp.check('core', 'sms'), 'allowed ok',
  'SMS are allowed while the SMS allowance lasts, whatever the call minutes');

insert into public.usage_sms (user_id, message_id, direction, segments)
select tests.id('core'), 'caps_sms_bulk_' || g || '_' || tests.id('core'), 'outbound', 20
from generate_series(1, 10) as g;
select is((pg_temp.limits('core')).sms_used, 203, 'SMS past the allowance count against the period');
select is(pg_temp.check('core', 'sms'), 'refused over_cap',
  'once the SMS allowance is used (and no SMS credits) the next SMS is refused');
select is((select sum(from_plan) from public.usage_sms where user_id = tests.id('core')), 203::bigint,
  'without SMS credits every segment is counted against the period');

-- ---------------------------------------------------------------------------
-- Overage policy and subscription state
-- ---------------------------------------------------------------------------

insert into public.usage_calls (user_id, call_id, duration_seconds, billable_minutes)
values (tests.id('scale'), 'caps_call_scale_' || tests.id('scale'), 150000, 2500);
select is(pg_temp.check('scale', 'call'), 'allowed overage',
  'a plan that allows overage keeps taking calls past its allowance');
select is(pg_temp.check('canceled', 'call'), 'refused subscription_inactive',
  'a canceled subscription takes no calls');
select is(pg_temp.check('past_due', 'call'), 'allowed ok',
  'past_due keeps answering while Stripe retries the charge');
select is(pg_temp.check('unsubscribed', 'sms'), 'refused no_subscription',
  'without a subscription nothing is allowed');
select throws_ok($$ select * from private.usage_check(tests.id('core'), 'fax') $$, '22023', null,
  'an unknown usage kind is an error, not a silent refusal');

select * from finish();
rollback;
