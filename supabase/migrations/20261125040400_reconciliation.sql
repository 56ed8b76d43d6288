-- ============================================================================
-- Nightly reconciliation: one set-based pass recomputes every business's period counters from the
-- usage ledgers (usage_calls, usage_sms; rows with occurred_at in [period_start, period_end)),
-- corrects the drift, and records what it changed in reconciliation_runs. An advisory lock makes
-- an overlapping run a recorded no-op; a second run finds nothing to change.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- The pass
-- ---------------------------------------------------------------------------

create function private.reconcile_usage(triggered_by text, triggered_by_user_id uuid default null)
returns public.reconciliation_runs
language plpgsql
security definer
set search_path = ''
as $$
declare
  run public.reconciliation_runs;
begin
  if not pg_try_advisory_xact_lock(hashtextextended('private.reconcile_usage', 0)) then
    insert into public.reconciliation_runs (triggered_by, triggered_by_user_id, status, note, finished_at)
    values (reconcile_usage.triggered_by, reconcile_usage.triggered_by_user_id, 'skipped',
            'another reconciliation run was in progress', clock_timestamp())
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
  insert into public.reconciliation_runs (
    triggered_by, triggered_by_user_id, status, users_checked, users_corrected, changes, finished_at
  )
  select reconcile_usage.triggered_by, reconcile_usage.triggered_by_user_id, 'completed',
         (select count(*) from expected),
         (select count(*) from corrected),
         coalesce((
           select jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                    'user_id', d.user_id,
                    'call_minutes_used', case when d.counted_minutes <> d.ledger_minutes then jsonb_build_array(d.counted_minutes, d.ledger_minutes) end,
                    'calls_count', case when d.counted_calls <> d.ledger_calls then jsonb_build_array(d.counted_calls, d.ledger_calls) end,
                    'sms_used', case when d.counted_sms <> d.ledger_sms then jsonb_build_array(d.counted_sms, d.ledger_sms) end
                  )) order by d.user_id)
           from drift d
           join corrected c on c.user_id = d.user_id
         ), '[]'::jsonb),
         clock_timestamp()
  returning * into run;
  return run;
end
$$;
comment on function private.reconcile_usage(text, uuid) is 'Recomputes every business''s period counters from the usage ledgers and corrects drift; records the run (changes = [{user_id, field: [was, now]}]), or a skipped run when another is in progress.';
revoke execute on function private.reconcile_usage(text, uuid) from public;
comment on column public.reconciliation_runs.changes is 'One entry per corrected business: {user_id, <counter>: [was, now]} for each counter that drifted.';

-- ---------------------------------------------------------------------------
-- Admin trigger (the old POST /admin/reconciliation-runs/trigger); admins read runs through the
-- "Admins read reconciliation runs" policy
-- ---------------------------------------------------------------------------

create function public.admin_trigger_reconciliation()
returns public.reconciliation_runs
language plpgsql
security definer
set search_path = ''
as $$
declare
  run public.reconciliation_runs;
begin
  perform private.assert_admin();
  run := private.reconcile_usage('admin', auth.uid());
  perform private.write_audit('reconciliation.trigger', null,
    jsonb_build_object('status', run.status, 'users_corrected', run.users_corrected),
    'reconciliation_runs', run.id::text);
  return run;
end
$$;
comment on function public.admin_trigger_reconciliation() is 'Runs usage reconciliation now and returns the run (status skipped when one is already in progress).';
revoke execute on function public.admin_trigger_reconciliation() from public;
grant execute on function public.admin_trigger_reconciliation() to authenticated;

-- ---------------------------------------------------------------------------
-- Schedule: 03:00 UTC every night (unscheduled first, so re-running the migration is harmless)
-- ---------------------------------------------------------------------------

select cron.unschedule(jobid) from cron.job where jobname = 'nightly-reconciliation';
select cron.schedule('nightly-reconciliation', '0 3 * * *', $$select private.reconcile_usage('cron')$$);
