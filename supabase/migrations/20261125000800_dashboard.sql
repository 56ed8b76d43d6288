-- ============================================================================
-- Dashboard: what the owner's and the admins' dashboards read (calls, minutes, appointments, leads,
-- analytics) and a customer's history across calls, texts and appointments.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Functions
-- ---------------------------------------------------------------------------

-- Customers
create function public.customer_history(customer_phone text)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select jsonb_build_object(
    'customer', to_jsonb(c),
    'calls', coalesce((select jsonb_agg(to_jsonb(x) order by x.started_at desc) from public.calls x
                       where x.user_id = c.user_id and x.from_number = c.phone), '[]'::jsonb),
    'messages', coalesce((select jsonb_agg(to_jsonb(m) order by m.created_at) from public.sms_messages m
                          join public.sms_conversations v on v.id = m.conversation_id
                          where v.user_id = c.user_id and v.customer_phone = c.phone), '[]'::jsonb),
    'appointments', coalesce((select jsonb_agg(to_jsonb(a) order by a.start_at desc) from public.appointments a
                              where a.user_id = c.user_id and a.customer_phone = c.phone), '[]'::jsonb),
    'leads', coalesce((select jsonb_agg(to_jsonb(l) order by l.created_at desc) from public.leads l
                       where l.customer_id = c.id), '[]'::jsonb)
  )
  from public.customers c
  where c.user_id = private.effective_user_id() and c.phone = customer_phone
$$;
comment on function public.customer_history(text) is 'One customer of the effective user with their calls, messages, appointments and leads, in one round trip; null if unknown.';
revoke all on function public.customer_history(text) from public, anon, authenticated, service_role;
grant execute on function public.customer_history(text) to authenticated;

-- A business's dashboard
create function public.dashboard_stats()
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  with me as (
    select (select private.effective_user_id()) as user_id
  ),
  limits as (
    select l.* from public.usage_limits l join me on l.user_id = me.user_id
  ),
  period as (
    -- The billing period, or the calendar month for a business without one.
    select coalesce((select period_start from limits), date_trunc('month', now())) as starts,
           coalesce((select period_end from limits), date_trunc('month', now()) + interval '1 month') as ends
  ),
  period_calls as (
    select c.*
    from public.calls c, me, period
    where c.user_id = me.user_id and not c.is_demo
      and coalesce(c.started_at, c.created_at) >= period.starts and coalesce(c.started_at, c.created_at) < period.ends
  ),
  counts as (
    select
      count(*) as calls,
      count(*) filter (where status <> 'refused' and duration_ms > 0) as answered,
      count(*) filter (where status = 'refused') as refused,
      (select count(distinct a.call_id) from public.appointments a, me
       where a.user_id = me.user_id and a.call_id in (select call_id from period_calls)) as booked
    from period_calls
  )
  select jsonb_build_object(
    'period_start', period.starts,
    'period_end', period.ends,
    'calls', counts.calls,
    'answered_calls', counts.answered,
    'refused_calls', counts.refused,
    'minutes_used', (select coalesce(sum(u.billable_minutes), 0) from public.usage_calls u, me
                     where u.user_id = me.user_id and u.occurred_at >= period.starts and u.occurred_at < period.ends),
    'minutes_left', (select greatest(l.call_minutes_allowance - l.call_minutes_used, 0) + l.topup_call_minutes from limits l),
    'sms_left', (select greatest(l.sms_allowance - l.sms_used, 0) + l.topup_sms from limits l),
    'cap_reached_at', (select l.cap_reached_at from limits l),
    'leads', (select count(*) from public.leads l, me
              where l.user_id = me.user_id and l.created_at >= period.starts and l.created_at < period.ends),
    'new_leads', (select count(*) from public.leads l, me where l.user_id = me.user_id and l.status = 'new'),
    'appointments', (select count(*) from public.appointments a, me
                     where a.user_id = me.user_id and a.created_at >= period.starts and a.created_at < period.ends),
    'upcoming_appointments', (select count(*) from public.appointments a, me
                              where a.user_id = me.user_id and a.start_at >= now() and a.status in ('scheduled', 'rescheduled')),
    'answer_rate', round(counts.answered::numeric / nullif(counts.calls, 0), 3),
    'booking_rate', round(counts.booked::numeric / nullif(counts.answered, 0), 3),
    'recent_calls', coalesce((
      select jsonb_agg(recent order by recent.occurred_at desc)
      from (
        select c.call_id, c.direction, c.from_number, c.to_number, c.status, c.refusal_reason,
               coalesce(c.started_at, c.created_at) as occurred_at,
               round(c.duration_ms / 1000.0)::integer as duration_seconds,
               r.summary, r.sentiment, r.recording_url is not null as has_recording,
               (select l.id from public.leads l where l.call_id = c.call_id) as lead_id
        from public.calls c
        cross join me
        left join public.call_recordings r on r.call_id = c.call_id
        where c.user_id = me.user_id and not c.is_demo
        order by coalesce(c.started_at, c.created_at) desc
        limit 10
      ) as recent
    ), '[]'::jsonb)
  )
  from period, counts
$$;
comment on function public.dashboard_stats() is 'The effective user''s dashboard for the current billing period: calls (answered, refused), minutes used and left, SMS left, leads, appointments, answer and booking rates, ten most recent calls.';
revoke all on function public.dashboard_stats() from public, anon, authenticated, service_role;
grant execute on function public.dashboard_stats() to authenticated;

create function public.analytics(days integer default 30)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  me uuid := (select private.effective_user_id());
  zone text;
  first_day date;
  since timestamptz;
begin
  if days is null or days not between 1 and 366 then
    raise exception 'days must be between 1 and 366' using errcode = '22023';
  end if;
  zone := coalesce((select p.time_zone from public.profiles p where p.id = me), 'UTC');
  first_day := (now() at time zone zone)::date - (days - 1);
  since := first_day::timestamp at time zone zone;
  return jsonb_build_object('time_zone', zone, 'days', (
    select jsonb_agg(jsonb_build_object(
      'date', d.day,
      'calls', coalesce(c.calls, 0),
      'answered_calls', coalesce(c.answered, 0),
      'refused_calls', coalesce(c.refused, 0),
      'minutes', coalesce(u.minutes, 0),
      'leads', coalesce(l.leads, 0),
      'appointments', coalesce(a.appointments, 0)
    ) order by d.day)
    from (select first_day + offset_days as day from generate_series(0, days - 1) as offset_days) as d
    left join (
      select (coalesce(x.started_at, x.created_at) at time zone zone)::date as day,
             count(*) as calls,
             count(*) filter (where x.status <> 'refused' and x.duration_ms > 0) as answered,
             count(*) filter (where x.status = 'refused') as refused
      from public.calls x
      where x.user_id = me and not x.is_demo and coalesce(x.started_at, x.created_at) >= since
      group by 1
    ) c on c.day = d.day
    left join (
      select (x.occurred_at at time zone zone)::date as day, sum(x.billable_minutes) as minutes
      from public.usage_calls x where x.user_id = me and x.occurred_at >= since group by 1
    ) u on u.day = d.day
    left join (
      select (x.created_at at time zone zone)::date as day, count(*) as leads
      from public.leads x where x.user_id = me and x.created_at >= since group by 1
    ) l on l.day = d.day
    left join (
      select (x.created_at at time zone zone)::date as day, count(*) as appointments
      from public.appointments x where x.user_id = me and x.created_at >= since group by 1
    ) a on a.day = d.day
  ));
end
$$;
comment on function public.analytics(integer) is 'The effective user''s activity per day over the last `days` days (1-366) in their time zone: calls, answered and refused calls, billable minutes, leads, appointments booked.';
revoke all on function public.analytics(integer) from public, anon, authenticated, service_role;
grant execute on function public.analytics(integer) to authenticated;

-- Across businesses, for admins
create function public.admin_dashboard_stats(days integer default 30)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  since timestamptz := now() - make_interval(days => days);
begin
  perform private.assert_admin();
  if not private.acting_as_admin() then
    raise exception 'end the impersonation to see every business' using errcode = '42501';
  end if;
  if days is null or days not between 1 and 366 then
    raise exception 'days must be between 1 and 366' using errcode = '22023';
  end if;
  return (
    with window_calls as (
      select c.* from public.calls c
      where coalesce(c.started_at, c.created_at) >= since and not c.is_demo
    ),
    counts as (
      select count(*) as calls,
             count(*) filter (where status <> 'refused' and duration_ms > 0) as answered,
             count(*) filter (where status = 'refused') as refused,
             (select count(distinct a.call_id) from public.appointments a
              where a.call_id in (select call_id from window_calls)) as booked
      from window_calls
    )
    select jsonb_build_object(
      'since', since,
      'businesses', (select count(*) from public.subscriptions s where s.status in ('active', 'trialing', 'past_due')),
      'live_numbers', (select count(*) from public.agents a where a.deploy_status = 'active'),
      'businesses_over_cap', (select count(*) from public.usage_limits l where l.cap_reached_at is not null and now() < l.period_end),
      'calls', counts.calls,
      'answered_calls', counts.answered,
      'refused_calls', counts.refused,
      'demo_calls', (select count(*) from public.calls c where c.is_demo and c.created_at >= since),
      'minutes', (select coalesce(sum(u.billable_minutes), 0) from public.usage_calls u where u.occurred_at >= since),
      'leads', (select count(*) from public.leads l where l.created_at >= since),
      'appointments', (select count(*) from public.appointments a where a.created_at >= since),
      'answer_rate', round(counts.answered::numeric / nullif(counts.calls, 0), 3),
      'booking_rate', round(counts.booked::numeric / nullif(counts.answered, 0), 3),
      'top_businesses', coalesce((
        select jsonb_agg(b order by b.calls desc, b.user_id)
        from (
          select w.user_id, p.business_name, count(*) as calls,
                 count(*) filter (where w.status = 'refused') as refused_calls,
                 (select coalesce(sum(u.billable_minutes), 0) from public.usage_calls u
                  where u.user_id = w.user_id and u.occurred_at >= since) as minutes
          from window_calls w
          left join public.profiles p on p.id = w.user_id
          where w.user_id is not null
          group by w.user_id, p.business_name
          order by count(*) desc, w.user_id
          limit 10
        ) as b
      ), '[]'::jsonb),
      'recent_calls', coalesce((
        select jsonb_agg(r order by r.occurred_at desc)
        from (
          select c.call_id, c.user_id, p.business_name, c.from_number, c.to_number, c.status, c.refusal_reason,
                 coalesce(c.started_at, c.created_at) as occurred_at, round(c.duration_ms / 1000.0)::integer as duration_seconds
          from public.calls c
          left join public.profiles p on p.id = c.user_id
          order by coalesce(c.started_at, c.created_at) desc
          limit 20
        ) as r
      ), '[]'::jsonb)
    )
    from counts
  );
end
$$;
comment on function public.admin_dashboard_stats(integer) is 'Admins: activity across every business over the last `days` days: businesses, live numbers, businesses over cap, calls, minutes, leads, appointments, rates, the busiest businesses and the latest calls.';
revoke all on function public.admin_dashboard_stats(integer) from public, anon, authenticated, service_role;
grant execute on function public.admin_dashboard_stats(integer) to authenticated;
