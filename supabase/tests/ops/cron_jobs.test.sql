-- Every cron job of the project is registered, scheduled through the one runner by an idempotent
-- setup, and watched: a failed or missed run raises an ops alert that resolves when the job recovers.
begin;
select plan(13);

-- ---------------------------------------------------------------------------
-- The jobs (README's list)
-- ---------------------------------------------------------------------------

select results_eq(
  $$ select name, schedule from private.cron_jobs order by name $$,
  $$ values ('cron-watch', '*/5 * * * *'), ('health-scores', '7 */6 * * *'), ('inactivity-check', '37 4 * * *'),
            ('kick-due-agent-deployments', '* * * * *'), ('kick-due-emails', '* * * * *'), ('kick-due-webhook-deliveries', '* * * * *'),
            ('kick-queued-sms', '* * * * *'), ('master-agent-health', '*/3 * * * *'), ('master-rollout', '* * * * *'),
            ('nightly-reconciliation', '0 3 * * *'),
            ('prune-calcom-oauth-states', '23 * * * *'), ('prune-logs', '47 2 * * *'),
            ('prune-rate-limit-counters', '17 * * * *'), ('retell-template-sync', '* * * * *'), ('run-queued-reconciliations', '* * * * *'),
            ('webhook-health-check', '*/15 * * * *') $$,
  'the registry holds every job of the project with its schedule'
);
select set_eq(
  $$ select jobname, schedule, command from cron.job $$,
  $$ select name, schedule, format('select private.run_cron_job(%L)', name) from private.cron_jobs $$,
  'pg_cron runs exactly the registered jobs, each through the runner'
);
select private.setup_cron_jobs();
select private.setup_cron_jobs();
select is((select count(*)::int from cron.job), (select count(*)::int from private.cron_jobs), 'setting the jobs up again changes nothing');
select throws_ok($$ select private.run_cron_job('no-such-job') $$, '22023', null, 'the runner refuses a job that is not registered');
select lives_ok($$ select private.run_cron_job('prune-logs') $$, 'the runner runs a registered job');

-- ---------------------------------------------------------------------------
-- cron-watch
-- ---------------------------------------------------------------------------

create function pg_temp.run(job text, status text, started timestamptz, message text default null) returns void
language sql as $$
  insert into cron.job_run_details (jobid, runid, job_pid, database, username, command, status, return_message, start_time, end_time)
  select c.jobid, nextval('cron.runid_seq'), 0, 'postgres', 'postgres', c.command, status, message, started, started + interval '1 second'
  from cron.job c where c.jobname = job
$$;
-- Every job ran a minute ago, so only what a test adds is a problem.
select pg_temp.run(name, 'succeeded', now() - interval '1 minute') from private.cron_jobs;

select is((private.watch_cron_jobs() ->> 'raised')::int, 0, 'jobs that ran on time raise nothing');

select pg_temp.run('prune-logs', 'failed', now() - interval '30 seconds', 'ERROR:  division by zero');
select is((private.watch_cron_jobs() ->> 'raised')::int, 1, 'a failed run raises an alert in one cron-watch run');
select results_eq(
  $$ select kind, severity, details ->> 'job' from public.ops_alerts where dedupe_key = 'cron_job_failed:prune-logs' and resolved_at is null $$,
  $$ values ('cron_job_failed'::text, 'critical'::text, 'prune-logs'::text) $$,
  'the alert names the job'
);
select is((private.watch_cron_jobs() ->> 'raised')::int, 0, 'and it is raised once while the job keeps failing');

select pg_temp.run('prune-logs', 'succeeded', now());
select private.watch_cron_jobs();
select ok((select resolved_at is not null from public.ops_alerts where dedupe_key = 'cron_job_failed:prune-logs'),
  'a successful run resolves it');

-- A job that should have started and did not (the registry is told it was scheduled long ago).
update private.cron_jobs set registered_at = now() - interval '2 days' where name = 'inactivity-check';
delete from cron.job_run_details where jobid = (select jobid from cron.job where jobname = 'inactivity-check');
select private.watch_cron_jobs();
select ok(exists (select 1 from public.ops_alerts where dedupe_key = 'cron_job_missed:inactivity-check' and resolved_at is null),
  'a job that has not started within its max gap raises a missed-run alert');
select pg_temp.run('inactivity-check', 'succeeded', now());
select private.watch_cron_jobs();
select ok((select resolved_at is not null from public.ops_alerts where dedupe_key = 'cron_job_missed:inactivity-check'),
  'which resolves once it runs');

-- ---------------------------------------------------------------------------
-- Retention
-- ---------------------------------------------------------------------------

insert into public.error_logs (source, message, created_at) values ('test', 'old', now() - interval '91 days'), ('test', 'recent', now());
select pg_temp.run('prune-logs', 'succeeded', now() - interval '15 days');
select private.prune_logs();
select results_eq(
  $$ select (select count(*)::int from public.error_logs where source = 'test'),
            (select count(*)::int from cron.job_run_details where start_time < now() - interval '14 days') $$,
  $$ values (1, 0) $$,
  'prune-logs deletes rows past their retention and keeps the rest'
);

select * from finish();
rollback;
