-- ---------------------------------------------------------------------------
-- Schedules: every pg_cron job of the project, registered here and scheduled by
-- private.setup_cron_jobs(), which runs each through private.run_cron_job() (overlap guard, run
-- record) so cron-watch sees a failed or missed run. Times are UTC.
-- ---------------------------------------------------------------------------

insert into private.cron_jobs (name, schedule, command, max_gap, description) values
  ('prune-rate-limit-counters', '17 * * * *', 'select private.prune_rate_limit_counters()', '2 hours',
   'Deletes rate-limit windows that have ended.'),
  ('prune-calcom-oauth-states', '23 * * * *', 'select private.prune_calcom_oauth_states()', '2 hours',
   'Deletes Cal.com OAuth states that expired unused.'),
  ('nightly-reconciliation', '0 3 * * *', $$select private.reconcile_usage('cron')$$, '25 hours',
   'Recomputes every business''s usage counters from the ledgers and records the corrections.'),
  ('run-queued-reconciliations', '* * * * *', 'select private.run_queued_reconciliations()', '5 minutes',
   'Completes reconciliation runs that admins queued.'),
  ('kick-due-agent-deployments', '* * * * *', 'select private.kick_due_agent_deployments()', '5 minutes',
   'Calls agent-deployer for deployments that are due or whose lease expired.'),
  ('health-scores', '7 */6 * * *', 'select private.run_health_scores()', '7 hours',
   'Refreshes profiles.last_activity_at, scores every subscribed business, and raises or resolves the alerts that follow.'),
  ('inactivity-check', '37 4 * * *', $$select private.record_business_activity(), private.refresh_churn_alerts(array['inactive'])$$, '25 hours',
   'Raises an inactive alert for subscribed businesses without activity for 14 days, and resolves it when they come back.'),
  ('cron-watch', '*/5 * * * *', 'select private.watch_cron_jobs()', '15 minutes',
   'Raises an ops alert for every registered job that failed or missed a run, and resolves it when the job recovers.'),
  ('prune-logs', '47 2 * * *', 'select private.prune_logs()', '25 hours',
   'Deletes log rows past their retention: cron run details, error logs, resolved ops alerts, processed webhook ids, old score history, SMS status callbacks that never found their send.'),
  ('kick-due-webhook-deliveries', '* * * * *', 'select private.kick_due_webhook_deliveries()', '5 minutes',
   'Calls webhook-dispatcher when deliveries are due or a worker''s claim expired.'),
  ('webhook-health-check', '*/15 * * * *', 'select private.check_webhook_health()', '45 minutes',
   'Raises an ops alert when an endpoint''s or all endpoints'' failure rate over the last hour is too high, and resolves it when it recovers.'),
  ('master-agent-health', '*/3 * * * *', $$select private.call_function('master-agent-health')$$, '15 minutes',
   'Calls master-agent-health, which checks each industry''s master agent at Retell and its recent error disconnections, alerts and fails over while one is unhealthy.'),
  ('retell-template-sync', '* * * * *', $$select private.call_function('retell-template-sync')$$, '5 minutes',
   'Calls retell-template-sync, which pushes each industry''s changed prompt template to its master Retell LLM as a new draft every RETELL_AUTO_SYNC_MINUTES and reports drift.'),
  ('kick-due-emails', '* * * * *', 'select private.kick_due_emails()', '5 minutes',
   'Calls send-emails when an owner email is due: a kick was lost or a send is retried.'),
  ('kick-queued-sms', '* * * * *', 'select private.kick_queued_sms()', '10 minutes',
   'Calls send-sms/queued when an automatic text (a booking confirmation...) is due: a lost kick or an expired claim.'),
  ('master-rollout', '* * * * *', $$select private.call_function('master-rollout')$$, '5 minutes',
   'Calls master-rollout, which publishes a rollout''s new master version, binds numbers to the current stage''s weights, advances healthy stages and rolls back worse versions.');

select private.setup_cron_jobs();
