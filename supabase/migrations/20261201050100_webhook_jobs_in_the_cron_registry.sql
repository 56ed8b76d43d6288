-- ============================================================================
-- The outbound webhook jobs join the cron registry (20261201030000), so they run through the
-- overlap-guarded runner and cron-watch sees when they fail or miss a run.
-- ============================================================================

insert into private.cron_jobs (name, schedule, command, max_gap, description) values
  ('kick-due-webhook-deliveries', '* * * * *', 'select private.kick_due_webhook_deliveries()', '5 minutes',
   'Calls webhook-dispatcher when deliveries are due or a worker''s claim expired.'),
  ('webhook-health-check', '*/15 * * * *', 'select private.check_webhook_health()', '45 minutes',
   'Raises an ops alert when an endpoint''s or all endpoints'' failure rate over the last hour is too high, and resolves it when it recovers.');
select private.setup_cron_jobs();
