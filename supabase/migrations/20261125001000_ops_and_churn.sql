-- ============================================================================
-- Ops and churn: business activity, health scores and their history, churn alerts for admins, the
-- cron watch and the retention pruning.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

-- Operations: what operators watch (health scores, churn alerts, ops alerts, error logs,
-- reconciliation runs, the admin dialer queue) and the plumbing that makes webhooks and limits
-- safe across instances (processed webhook events, rate-limit counters). Admins read; functions,
-- triggers and cron write.
create table public.customer_health_scores (
  user_id uuid primary key references auth.users (id) on delete cascade,
  score integer not null check (score between 0 and 100),
  factors jsonb not null default '{}'::jsonb,
  calculated_at timestamptz not null default now(),
  band text not null default 'green' check (band in ('red', 'yellow', 'green')),
  profile text not null default 'established' check (profile in ('onboarding', 'established')),
  trend_7d integer,
  trend_30d integer
);
comment on table public.customer_health_scores is 'Latest health score (0-100) of each business and the factors behind it.';
comment on column public.customer_health_scores.factors is 'Each factor''s points and weight, and the inputs behind them.';
comment on column public.customer_health_scores.trend_7d is 'Score now minus the score about 7 days ago (null without history).';
comment on column public.customer_health_scores.trend_30d is 'Score now minus the score about 30 days ago (null without history).';
alter table public.customer_health_scores enable row level security;
revoke all on public.customer_health_scores from anon, authenticated, service_role;
grant select on public.customer_health_scores to authenticated;

create table public.churn_alerts (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  reason text not null check (reason in ('inactive', 'low_health', 'payment_failed', 'cancel_scheduled', 'cap_reached_twice', 'canceled')),
  severity text not null default 'medium' check (severity in ('low', 'medium', 'high')),
  status text not null default 'open' check (status in ('open', 'acknowledged', 'resolved')),
  details jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  resolved_at timestamptz,
  acknowledged_at timestamptz,
  acknowledged_by uuid references auth.users (id) on delete set null
);
comment on table public.churn_alerts is 'Businesses at risk of leaving; at most one open alert per business and reason.';
comment on column public.churn_alerts.reason is 'inactive, low_health, payment_failed, cancel_scheduled or cap_reached_twice (canceled: earlier alerts).';
alter table public.churn_alerts enable row level security;
revoke all on public.churn_alerts from anon, authenticated, service_role;
grant select on public.churn_alerts to authenticated;

create table public.customer_health_score_history (
  id bigint generated always as identity primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  score integer not null check (score between 0 and 100),
  band text not null check (band in ('red', 'yellow', 'green')),
  profile text not null check (profile in ('onboarding', 'established')),
  factors jsonb not null,
  calculated_at timestamptz not null default now()
);
comment on table public.customer_health_score_history is 'Every health score computed, kept 400 days, for trends.';
alter table public.customer_health_score_history enable row level security;
revoke all on public.customer_health_score_history from anon, authenticated, service_role;
grant select on public.customer_health_score_history to authenticated;
revoke all on sequence public.customer_health_score_history_id_seq from anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------

create unique index churn_alerts_one_open_per_reason on public.churn_alerts (user_id, reason) where status <> 'resolved';
create index customer_health_score_history_user_id_calculated_at_idx on public.customer_health_score_history (user_id, calculated_at desc);
create index churn_alerts_acknowledged_by_idx on public.churn_alerts (acknowledged_by);
create index churn_alerts_open_idx on public.churn_alerts (created_at desc) where status <> 'resolved';

-- ---------------------------------------------------------------------------
-- Functions
-- ---------------------------------------------------------------------------

-- What counts as a business being active, derived from what is already stored (no write per API
-- request): the owner signing in or keeping a session alive (Auth's users and sessions), calls the
-- receptionist answered, bookings made, and texts exchanged. profiles.last_activity_at is the latest
-- of them, refreshed set-based by the health-scores job.
create function private.business_activity(only_user uuid default null)
returns table (
  user_id uuid,
  last_sign_in_at timestamptz,
  last_call_at timestamptz,
  last_booking_at timestamptz,
  last_message_at timestamptz,
  last_activity_at timestamptz
)
-- plpgsql, so each call is planned with its arguments: one business is a few index probes, not a
-- pass over all of them.
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return query
  select p.id,
         signed_in.at,
         called.at,
         booked.at,
         texted.at,
         greatest(signed_in.at, called.at, booked.at, texted.at)
  from public.profiles p
  left join lateral (
    select greatest(u.last_sign_in_at, (select max(coalesce(s.refreshed_at::timestamptz, s.updated_at, s.created_at))
                                        from auth.sessions s where s.user_id = p.id)) as at
    from auth.users u where u.id = p.id
  ) signed_in on true
  left join lateral (
    select c.started_at as at from public.calls c
    where c.user_id = p.id and c.status = 'ended' and not c.is_demo and c.started_at is not null
    order by c.started_at desc limit 1
  ) called on true
  left join lateral (
    select max(a.created_at) as at from public.appointments a where a.user_id = p.id
  ) booked on true
  left join lateral (
    select m.created_at as at from public.sms_messages m where m.user_id = p.id order by m.created_at desc limit 1
  ) texted on true
  where only_user is null or p.id = only_user;
end
$$;
comment on function private.business_activity(uuid) is 'Per business (all, or one): when the owner last signed in or used a session, the last answered call, booking and text, and the latest of them.';
revoke all on function private.business_activity(uuid) from public, anon, authenticated, service_role;

create function private.record_business_activity()
returns integer
language sql
security definer
set search_path = ''
as $$
  with changed as (
    update public.profiles p
    set last_activity_at = a.last_activity_at
    from private.business_activity() a
    where a.user_id = p.id and a.last_activity_at is distinct from p.last_activity_at
    returning 1
  )
  select count(*)::integer from changed
$$;
comment on function private.record_business_activity() is 'Sets profiles.last_activity_at from private.business_activity() where it changed; returns how many.';
revoke all on function private.record_business_activity() from public, anon, authenticated, service_role;

-- The scoring run
create function private.band_of(score integer)
returns text
language sql
immutable
set search_path = ''
as $$ select case when score < 50 then 'red' when score < 75 then 'yellow' else 'green' end $$;
comment on function private.band_of(integer) is 'Red below 50, yellow below 75, green from 75.';

create function private.score_businesses()
returns integer
language sql
security definer
set search_path = ''
as $$
  with businesses as (
    select p.id as user_id,
           p.created_at > now() - interval '30 days' as onboarding,
           p.business_name is not null and p.industry is not null and p.area_code is not null as profile_complete,
           p.consent_accepted_at is not null as consented,
           s.status, s.cancel_at_period_end,
           l.cap_reached_at is not null as capped,
           a.deploy_status = 'active' as number_live
    from public.profiles p
    join public.subscriptions s on s.user_id = p.id
    left join public.usage_limits l on l.user_id = p.id
    left join public.agents a on a.user_id = p.id
  ),
  call_counts as (
    select c.user_id,
           count(*) filter (where c.status = 'ended' and c.started_at >= now() - interval '7 days') as answered_7d,
           count(*) filter (where c.status = 'ended' and c.started_at < now() - interval '7 days') as answered_before,
           count(*) filter (where c.status = 'ended' and c.started_at >= now() - interval '28 days') as answered_28d,
           count(*) filter (where c.status = 'error' and c.started_at >= now() - interval '28 days') as errors_28d
    from public.calls c
    where c.started_at >= now() - interval '35 days' and not c.is_demo and c.user_id is not null
    group by c.user_id
  ),
  negative_calls as (
    select r.user_id, count(*) as negative_28d
    from public.call_recordings r
    where r.created_at >= now() - interval '28 days' and r.sentiment = 'Negative'
    group by r.user_id
  ),
  bookings as (
    select b.user_id, count(*) as booked_28d
    from public.appointments b
    where b.created_at >= now() - interval '28 days' and b.source in ('ai_call', 'calcom') and b.user_id is not null
    group by b.user_id
  ),
  calendars as (
    select i.user_id, bool_or(i.status = 'connected') as connected, bool_or(i.status <> 'connected') as needs_attention
    from public.integrations i where i.provider = 'calcom' group by i.user_id
  ),
  disabled_endpoints as (
    select w.user_id from public.webhook_configs w where not w.active and w.disabled_reason is not null group by w.user_id
  ),
  inputs as (
    select b.*,
           coalesce(c.answered_7d, 0) as answered_7d,
           coalesce(c.answered_before, 0) / 4.0 as weekly_baseline,
           coalesce(c.answered_28d, 0) as answered_28d,
           coalesce(c.errors_28d, 0) + coalesce(n.negative_28d, 0) as troubled_28d,
           coalesce(k.booked_28d, 0) as booked_28d,
           -- The call window is older than any onboarding business, so it holds its first call.
           coalesce(c.answered_before, 0) + coalesce(c.answered_7d, 0) > 0 as first_call,
           coalesce(cal.connected, false) as calendar_connected,
           coalesce(cal.needs_attention and not cal.connected, false) as calendar_needs_consent,
           d.user_id is not null as endpoint_disabled,
           extract(epoch from now() - act.last_sign_in_at) / 86400 as days_since_sign_in
    from businesses b
    left join call_counts c on c.user_id = b.user_id
    left join negative_calls n on n.user_id = b.user_id
    left join bookings k on k.user_id = b.user_id
    left join calendars cal on cal.user_id = b.user_id
    left join disabled_endpoints d on d.user_id = b.user_id
    left join lateral (
      select greatest(u.last_sign_in_at, (select max(coalesce(s.refreshed_at::timestamptz, s.updated_at, s.created_at))
                                          from auth.sessions s where s.user_id = b.user_id)) as last_sign_in_at
      from auth.users u where u.id = b.user_id
    ) act on true
  ),
  points as (
    select i.*,
           -- established
           round(30 * case when i.answered_7d = 0 then 0 when i.weekly_baseline = 0 then 1
                           else least(1, i.answered_7d / i.weekly_baseline) end)::integer as calls_points,
           round(15 * least(1, i.booked_28d / greatest(i.answered_28d, 1)::numeric / 0.3))::integer as bookings_points,
           greatest(0, case when i.status in ('active', 'trialing') then 25 when i.status = 'past_due' then 8 else 0 end
                       - case when i.cancel_at_period_end then 10 else 0 end
                       - case when i.capped then 5 else 0 end) as billing_points,
           case when i.days_since_sign_in <= 7 then 15 when i.days_since_sign_in <= 14 then 10
                when i.days_since_sign_in <= 30 then 5 else 0 end as engagement_points,
           case when i.calendar_needs_consent then 0 else 5 end + case when i.endpoint_disabled then 0 else 5 end as setup_points,
           round(5 * greatest(0, 1 - i.troubled_28d / greatest(i.answered_28d, 1)::numeric))::integer as quality_points,
           -- onboarding
           case when i.profile_complete then 20 else 0 end as profile_points,
           case when i.consented then 15 else 0 end as consent_points,
           case when i.status in ('active', 'trialing') then 20 else 0 end as subscription_points,
           case when i.number_live then 20 else 0 end as number_points,
           case when i.first_call then 15 else 0 end as first_call_points,
           case when i.calendar_connected then 10 else 0 end as calendar_points
    from inputs i
  ),
  scored as (
    select p.user_id,
           case when p.onboarding then 'onboarding' else 'established' end as profile,
           case when p.onboarding
                then p.profile_points + p.consent_points + p.subscription_points + p.number_points + p.first_call_points + p.calendar_points
                else p.calls_points + p.bookings_points + p.billing_points + p.engagement_points + p.setup_points + p.quality_points
           end as score,
           case when p.onboarding then jsonb_build_object(
             'profile_complete', jsonb_build_object('points', p.profile_points, 'weight', 20),
             'consent', jsonb_build_object('points', p.consent_points, 'weight', 15),
             'subscription_live', jsonb_build_object('points', p.subscription_points, 'weight', 20),
             'number_live', jsonb_build_object('points', p.number_points, 'weight', 20),
             'first_call', jsonb_build_object('points', p.first_call_points, 'weight', 15),
             'calendar_connected', jsonb_build_object('points', p.calendar_points, 'weight', 10))
           else jsonb_build_object(
             'answered_calls', jsonb_build_object('points', p.calls_points, 'weight', 30, 'last_7_days', p.answered_7d,
                                                  'weekly_baseline', round(p.weekly_baseline, 2)),
             'bookings', jsonb_build_object('points', p.bookings_points, 'weight', 15, 'booked_28_days', p.booked_28d,
                                            'answered_28_days', p.answered_28d),
             'billing', jsonb_build_object('points', p.billing_points, 'weight', 25, 'status', p.status,
                                           'cancel_at_period_end', p.cancel_at_period_end, 'cap_reached', p.capped),
             'engagement', jsonb_build_object('points', p.engagement_points, 'weight', 15, 'days_since_sign_in', round(p.days_since_sign_in)),
             'setup', jsonb_build_object('points', p.setup_points, 'weight', 10, 'calendar_needs_consent', p.calendar_needs_consent,
                                         'endpoint_disabled', p.endpoint_disabled),
             'quality', jsonb_build_object('points', p.quality_points, 'weight', 5, 'troubled_28_days', p.troubled_28d))
           end as factors
    from points p
  ),
  history as (
    insert into public.customer_health_score_history (user_id, score, band, profile, factors)
    select s.user_id, s.score, private.band_of(s.score), s.profile, s.factors from scored s
    returning user_id
  ),
  latest as (
    insert into public.customer_health_scores as h (user_id, score, band, profile, factors, trend_7d, trend_30d, calculated_at)
    select s.user_id, s.score, private.band_of(s.score), s.profile, s.factors,
           s.score - week_ago.score, s.score - month_ago.score, now()
    from scored s
    left join lateral (
      select x.score from public.customer_health_score_history x
      where x.user_id = s.user_id and x.calculated_at <= now() - interval '7 days'
      order by x.calculated_at desc limit 1
    ) week_ago on true
    left join lateral (
      select x.score from public.customer_health_score_history x
      where x.user_id = s.user_id and x.calculated_at <= now() - interval '30 days'
      order by x.calculated_at desc limit 1
    ) month_ago on true
    on conflict (user_id) do update
      set score = excluded.score, band = excluded.band, profile = excluded.profile, factors = excluded.factors,
          trend_7d = excluded.trend_7d, trend_30d = excluded.trend_30d, calculated_at = excluded.calculated_at
    returning 1
  )
  select count(*)::integer from latest
$$;
comment on function private.score_businesses() is 'Scores every business with a subscription (0-100, band, factors, trend against 7 and 30 days ago) and keeps the history; returns how many were scored.';
revoke all on function private.score_businesses() from public, anon, authenticated, service_role;

-- Raising and resolving
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
revoke all on function private.churn_risks(text[], uuid) from public, anon, authenticated, service_role;

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
revoke all on function private.refresh_churn_alerts(text[], uuid) from public, anon, authenticated, service_role;

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

-- Jobs
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
revoke all on function private.run_health_scores() from public, anon, authenticated, service_role;

-- Admins
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
revoke all on function public.admin_businesses_at_risk() from public, anon, authenticated, service_role;
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
revoke all on function public.admin_decide_churn_alert(uuid, text) from public, anon, authenticated, service_role;
grant execute on function public.admin_decide_churn_alert(uuid, text) to authenticated;

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
revoke all on function private.watch_cron_jobs() from public, anon, authenticated, service_role;

-- Retention of private.sms_pending_statuses: a status callback waits there only for the seconds
-- until send-sms records its message's sid. One still there after 7 days belongs to a send that
-- was never recorded (its worker died between Twilio's answer and finish_sms_send), and Twilio
-- stops calling back long before; the prune-logs job deletes it.
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
  ),
  pending_statuses as (
    delete from private.sms_pending_statuses where received_at < now() - interval '7 days' returning 1
  )
  select jsonb_build_object(
    'cron_job_run_details', (select count(*) from run_details),
    'error_logs', (select count(*) from errors),
    'ops_alerts', (select count(*) from alerts),
    'inbound_webhook_events', (select count(*) from webhook_events),
    'customer_health_score_history', (select count(*) from score_history),
    'sms_pending_statuses', (select count(*) from pending_statuses))
$$;
comment on function private.prune_logs() is 'The prune-logs job: deletes log rows past their retention (each table''s retention is in its body); returns how many per table.';
revoke all on function private.prune_logs() from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------

create policy "Admins read health scores" on public.customer_health_scores for select to authenticated using ((select private.acting_as_admin()));

create policy "Admins read churn alerts" on public.churn_alerts for select to authenticated using ((select private.acting_as_admin()));

create policy "Admins read health score history" on public.customer_health_score_history for select to authenticated
  using ((select private.acting_as_admin()));

-- ---------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------

create trigger subscriptions_refresh_churn_alerts after insert or update of status, cancel_at_period_end on public.subscriptions
  for each row execute function private.refresh_billing_churn_alerts();
