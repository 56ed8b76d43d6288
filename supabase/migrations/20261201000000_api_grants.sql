-- ============================================================================
-- Data API grants, role by role. Since 2026-10-30 hosted Supabase no longer grants new tables in
-- public to anon, authenticated and service_role (changelog 45329); what is left of its default
-- privileges (truncate, references, trigger on tables; update on sequences) no API role needs.
-- So each role gets exactly what it uses: RLS decides which rows, these grants whether the verb is
-- allowed at all. Column-level grants that protect columns stay in the migrations of their tables.
-- supabase/tests/rls/table_grants.test.sql holds the whole matrix.
--
--   anon           the public catalog (plans, top-up products), nothing else
--   authenticated  reads every table that has a read policy; writes only where a policy allows
--                  it (table-level here, column-level in the table's own migration)
--   service_role   only what Edge Functions do to tables directly; everything else they do
--                  through security definer RPCs
-- ============================================================================

-- From a clean slate: anon and service_role hold no column grants, so everything they had goes;
-- authenticated keeps the column grants of earlier migrations and loses only the leftovers. The
-- same statements leave the same matrix on a project made with default privileges still on.
revoke all on all tables in schema public from anon, service_role;
revoke truncate, references, trigger on all tables in schema public from authenticated;
revoke all on all sequences in schema public from anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Plans and top-up products: the public catalog
-- ---------------------------------------------------------------------------

grant select on public.plans, public.topup_products to anon, authenticated;

-- ---------------------------------------------------------------------------
-- Profiles, agents, billing and usage (updates of profiles: column-level, 20261125001100)
-- ---------------------------------------------------------------------------

grant select on
  public.profiles, public.agents, public.subscriptions, public.usage_limits, public.usage_calls,
  public.usage_sms, public.topup_purchases
to authenticated;

-- ---------------------------------------------------------------------------
-- Calls, customers, leads, SMS (owners annotate customers and triage leads: column-level,
-- 20261125001400)
-- ---------------------------------------------------------------------------

grant select on
  public.calls, public.call_recordings, public.customers, public.leads, public.sms_conversations,
  public.sms_messages, public.tool_invocations
to authenticated;

-- retell-inbound records a lookup failure after it has answered Retell.
grant insert on public.error_logs to service_role;

-- ---------------------------------------------------------------------------
-- Appointments and tracking (inserts and updates: column-level, 20261125001600 and 20261125002200)
-- ---------------------------------------------------------------------------

grant select, delete on public.appointments to authenticated;
grant select on public.tracking_sessions, public.tracking_points to authenticated;

-- ---------------------------------------------------------------------------
-- Integrations (owners select the columns that are not tokens: 20261125001700). calcom-oauth and
-- the calendar tools load the connection with its sealed tokens; disconnect removes it.
-- ---------------------------------------------------------------------------

grant select, delete on public.integrations to service_role;

-- ---------------------------------------------------------------------------
-- Outbound webhooks (inserts and updates of endpoints: column-level, 20261125001800)
-- ---------------------------------------------------------------------------

grant select, delete on public.webhook_configs to authenticated;
grant select on public.webhook_queue, public.webhook_deliveries to authenticated;

-- ---------------------------------------------------------------------------
-- Referrals, consent, black box
-- ---------------------------------------------------------------------------

grant select on public.referral_settings, public.referrals, public.payout_requests, public.consent_logs to authenticated;
grant select, insert on public.black_box_events to authenticated;

-- ---------------------------------------------------------------------------
-- Operations: admins read through their policies; app_settings, inbound_webhook_events and
-- rate_limit_counters are reached only through security definer functions
-- ---------------------------------------------------------------------------

grant select on
  public.audit_logs, public.impersonation_sessions, public.customer_health_scores, public.churn_alerts,
  public.ops_alerts, public.error_logs, public.reconciliation_runs, public.dialer_queue
to authenticated;

-- The rate limiter counted hits as its caller, so the service role needed the counters table; as
-- a security definer function (executable by the service role only) it needs nothing.
alter function public.consume_rate_limit(text, integer, integer) security definer;

-- ---------------------------------------------------------------------------
-- Functions: health_check had only the default grant that hosted no longer gives
-- ---------------------------------------------------------------------------

grant execute on function public.health_check() to anon, authenticated, service_role;
