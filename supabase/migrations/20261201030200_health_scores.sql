-- ============================================================================
-- Customer health scores, every 6 hours, in one set-based statement over all businesses with a
-- subscription. 0-100 in the bands customer-success teams use (below 50 red, below 75 yellow, else
-- green), with each factor's points and weight stored beside the score so an operator sees why,
-- and a history for the trend against 7 and 30 days ago.
--
-- An established business (30 days or older) is scored on what it gets from the product:
--   value     45  answered calls in the last 7 days against its own weekly baseline of the 28 days
--                 before (30), and the share of answered calls that became bookings (15, full at 30%)
--   billing   25  subscription live (past due: 8, ended: 0), less 10 for a cancellation scheduled
--                 and 5 for the cap reached this period
--   engagement 15 the owner's last sign-in: 7 days 15, 14 days 10, 30 days 5
--   setup     10  Cal.com not in need of a new consent (5), no webhook endpoint disabled (5)
--   quality    5  answered calls without an error or a negative sentiment in the last 28 days
-- A business in its first 30 days is scored on onboarding instead: profile complete 20, consent 15,
-- subscription live 20, number live 20, first answered call 15, Cal.com connected 10.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

alter table public.customer_health_scores
  add column band text not null default 'green' check (band in ('red', 'yellow', 'green')),
  add column profile text not null default 'established' check (profile in ('onboarding', 'established')),
  add column trend_7d integer,
  add column trend_30d integer;
comment on column public.customer_health_scores.factors is 'Each factor''s points and weight, and the inputs behind them.';
comment on column public.customer_health_scores.trend_7d is 'Score now minus the score about 7 days ago (null without history).';
comment on column public.customer_health_scores.trend_30d is 'Score now minus the score about 30 days ago (null without history).';

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
create index customer_health_score_history_user_id_calculated_at_idx on public.customer_health_score_history (user_id, calculated_at desc);

alter table public.customer_health_score_history enable row level security;
create policy "Admins read health score history" on public.customer_health_score_history for select to authenticated
  using ((select private.acting_as_admin()));
-- Admins read it under their policy; what hosted's defaults leave to the API roles goes.
revoke all on public.customer_health_score_history from anon, authenticated, service_role;
revoke all on sequence public.customer_health_score_history_id_seq from anon, authenticated, service_role;
grant select on public.customer_health_score_history to authenticated;

-- ---------------------------------------------------------------------------
-- The scoring run
-- ---------------------------------------------------------------------------

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
revoke execute on function private.score_businesses() from public;
