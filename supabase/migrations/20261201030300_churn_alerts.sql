-- ============================================================================
-- Churn alerts: one open alert per business and reason (open or acknowledged), raised by the jobs
-- and the Stripe path when the cause appears and resolved by them when it goes away:
--   inactive           no activity (private.business_activity) for 14 days while subscribed
--   low_health         the health score is red, or fell 20 points or more in 7 days
--   payment_failed     the subscription is past due or unpaid
--   cancel_scheduled   the subscription ends at the end of the period
--   cap_reached_twice  the call cap was reached this period and the one before
-- Admins list the businesses at risk, acknowledge and resolve alerts (audited).
-- ============================================================================

alter table public.churn_alerts drop constraint churn_alerts_reason_check;
alter table public.churn_alerts add constraint churn_alerts_reason_check
  check (reason in ('inactive', 'low_health', 'payment_failed', 'cancel_scheduled', 'cap_reached_twice', 'canceled'));
alter table public.churn_alerts add column acknowledged_at timestamptz, add column acknowledged_by uuid references auth.users (id) on delete set null;
create index churn_alerts_acknowledged_by_idx on public.churn_alerts (acknowledged_by);
create index churn_alerts_open_idx on public.churn_alerts (created_at desc) where status <> 'resolved';
comment on column public.churn_alerts.reason is 'inactive, low_health, payment_failed, cancel_scheduled or cap_reached_twice (canceled: earlier alerts).';

-- ---------------------------------------------------------------------------
-- Raising and resolving
-- ---------------------------------------------------------------------------

create function private.churn_risks(reasons text[], only_user uuid default null)
returns table (user_id uuid, reason text, severity text, details jsonb)
-- plpgsql, so each call is planned with its arguments: a reason not asked for is pruned, and one
-- business is found by its keys rather than by a pass over every business.
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return query
  select a.user_id, 'inactive'::text, 'medium'::text, jsonb_build_object('last_activity_at', a.last_activity_at)
  from public.subscriptions s
  join public.profiles p on p.id = s.user_id
  join private.business_activity(only_user) a on a.user_id = s.user_id
  where 'inactive' = any (reasons) and s.status in ('active', 'trialing', 'past_due') and (only_user is null or s.user_id = only_user)
    and coalesce(a.last_activity_at, p.created_at) < now() - interval '14 days'
  union all
  select h.user_id, 'low_health', case when h.band = 'red' then 'high' else 'medium' end,
         jsonb_build_object('score', h.score, 'band', h.band, 'trend_7d', h.trend_7d)
  from public.customer_health_scores h
  where 'low_health' = any (reasons) and (h.band = 'red' or h.trend_7d <= -20) and (only_user is null or h.user_id = only_user)
  union all
  select s.user_id, 'payment_failed', 'high', jsonb_build_object('status', s.status)
  from public.subscriptions s
  where 'payment_failed' = any (reasons) and s.status in ('past_due', 'unpaid') and (only_user is null or s.user_id = only_user)
  union all
  select s.user_id, 'cancel_scheduled', 'high', jsonb_build_object('ends_at', s.current_period_end)
  from public.subscriptions s
  where 'cancel_scheduled' = any (reasons) and s.cancel_at_period_end and s.status in ('active', 'trialing', 'past_due')
    and (only_user is null or s.user_id = only_user)
  union all
  select l.user_id, 'cap_reached_twice', 'medium', jsonb_build_object('period_start', l.period_start, 'cap_reached_at', l.cap_reached_at)
  from public.usage_limits l
  where 'cap_reached_twice' = any (reasons) and l.cap_reached_at is not null and (only_user is null or l.user_id = only_user)
    and exists (
      select 1 from public.ops_alerts o
      where o.kind = 'usage_cap_reached' and o.user_id = l.user_id
        and (o.details ->> 'period_start')::timestamptz < l.period_start
        and (o.details ->> 'period_start')::timestamptz >= l.period_start - interval '45 days'
    );
end
$$;
comment on function private.churn_risks(text[], uuid) is 'Every churn risk of these reasons that holds now (all businesses, or one), with its severity and the facts behind it; a reason not asked for is not computed.';
revoke execute on function private.churn_risks(text[], uuid) from public;

create function private.refresh_churn_alerts(reasons text[], only_user uuid default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  outcome jsonb;
begin
  with risks as (
    select * from private.churn_risks(reasons, only_user)
  ),
  opened as (
    insert into public.churn_alerts (user_id, reason, severity, details)
    select r.user_id, r.reason, r.severity, r.details from risks r
    on conflict (user_id, reason) where status <> 'resolved' do nothing
    returning 1
  ),
  resolved as (
    update public.churn_alerts a
    set status = 'resolved', resolved_at = now()
    where a.status <> 'resolved' and a.reason = any (reasons) and (only_user is null or a.user_id = only_user)
      and not exists (select 1 from risks r where r.user_id = a.user_id and r.reason = a.reason)
    returning 1
  )
  select jsonb_build_object('opened', (select count(*) from opened), 'resolved', (select count(*) from resolved)) into outcome;
  return outcome;
end
$$;
comment on function private.refresh_churn_alerts(text[], uuid) is 'Opens an alert for each of these reasons that holds and has none open, and resolves open ones whose cause went away.';
revoke execute on function private.refresh_churn_alerts(text[], uuid) from public;

-- The Stripe path changes subscriptions: their alerts follow at once, not at the next job.
create function private.refresh_billing_churn_alerts()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.refresh_churn_alerts(array['payment_failed', 'cancel_scheduled'], new.user_id);
  return null;
end
$$;
comment on function private.refresh_billing_churn_alerts() is 'Trigger on subscriptions: raises or resolves the business''s payment_failed and cancel_scheduled alerts.';
create trigger subscriptions_refresh_churn_alerts after insert or update of status, cancel_at_period_end on public.subscriptions
  for each row execute function private.refresh_billing_churn_alerts();

-- ---------------------------------------------------------------------------
-- Jobs
-- ---------------------------------------------------------------------------

create function private.run_health_scores()
returns jsonb
language sql
security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'activity_updated', private.record_business_activity(),
    'scored', private.score_businesses(),
    'alerts', private.refresh_churn_alerts(array['low_health', 'payment_failed', 'cancel_scheduled', 'cap_reached_twice']))
$$;
comment on function private.run_health_scores() is 'The health-scores job: activity, scores, and the alerts that follow from them.';
revoke execute on function private.run_health_scores() from public;

insert into private.cron_jobs (name, schedule, command, max_gap, description) values
  ('health-scores', '7 */6 * * *', 'select private.run_health_scores()', '7 hours',
   'Refreshes profiles.last_activity_at, scores every subscribed business, and raises or resolves the alerts that follow.'),
  ('inactivity-check', '37 4 * * *', $$select private.record_business_activity(), private.refresh_churn_alerts(array['inactive'])$$, '25 hours',
   'Raises an inactive alert for subscribed businesses without activity for 14 days, and resolves it when they come back.');
select private.setup_cron_jobs();

-- ---------------------------------------------------------------------------
-- Admins
-- ---------------------------------------------------------------------------

create function public.admin_businesses_at_risk()
returns table (user_id uuid, email text, business_name text, score integer, band text, trend_7d integer, alerts jsonb)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.assert_admin();
  return query
    select p.id, p.email, p.business_name, h.score, h.band, h.trend_7d,
           jsonb_agg(jsonb_build_object('id', a.id, 'reason', a.reason, 'severity', a.severity, 'status', a.status,
                                        'details', a.details, 'created_at', a.created_at) order by a.created_at)
    from public.churn_alerts a
    join public.profiles p on p.id = a.user_id
    left join public.customer_health_scores h on h.user_id = a.user_id
    where a.status <> 'resolved'
    group by p.id, p.email, p.business_name, h.score, h.band, h.trend_7d
    order by bool_or(a.severity = 'high') desc, h.score nulls last, min(a.created_at);
end
$$;
comment on function public.admin_businesses_at_risk() is 'Admins: businesses with open or acknowledged churn alerts, most at risk first, with their score and every alert.';
revoke execute on function public.admin_businesses_at_risk() from public, anon;
grant execute on function public.admin_businesses_at_risk() to authenticated;

create function public.admin_decide_churn_alert(alert_id uuid, decision text)
returns public.churn_alerts
language plpgsql
security definer
set search_path = ''
as $$
declare
  alert public.churn_alerts;
begin
  perform private.assert_admin();
  if decision is null or decision not in ('acknowledge', 'resolve') then
    raise exception 'decision must be acknowledge or resolve' using errcode = '22023';
  end if;
  update public.churn_alerts a
  set status = case when decision = 'resolve' then 'resolved' else 'acknowledged' end,
      acknowledged_at = coalesce(a.acknowledged_at, now()),
      acknowledged_by = coalesce(a.acknowledged_by, auth.uid()),
      resolved_at = case when decision = 'resolve' then now() end
  where a.id = alert_id and a.status <> 'resolved'
  returning * into alert;
  if alert.id is null then
    raise exception 'no open churn alert %', alert_id using errcode = '22023';
  end if;
  perform private.write_audit('churn_alert.' || decision, alert.user_id, jsonb_build_object('reason', alert.reason),
    'churn_alerts', alert.id::text);
  return alert;
end
$$;
comment on function public.admin_decide_churn_alert(uuid, text) is 'Admins: acknowledge an open churn alert (kept open, no longer new) or resolve it; audited. A cause that still holds opens a new alert at the next job.';
revoke execute on function public.admin_decide_churn_alert(uuid, text) from public, anon;
grant execute on function public.admin_decide_churn_alert(uuid, text) to authenticated;
