-- ============================================================================
-- Every pg_cron job of the project in one registry, scheduled by one idempotent setup and run by
-- one runner. The registry is the list README and supabase/tests/ops/cron_jobs.test.sql hold; the
-- runner makes a job that is still running when its next start comes do nothing (pg_cron would
-- otherwise start it again beside itself); cron-watch reads the registry's max_gap to tell a run
-- that should have happened and did not (pg_cron never catches up after a restart).
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

create table private.cron_jobs (
  name text primary key check (name ~ '^[a-z][a-z0-9-]*$'),
  schedule text not null,
  command text not null,
  max_gap interval not null check (max_gap > interval '0'),
  description text not null,
  registered_at timestamptz not null default now()
);
comment on table private.cron_jobs is 'The project''s pg_cron jobs: schedule, the SQL each run executes, and the longest gap between runs before cron-watch calls a run missed.';

-- ---------------------------------------------------------------------------
-- Functions
-- ---------------------------------------------------------------------------

create function private.run_cron_job(job_name text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  job_command text := (select j.command from private.cron_jobs j where j.name = job_name);
begin
  if job_command is null then
    raise exception 'no cron job named %', job_name using errcode = '22023';
  end if;
  if not pg_try_advisory_xact_lock(hashtextextended('private.run_cron_job:' || job_name, 0)) then
    raise notice 'cron job % is still running from its previous start; this start does nothing', job_name;
    return;
  end if;
  execute job_command;
end
$$;
comment on function private.run_cron_job(text) is 'Runs one registered cron job, unless a previous start of it is still running.';
revoke execute on function private.run_cron_job(text) from public;

create function private.setup_cron_jobs()
returns void
language sql
security definer
set search_path = ''
as $$
  -- Unschedule by name, then schedule again: running it twice leaves the same jobs.
  select cron.unschedule(c.jobid) from cron.job c where c.jobname in (select name from private.cron_jobs);
  select cron.schedule(j.name, j.schedule, format('select private.run_cron_job(%L)', j.name)) from private.cron_jobs j;
  update private.cron_jobs set registered_at = now();
$$;
comment on function private.setup_cron_jobs() is 'Schedules exactly the registered cron jobs, each through private.run_cron_job; idempotent.';
revoke execute on function private.setup_cron_jobs() from public;

-- ---------------------------------------------------------------------------
-- The jobs that existed before the registry
-- ---------------------------------------------------------------------------

insert into private.cron_jobs (name, schedule, command, max_gap, description) values
  ('prune-rate-limit-counters', '17 * * * *', 'select private.prune_rate_limit_counters()', '2 hours',
   'Deletes rate-limit windows that have ended.'),
  ('prune-calcom-oauth-states', '23 * * * *', 'select private.prune_calcom_oauth_states()', '2 hours',
   'Deletes Cal.com OAuth states that expired unused.'),
  ('nightly-reconciliation', '0 3 * * *', $$select private.reconcile_usage('cron')$$, '25 hours',
   'Recomputes every business''s usage counters from the ledgers and records the corrections.'),
  ('run-queued-reconciliations', '* * * * *', 'select private.run_queued_reconciliations()', '5 minutes',
   'Completes reconciliation runs that admins queued.'),
  ('kick-due-agent-deployments', '* * * * *', 'select private.kick_due_agent_deployments()', '5 minutes',
   'Calls agent-deployer for deployments that are due or whose lease expired.');

select private.setup_cron_jobs();
