-- Reconciliation rebuilds every business's period counters from the usage ledgers, records what it
-- corrected, changes nothing the second time, runs nightly from pg_cron, and admins can queue one
-- that a minute job completes.
-- (That an overlapping run is skipped needs two sessions: tests/billing/reconciliation.test.ts.)
begin;
select plan(20);

create function pg_temp.limits(person text) returns public.usage_limits
language sql stable
as $$ select * from public.usage_limits where user_id = tests.id(person) $$;

select tests.name_people('drifted', 'exact', 'admin');

insert into auth.users (id, email, email_confirmed_at)
select tests.id(name), 'reconcile-' || name || '-' || tests.id(name) || '@reconcile.test', now()
from unnest(array['drifted', 'exact', 'admin']) as name;
insert into private.admin_emails (email) select lower(email) from auth.users where id = tests.id('admin');

insert into public.subscriptions (user_id, plan, status, current_period_start, current_period_end)
select tests.id(name), 'core', 'active', now() - interval '5 days', now() + interval '25 days'
from unnest(array['drifted', 'exact']) as name;
select private.sync_usage_limits(tests.id(name)) from unnest(array['drifted', 'exact']) as name;

-- Usage recorded through the ledgers (the trigger keeps the counters right) ...
insert into public.usage_calls (user_id, call_id, duration_seconds, billable_minutes)
select tests.id(name), 'reconcile_call_' || g || '_' || tests.id(name), 600, 10
from unnest(array['drifted', 'exact']) as name, generate_series(1, 3) as g;
insert into public.usage_sms (user_id, message_id, direction, segments)
select tests.id(name), 'reconcile_sms_' || g || '_' || tests.id(name), 'outbound', 2
from unnest(array['drifted', 'exact']) as name, generate_series(1, 4) as g;
-- ... and a call of an earlier period, which belongs to no current counter.
insert into public.usage_calls (user_id, call_id, duration_seconds, billable_minutes, occurred_at)
values (tests.id('drifted'), 'reconcile_call_old_' || tests.id('drifted'), 6000, 100, now() - interval '45 days');

-- Drift: counters that disagree with the ledgers, as a lost update or a manual edit would leave them.
update public.usage_limits
set call_minutes_used = 195, calls_count = 1, sms_used = 0
where user_id = tests.id('drifted');

create temporary table runs as select 1 as n, * from private.reconcile_usage('test');

select is((select status from runs where n = 1), 'completed', 'a run completes');
select is((select (call_minutes_used, calls_count, sms_used) from pg_temp.limits('drifted')), (30, 3, 8),
  'the drifted counters equal the ledgers of the period again');
select is((pg_temp.limits('drifted')).cap_reached_at, null, 'and the cap follows the corrected minutes');
select is((select (call_minutes_used, calls_count, sms_used) from pg_temp.limits('exact')), (30, 3, 8),
  'counters that were right stay right');
select is(
  (select c from runs, jsonb_array_elements(changes) c where n = 1 and c ->> 'user_id' = tests.id('drifted')::text),
  jsonb_build_object('user_id', tests.id('drifted'), 'call_minutes_used', jsonb_build_array(195, 30),
                     'calls_count', jsonb_build_array(1, 3), 'sms_used', jsonb_build_array(0, 8)),
  'the run records each corrected counter as [was, now]');
select ok(not (select changes @> jsonb_build_array(jsonb_build_object('user_id', tests.id('exact'))) from runs where n = 1),
  'a business without drift is not listed');
select cmp_ok((select users_checked from runs where n = 1), '>=', 2, 'every business with usage limits is checked');
select cmp_ok((select users_corrected from runs where n = 1), '>=', 1, 'users_corrected counts the corrections');

insert into runs select 2, * from private.reconcile_usage('test');
select ok(not (select changes @> jsonb_build_array(jsonb_build_object('user_id', tests.id('drifted'))) from runs where n = 2),
  'a second run changes nothing for the corrected business');
select is((select (call_minutes_used, calls_count, sms_used) from pg_temp.limits('drifted')), (30, 3, 8),
  'and leaves its counters as they are');

-- ---------------------------------------------------------------------------
-- Schedule
-- ---------------------------------------------------------------------------

select is((select schedule from cron.job where jobname = 'nightly-reconciliation'), '0 3 * * *',
  'pg_cron runs reconciliation at 03:00 every night');
select matches((select command from private.cron_jobs where name = 'nightly-reconciliation'), 'private\.reconcile_usage\(''cron''\)',
  'the job runs the reconciliation as cron');

-- ---------------------------------------------------------------------------
-- Admins trigger it and read the runs
-- ---------------------------------------------------------------------------

select tests.act_as('exact');
select throws_ok($$ select public.admin_trigger_reconciliation() $$, '42501', 'admin only', 'an owner cannot trigger reconciliation');
select is_empty($$ select 1 from public.reconciliation_runs $$, 'nor read the runs');

select tests.act_as('admin');
create temporary table admin_run as select * from public.admin_trigger_reconciliation();
select is((select (triggered_by, triggered_by_user_id, status, finished_at) from admin_run),
  ('admin'::text, tests.id('admin'), 'queued'::text, null::timestamptz),
  'an admin queues a run, recorded as theirs, and gets it back before any work is done');
select ok(exists (
    select 1 from public.audit_logs a join public.reconciliation_runs r on r.id::text = a.target_id
    where a.actor_user_id = tests.id('admin') and a.action = 'reconciliation.trigger' and r.triggered_by = 'admin'
  ), 'the trigger is audited, and the admin reads the run');

reset role;
select is((select schedule from cron.job where jobname = 'run-queued-reconciliations'), '* * * * *',
  'pg_cron looks for queued runs every minute');
select is(private.run_queued_reconciliations(), 1, 'the job completes the queued run');
select is((select (status, users_checked > 0, finished_at is not null) from public.reconciliation_runs where id = (select id from admin_run)),
  ('completed'::text, true, true), 'in the row the admin was given');
select is(private.run_queued_reconciliations(), 0, 'and finds nothing left to do the next minute');

select * from finish();
rollback;
