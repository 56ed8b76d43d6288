-- ============================================================================
-- Retention of private.sms_pending_statuses: a status callback waits there only for the seconds
-- until send-sms records its message's sid. One still there after 7 days belongs to a send that
-- was never recorded (its worker died between Twilio's answer and finish_sms_send), and Twilio
-- stops calling back long before; the prune-logs job deletes it.
-- ============================================================================

create or replace function private.prune_logs()
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
comment on function private.prune_logs() is 'The prune-logs job: deletes log rows past their retention (see the migrations 20261201030400 and 20261202000400); returns how many per table.';

update private.cron_jobs
set description = 'Deletes log rows past their retention: cron run details, error logs, resolved ops alerts, processed webhook ids, old score history, SMS status callbacks that never found their send.'
where name = 'prune-logs';
