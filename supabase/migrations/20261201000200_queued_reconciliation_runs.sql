-- ============================================================================
-- Reconciliation runs outside the caller's statement. An admin's request used to run the whole
-- pass inside their RPC, as authenticated, whose statement_timeout on hosted is 8 s: at scale the
-- pass outlives it. Now the admin queues a run and gets its id at once; a pg_cron job (which has no
-- statement timeout) completes queued runs every minute, and the admin reads the outcome from
-- reconciliation_runs. The nightly job queues and completes its run in one go.
-- ============================================================================

alter table public.reconciliation_runs drop constraint reconciliation_runs_status_check;
alter table public.reconciliation_runs add constraint reconciliation_runs_status_check
  check (status in ('queued', 'running', 'completed', 'skipped', 'failed'));
create index reconciliation_runs_queued_idx on public.reconciliation_runs (id) where status = 'queued';

-- ---------------------------------------------------------------------------
-- Queue a run
-- ---------------------------------------------------------------------------

create function private.queue_reconciliation(triggered_by text, triggered_by_user_id uuid default null)
returns bigint
language sql
security definer
set search_path = ''
as $$
  insert into public.reconciliation_runs (triggered_by, triggered_by_user_id, status)
  values (queue_reconciliation.triggered_by, queue_reconciliation.triggered_by_user_id, 'queued')
  returning id
$$;
comment on function private.queue_reconciliation(text, uuid) is 'Records a reconciliation run to be completed by the run-queued-reconciliations job; returns its id.';
revoke execute on function private.queue_reconciliation(text, uuid) from public;

-- ---------------------------------------------------------------------------
-- The pass (the same statement as 20261125040400), completing one queued run
-- ---------------------------------------------------------------------------

create function private.complete_reconciliation(run_id bigint)
returns public.reconciliation_runs
language plpgsql
security definer
set search_path = ''
as $$
declare
  run public.reconciliation_runs;
begin
  if not pg_try_advisory_xact_lock(hashtextextended('private.reconcile_usage', 0)) then
    update public.reconciliation_runs
    set status = 'skipped', note = 'another reconciliation run was in progress', finished_at = clock_timestamp()
    where id = run_id
    returning * into run;
    return run;
  end if;

  with call_ledger as (
    select u.user_id,
           sum(u.plan_minutes)::integer as minutes,
           count(*)::integer as calls
    from public.usage_calls u
    join public.usage_limits l on l.user_id = u.user_id
    where u.occurred_at >= l.period_start and u.occurred_at < l.period_end
    group by u.user_id
  ),
  sms_ledger as (
    select m.user_id, sum(m.from_plan)::integer as sms
    from public.usage_sms m
    join public.usage_limits l on l.user_id = m.user_id
    where m.occurred_at >= l.period_start and m.occurred_at < l.period_end
    group by m.user_id
  ),
  expected as (
    select l.user_id, l.period_start,
           l.call_minutes_used as counted_minutes, coalesce(c.minutes, 0) as ledger_minutes,
           l.calls_count as counted_calls, coalesce(c.calls, 0) as ledger_calls,
           l.sms_used as counted_sms, coalesce(s.sms, 0) as ledger_sms
    from public.usage_limits l
    left join call_ledger c on c.user_id = l.user_id
    left join sms_ledger s on s.user_id = l.user_id
  ),
  drift as (
    select * from expected
    where (counted_minutes, counted_calls, counted_sms) is distinct from (ledger_minutes, ledger_calls, ledger_sms)
  ),
  -- Corrections are deltas, so a call charged by the trigger while this runs is not lost; a row
  -- whose period rolled over meanwhile is left for the next run.
  corrected as (
    update public.usage_limits l
    set call_minutes_used = l.call_minutes_used + (d.ledger_minutes - d.counted_minutes),
        calls_count = l.calls_count + (d.ledger_calls - d.counted_calls),
        sms_used = l.sms_used + (d.ledger_sms - d.counted_sms),
        cap_reached_at = private.call_cap_reached_at(
          l.call_minutes_used + (d.ledger_minutes - d.counted_minutes), l.call_minutes_allowance,
          l.topup_call_minutes, l.cap_reached_at)
    from drift d
    where l.user_id = d.user_id and l.period_start = d.period_start
    returning l.user_id
  )
  update public.reconciliation_runs r
  set status = 'completed',
      started_at = now(),
      users_checked = (select count(*) from expected),
      users_corrected = (select count(*) from corrected),
      changes = coalesce((
        select jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                 'user_id', d.user_id,
                 'call_minutes_used', case when d.counted_minutes <> d.ledger_minutes then jsonb_build_array(d.counted_minutes, d.ledger_minutes) end,
                 'calls_count', case when d.counted_calls <> d.ledger_calls then jsonb_build_array(d.counted_calls, d.ledger_calls) end,
                 'sms_used', case when d.counted_sms <> d.ledger_sms then jsonb_build_array(d.counted_sms, d.ledger_sms) end
               )) order by d.user_id)
        from drift d
        join corrected c on c.user_id = d.user_id
      ), '[]'::jsonb),
      finished_at = clock_timestamp()
  where r.id = run_id
  returning * into run;
  return run;
end
$$;
comment on function private.complete_reconciliation(bigint) is 'Recomputes every business''s period counters from the usage ledgers, corrects drift and records it in the given run (changes = [{user_id, field: [was, now]}]); marks the run skipped when another is in progress.';
revoke execute on function private.complete_reconciliation(bigint) from public;

create or replace function private.reconcile_usage(triggered_by text, triggered_by_user_id uuid default null)
returns public.reconciliation_runs
language sql
security definer
set search_path = ''
as $$
  select * from private.complete_reconciliation(private.queue_reconciliation(triggered_by, triggered_by_user_id))
$$;
comment on function private.reconcile_usage(text, uuid) is 'Runs a reconciliation now, in the caller''s transaction (the nightly job, tests, benchmarks); returns the run.';

-- ---------------------------------------------------------------------------
-- The worker: completes every queued run nobody else is completing
-- ---------------------------------------------------------------------------

create function private.run_queued_reconciliations()
returns integer
language sql
security definer
set search_path = ''
as $$
  with queued as (
    select id from public.reconciliation_runs where status = 'queued' order by id for update skip locked
  )
  select count(private.complete_reconciliation(id))::integer from queued
$$;
comment on function private.run_queued_reconciliations() is 'Completes the queued reconciliation runs (run by the run-queued-reconciliations job); returns how many.';
revoke execute on function private.run_queued_reconciliations() from public;

select cron.unschedule(jobid) from cron.job where jobname = 'run-queued-reconciliations';
select cron.schedule('run-queued-reconciliations', '* * * * *', 'select private.run_queued_reconciliations()');

-- ---------------------------------------------------------------------------
-- Admin trigger: queues a run and answers at once
-- ---------------------------------------------------------------------------

create or replace function public.admin_trigger_reconciliation()
returns public.reconciliation_runs
language plpgsql
security definer
set search_path = ''
as $$
declare
  run_id bigint;
  run public.reconciliation_runs;
begin
  perform private.assert_admin();
  run_id := private.queue_reconciliation('admin', auth.uid());
  select * into run from public.reconciliation_runs where id = run_id;
  perform private.write_audit('reconciliation.trigger', null, jsonb_build_object('status', run.status),
    'reconciliation_runs', run.id::text);
  return run;
end
$$;
comment on function public.admin_trigger_reconciliation() is 'Queues a usage reconciliation and returns the run at once (status queued); the run-queued-reconciliations job completes it within a minute, and the outcome is read from reconciliation_runs.';
