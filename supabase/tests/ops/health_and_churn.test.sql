-- Health scores and churn alerts: every subscribed business gets a score with its factors; an
-- inactive business, a failed payment or a scheduled cancellation raises its alert once, and the
-- alert resolves when the business recovers; admins list, acknowledge and resolve (audited).
begin;
select plan(20);

select tests.name_people('thriving', 'quiet', 'newcomer', 'unsubscribed', 'admin');
insert into auth.users (id, email, email_confirmed_at, last_sign_in_at)
select tests.id(name), 'health-' || name || '-' || tests.id(name) || '@health.test', now(),
       case when name = 'quiet' then now() - interval '40 days' else now() - interval '1 day' end
from unnest(array['thriving', 'quiet', 'newcomer', 'unsubscribed', 'admin']) as name;
insert into private.admin_emails (email) select lower(email) from auth.users where id = tests.id('admin');

-- Established businesses were made long ago; the newcomer this week.
update public.profiles set created_at = now() - interval '90 days', business_name = 'Biz', industry = 'hvac', area_code = '303'
where id in (tests.id('thriving'), tests.id('quiet'), tests.id('unsubscribed'));
update public.profiles set created_at = now() - interval '3 days' where id = tests.id('newcomer');
insert into public.subscriptions (user_id, plan, status, current_period_start, current_period_end)
select tests.id(name), 'pro', 'active', now() - interval '5 days', now() + interval '25 days'
from unnest(array['thriving', 'quiet', 'newcomer']) as name;

-- The thriving business answered calls this week as in the weeks before, and booked from them.
insert into public.calls (call_id, user_id, status, started_at)
select 'health_call_' || g || '_' || tests.id('thriving'), tests.id('thriving'), 'ended', now() - make_interval(days => g % 30)
from generate_series(1, 40) as g;
insert into public.appointments (user_id, source, customer_name, start_at, end_at)
select tests.id('thriving'), 'ai_call', 'Customer ' || g, now() + interval '1 day', now() + interval '25 hours'
from generate_series(1, 8) as g;
-- The quiet one: nothing for 40 days.
update public.profiles set last_activity_at = null where id = tests.id('quiet');

-- ---------------------------------------------------------------------------
-- Scores
-- ---------------------------------------------------------------------------

select ok(private.run_health_scores() is not null, 'the health-scores job runs');
select results_eq(
  $$ select count(*)::int from public.customer_health_scores where user_id in (tests.id('thriving'), tests.id('quiet'), tests.id('newcomer')) $$,
  $$ values (3) $$, 'every business with a subscription has a score'
);
select is_empty($$ select 1 from public.customer_health_scores where user_id = tests.id('unsubscribed') $$, 'one without a subscription has none');
select results_eq(
  $$ select band, profile, (select sum((f.value ->> 'weight')::int)::int from jsonb_each(factors) f) from public.customer_health_scores where user_id = tests.id('thriving') $$,
  $$ values ('green'::text, 'established'::text, 100) $$, 'a business that answers and books is green, scored on factors whose weights sum to 100'
);
select ok((select score < 50 and band = 'red' from public.customer_health_scores where user_id = tests.id('quiet')),
  'a business with no calls and no sign-in for 40 days is red');
select results_eq(
  $$ select profile, factors ? 'first_call' from public.customer_health_scores where user_id = tests.id('newcomer') $$,
  $$ values ('onboarding'::text, true) $$, 'a business in its first 30 days is scored on onboarding'
);
select ok((select factors -> 'answered_calls' ? 'weekly_baseline' from public.customer_health_scores where user_id = tests.id('thriving')),
  'the factors show the inputs behind the points');
select is((select count(*)::int from public.customer_health_score_history where user_id = tests.id('thriving')), 1, 'each run is kept in the history');
insert into public.customer_health_score_history (user_id, score, band, profile, factors, calculated_at)
values (tests.id('thriving'), 60, 'yellow', 'established', '{}', now() - interval '8 days');
select private.score_businesses();
select ok((select trend_7d > 0 from public.customer_health_scores where user_id = tests.id('thriving')),
  'the trend compares with the score about 7 days ago');
select ok((select last_activity_at > now() - interval '2 days' from public.profiles where id = tests.id('thriving')),
  'last_activity_at is recorded from what the business did');

-- ---------------------------------------------------------------------------
-- Alerts
-- ---------------------------------------------------------------------------

select private.refresh_churn_alerts(array['inactive']);
select private.refresh_churn_alerts(array['inactive']);
select results_eq(
  $$ select reason, status from public.churn_alerts where user_id = tests.id('quiet') and reason in ('inactive', 'low_health') order by reason $$,
  $$ values ('inactive'::text, 'open'::text), ('low_health'::text, 'open'::text) $$,
  'an inactive business gets its alert once, and a red score its own'
);
select is_empty($$ select 1 from public.churn_alerts where user_id = tests.id('thriving') $$, 'a healthy business gets none');

-- The quiet business comes back: a call today.
insert into public.calls (call_id, user_id, status, started_at) values ('health_back_' || tests.id('quiet'), tests.id('quiet'), 'ended', now());
select private.refresh_churn_alerts(array['inactive']);
select is((select status from public.churn_alerts where user_id = tests.id('quiet') and reason = 'inactive'), 'resolved',
  'and the inactivity alert resolves when it is active again');

update public.subscriptions set status = 'past_due' where user_id = tests.id('thriving');
select is((select status from public.churn_alerts where user_id = tests.id('thriving') and reason = 'payment_failed'), 'open',
  'a failed payment raises its alert at once, from the Stripe path');
update public.subscriptions set status = 'active' where user_id = tests.id('thriving');
select is((select status from public.churn_alerts where user_id = tests.id('thriving') and reason = 'payment_failed'), 'resolved',
  'and it resolves when the payment goes through');
update public.subscriptions set cancel_at_period_end = true where user_id = tests.id('newcomer');
select is((select severity from public.churn_alerts where user_id = tests.id('newcomer') and reason = 'cancel_scheduled' and status = 'open'), 'high',
  'a scheduled cancellation raises an alert');

-- ---------------------------------------------------------------------------
-- Admins
-- ---------------------------------------------------------------------------

select tests.act_as('thriving');
select throws_ok($$ select * from public.admin_businesses_at_risk() $$, '42501', null, 'owners cannot list businesses at risk');
select tests.act_as('admin');
select ok((select alerts @> '[{"reason": "low_health"}]' from public.admin_businesses_at_risk() where user_id = tests.id('quiet')),
  'admins list businesses at risk with their reasons');
select is((select status from public.admin_decide_churn_alert(
            (select id from public.churn_alerts where user_id = tests.id('newcomer') and reason = 'cancel_scheduled'), 'acknowledge')),
  'acknowledged', 'an admin acknowledges an alert');
select ok(exists (select 1 from public.audit_logs where action = 'churn_alert.acknowledge' and actor_user_id = tests.id('admin')),
  'which is audited');

select * from finish();
rollback;
