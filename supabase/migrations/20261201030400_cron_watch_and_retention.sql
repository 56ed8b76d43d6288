-- ============================================================================
-- No silent cron failure, and logs that do not grow without bound.
--
-- cron-watch (every 5 minutes) reads cron.job_run_details for every registered job and keeps one
-- ops alert open per job while it is failing (a run failed since the job last succeeded) or missed
-- (no start within its max_gap, as after a restart: pg_cron never catches up); each resolves when
-- the job succeeds again on time.
--
-- prune-logs (daily) keeps, counted from the row's own time:
--   cron.job_run_details            14 days   pg_cron's run history
--   error_logs                      90 days
--   ops_alerts (resolved)           180 days  open ones are kept until resolved
--   inbound_webhook_events          35 days   providers stop retrying long before (Stripe: 3 days)
--   customer_health_score_history   400 days  a year of trend
-- (rate_limit_counters and Cal.com OAuth states have their own hourly jobs; net._http_response is
-- pruned by pg_net itself after its ttl.)
-- ============================================================================

create function private.watch_cron_jobs()
returns jsonb
language sql
security definer
set search_path = ''
as $$
  with jobs as (
    select j.name, j.max_gap, j.registered_at, c.jobid
    from private.cron_jobs j
    join cron.job c on c.jobname = j.name
  ),
  -- Three days of history covers every job's max_gap; one pass over it, aggregated per job.
  recent as (
    select d.jobid, d.status, d.return_message, d.start_time
    from cron.job_run_details d
    where d.start_time > now() - interval '3 days'
  ),
  summary as (
    select r.jobid, max(r.start_time) as last_started_at,
           max(r.start_time) filter (where r.status = 'succeeded') as last_succeeded_at
    from recent r
    group by r.jobid
  ),
  failures as (
    select r.jobid, max(r.start_time) as failed_at, (array_agg(r.return_message order by r.start_time desc))[1] as return_message
    from recent r
    left join summary s on s.jobid = r.jobid
    where r.status = 'failed' and r.start_time > coalesce(s.last_succeeded_at, '-infinity')
    group by r.jobid
  ),
  runs as (
    select j.name, j.max_gap, j.registered_at, s.last_started_at, s.last_succeeded_at, f.failed_at, f.return_message
    from jobs j
    left join summary s on s.jobid = j.jobid
    left join failures f on f.jobid = j.jobid
  ),
  problems as (
    select 'cron_job_failed' as kind, r.name, 'critical' as severity,
           format('The cron job %s failed: %s', r.name, left(r.return_message, 500)) as message,
           jsonb_build_object('job', r.name, 'failed_at', r.failed_at, 'last_succeeded_at', r.last_succeeded_at) as details
    from runs r where r.failed_at is not null
    union all
    select 'cron_job_missed', r.name, 'critical',
           format('The cron job %s has not started for longer than %s', r.name, r.max_gap),
           jsonb_build_object('job', r.name, 'last_started_at', r.last_started_at, 'max_gap', r.max_gap::text)
    from runs r where coalesce(r.last_started_at, r.registered_at) < now() - r.max_gap
  ),
  raised as (
    insert into public.ops_alerts (kind, severity, message, details, dedupe_key)
    select p.kind, p.severity, p.message, p.details, p.kind || ':' || p.name from problems p
    on conflict (dedupe_key) where resolved_at is null do nothing
    returning 1
  ),
  resolved as (
    update public.ops_alerts o
    set resolved_at = now()
    where o.resolved_at is null and o.kind in ('cron_job_failed', 'cron_job_missed')
      and not exists (select 1 from problems p where p.kind || ':' || p.name = o.dedupe_key)
    returning 1
  )
  select jsonb_build_object('raised', (select count(*) from raised), 'resolved', (select count(*) from resolved))
$$;
comment on function private.watch_cron_jobs() is 'The cron-watch job: one ops alert per registered job that failed since it last succeeded or missed its max_gap; resolves them when the job is healthy.';
revoke execute on function private.watch_cron_jobs() from public;

create function private.prune_logs()
returns jsonb
language sql
security definer
set search_path = ''
as $$
  with run_details as (
    delete from cron.job_run_details where end_time < now() - interval '14 days' returning 1
  ),
  errors as (
    delete from public.error_logs where created_at < now() - interval '90 days' returning 1
  ),
  alerts as (
    delete from public.ops_alerts where resolved_at < now() - interval '180 days' returning 1
  ),
  webhook_events as (
    delete from public.inbound_webhook_events where received_at < now() - interval '35 days' returning 1
  ),
  score_history as (
    delete from public.customer_health_score_history where calculated_at < now() - interval '400 days' returning 1
  )
  select jsonb_build_object(
    'cron_job_run_details', (select count(*) from run_details),
    'error_logs', (select count(*) from errors),
    'ops_alerts', (select count(*) from alerts),
    'inbound_webhook_events', (select count(*) from webhook_events),
    'customer_health_score_history', (select count(*) from score_history))
$$;
comment on function private.prune_logs() is 'The prune-logs job: deletes log rows past their retention (see the migration header); returns how many per table.';
revoke execute on function private.prune_logs() from public;

insert into private.cron_jobs (name, schedule, command, max_gap, description) values
  ('cron-watch', '*/5 * * * *', 'select private.watch_cron_jobs()', '15 minutes',
   'Raises an ops alert for every registered job that failed or missed a run, and resolves it when the job recovers.'),
  ('prune-logs', '47 2 * * *', 'select private.prune_logs()', '25 hours',
   'Deletes log rows past their retention: cron run details, error logs, resolved ops alerts, processed webhook ids, old score history.');
select private.setup_cron_jobs();
