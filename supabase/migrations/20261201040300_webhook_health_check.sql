-- ============================================================================
-- Webhook health check, every 15 minutes: the failure rate of delivery attempts over the last hour
-- per endpoint and overall. Above the threshold an ops alert opens (one per endpoint, one overall,
-- deduplicated while open); it is resolved when the rate recovers. Replays are not counted.
-- ============================================================================

create function private.check_webhook_health(failure_threshold numeric default 0.5, min_attempts integer default 5)
returns integer
language sql
security definer
set search_path = ''
as $$
  -- One row per endpoint with attempts in the window, and one for all of them (endpoint null).
  with health as (
    select g.webhook_config_id as endpoint, max(g.user_id::text)::uuid as user_id, count(*)::integer as attempts,
           (count(*) filter (where g.status_code is null or g.status_code not between 200 and 299))::integer as failures,
           case when grouping(g.webhook_config_id) = 1 then 'webhook_failure_rate'
                else 'webhook_endpoint_failing:' || g.webhook_config_id end as dedupe_key
    from public.webhook_deliveries g
    where g.created_at > now() - interval '1 hour' and not g.replay and g.webhook_config_id is not null
    group by grouping sets ((g.webhook_config_id), ())
  ), failing as (
    select * from health h where h.attempts >= min_attempts and h.failures > failure_threshold * h.attempts
  ), opened as (
    insert into public.ops_alerts (kind, severity, message, user_id, details, dedupe_key)
    select case when f.endpoint is null then 'webhook_failure_rate' else 'webhook_endpoint_failing' end,
           case when f.endpoint is null then 'critical' else 'warning' end,
           format('%s of %s webhook attempts failed in the last hour%s', f.failures, f.attempts,
                  case when f.endpoint is null then ' (all endpoints)' else '' end),
           f.user_id,
           jsonb_build_object('webhook_config_id', f.endpoint, 'attempts', f.attempts, 'failures', f.failures,
                              'threshold', failure_threshold),
           f.dedupe_key
    from failing f
    on conflict (dedupe_key) where resolved_at is null do nothing
    returning 1
  ), resolved as (
    -- Recovered: below the threshold now, or nothing attempted in the window.
    update public.ops_alerts a set resolved_at = now()
    where a.resolved_at is null and a.kind in ('webhook_failure_rate', 'webhook_endpoint_failing')
      and a.dedupe_key not in (select f.dedupe_key from failing f)
    returning 1
  )
  select count(*)::integer from opened
$$;
comment on function private.check_webhook_health(numeric, integer) is 'Opens an ops alert for each endpoint, and for all endpoints together, whose attempts in the last hour (at least min_attempts, replays excluded) failed more often than failure_threshold; resolves those that recovered. Returns how many it opened. Run by the webhook-health-check job.';

select cron.schedule('webhook-health-check', '*/15 * * * *', 'select private.check_webhook_health()');

revoke execute on function private.check_webhook_health(numeric, integer) from public, anon, authenticated;
