-- ============================================================================
-- Reconciliation reads only the current periods' ledger entries, from the ledgers' indexes.
--
-- The pass used to join every ledger row ever written to usage_limits and keep those inside the
-- business's period: its cost grew with the whole history. Each counter is still, exactly,
-- sum(plan_minutes) and count(*) of usage_calls and sum(from_plan) of usage_sms with occurred_at in
-- [period_start, period_end) of the business's usage_limits row; but now each business's entries
-- are one range of the (user_id, occurred_at) indexes, and those indexes carry the charged amount,
-- so the pass is an index-only range read per business: one descent per business and ledger plus
-- the entries of the current periods, whatever the history holds.
--
-- The reading is a read-only statement (PostgreSQL may spread it over parallel workers); only the
-- businesses that drifted are then written, by a second statement.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Indexes: the same keys as before, now covering the charged amount
-- ---------------------------------------------------------------------------

create index usage_calls_user_id_occurred_at_plan_idx on public.usage_calls (user_id, occurred_at) include (plan_minutes);
comment on index public.usage_calls_user_id_occurred_at_plan_idx is 'A business''s calls by time with the plan minutes they were charged: reconciliation sums a period from the index alone.';
drop index public.usage_calls_user_id_occurred_at_idx;

create index usage_sms_user_id_occurred_at_plan_idx on public.usage_sms (user_id, occurred_at) include (from_plan);
comment on index public.usage_sms_user_id_occurred_at_plan_idx is 'A business''s texts by time with the plan SMS they were charged: reconciliation sums a period from the index alone.';
drop index public.usage_sms_user_id_occurred_at_idx;

-- ---------------------------------------------------------------------------
-- The pass
-- ---------------------------------------------------------------------------

create or replace function private.complete_reconciliation(run_id bigint)
returns public.reconciliation_runs
language plpgsql
security definer
set search_path = ''
as $$
declare
  run public.reconciliation_runs;
  checked integer;
  drift jsonb;
begin
  if not pg_try_advisory_xact_lock(hashtextextended('private.reconcile_usage', 0)) then
    update public.reconciliation_runs
    set status = 'skipped', note = 'another reconciliation run was in progress', finished_at = clock_timestamp()
    where id = run_id
    returning * into run;
    return run;
  end if;

  -- Read: every business's counters against its period's ledger entries; keeps those that differ.
  select count(*)::integer,
         coalesce(jsonb_agg(jsonb_build_object(
                    'user_id', e.user_id, 'period_start', e.period_start,
                    'counted_minutes', e.counted_minutes, 'ledger_minutes', e.ledger_minutes,
                    'counted_calls', e.counted_calls, 'ledger_calls', e.ledger_calls,
                    'counted_sms', e.counted_sms, 'ledger_sms', e.ledger_sms
                  ) order by e.user_id)
                  filter (where (e.counted_minutes, e.counted_calls, e.counted_sms)
                                is distinct from (e.ledger_minutes, e.ledger_calls, e.ledger_sms)),
                  '[]'::jsonb)
  into checked, drift
  from (
    select l.user_id, l.period_start,
           l.call_minutes_used as counted_minutes, c.minutes as ledger_minutes,
           l.calls_count as counted_calls, c.calls as ledger_calls,
           l.sms_used as counted_sms, s.sms as ledger_sms
    from public.usage_limits l
    cross join lateral (
      select coalesce(sum(u.plan_minutes), 0)::integer as minutes, count(*)::integer as calls
      from public.usage_calls u
      where u.user_id = l.user_id and u.occurred_at >= l.period_start and u.occurred_at < l.period_end
    ) as c
    cross join lateral (
      select coalesce(sum(m.from_plan), 0)::integer as sms
      from public.usage_sms m
      where m.user_id = l.user_id and m.occurred_at >= l.period_start and m.occurred_at < l.period_end
    ) as s
  ) as e;

  -- Write: only the drifted businesses. Corrections are deltas, so a call charged by the trigger
  -- since the read is not lost; a row whose period rolled over meanwhile is left for the next run.
  with drifted as (
    select d.*
    from jsonb_to_recordset(drift) as d(user_id uuid, period_start timestamptz,
                                        counted_minutes integer, ledger_minutes integer,
                                        counted_calls integer, ledger_calls integer,
                                        counted_sms integer, ledger_sms integer)
  ),
  corrected as (
    update public.usage_limits l
    set call_minutes_used = l.call_minutes_used + (d.ledger_minutes - d.counted_minutes),
        calls_count = l.calls_count + (d.ledger_calls - d.counted_calls),
        sms_used = l.sms_used + (d.ledger_sms - d.counted_sms),
        cap_reached_at = private.call_cap_reached_at(
          l.call_minutes_used + (d.ledger_minutes - d.counted_minutes), l.call_minutes_allowance,
          l.topup_call_minutes, l.cap_reached_at)
    from drifted d
    where l.user_id = d.user_id and l.period_start = d.period_start
    returning l.user_id
  )
  update public.reconciliation_runs r
  set status = 'completed',
      started_at = now(),
      users_checked = checked,
      users_corrected = (select count(*) from corrected),
      changes = coalesce((
        select jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                 'user_id', d.user_id,
                 'call_minutes_used', case when d.counted_minutes <> d.ledger_minutes then jsonb_build_array(d.counted_minutes, d.ledger_minutes) end,
                 'calls_count', case when d.counted_calls <> d.ledger_calls then jsonb_build_array(d.counted_calls, d.ledger_calls) end,
                 'sms_used', case when d.counted_sms <> d.ledger_sms then jsonb_build_array(d.counted_sms, d.ledger_sms) end
               )) order by d.user_id)
        from drifted d
        join corrected c on c.user_id = d.user_id
      ), '[]'::jsonb),
      finished_at = clock_timestamp()
  where r.id = run_id
  returning * into run;
  return run;
end
$$;
comment on function private.complete_reconciliation(bigint) is 'Recomputes every business''s period counters from the usage ledgers (index-only range reads of the current periods), corrects only the drifted ones and records them in the given run (changes = [{user_id, field: [was, now]}]); marks the run skipped when another is in progress.';
