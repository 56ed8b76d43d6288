-- ============================================================================
-- One read policy per table instead of two: Postgres evaluates every permissive policy of a
-- command for every row, so an owner policy beside an admin policy cost two checks per row
-- (Supabase's advisors flag it as multiple_permissive_policies). Each pair becomes one policy
-- whose condition is "owner or admin", both sides still evaluated once per statement.
-- ============================================================================

drop policy "Admins read every agent" on public.agents;
drop policy "Users read their own agent" on public.agents;
create policy "Users read their own agents, admins every one" on public.agents for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

drop policy "Admins read every appointment" on public.appointments;
drop policy "Users read their own appointments" on public.appointments;
create policy "Users read their own appointments, admins every one" on public.appointments for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

drop policy "Admins read every black-box event" on public.black_box_events;
drop policy "Users read their own black-box events" on public.black_box_events;
create policy "Users read their own black-box events, admins every one" on public.black_box_events for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

drop policy "Admins read every call recording" on public.call_recordings;
drop policy "Users read their own call recordings" on public.call_recordings;
create policy "Users read their own call recordings, admins every one" on public.call_recordings for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

drop policy "Admins read every call" on public.calls;
drop policy "Users read their own calls" on public.calls;
create policy "Users read their own calls, admins every one" on public.calls for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

drop policy "Admins read every consent" on public.consent_logs;
drop policy "Users read their own consents" on public.consent_logs;
create policy "Users read their own consents, admins every one" on public.consent_logs for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

drop policy "Admins read every customer" on public.customers;
drop policy "Users read their own customers" on public.customers;
create policy "Users read their own customers, admins every one" on public.customers for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

drop policy "Admins read every integration" on public.integrations;
drop policy "Users read their own integrations" on public.integrations;
create policy "Users read their own integrations, admins every one" on public.integrations for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

drop policy "Admins read every lead" on public.leads;
drop policy "Users read their own leads" on public.leads;
create policy "Users read their own leads, admins every one" on public.leads for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

drop policy "Admins read every payout request" on public.payout_requests;
drop policy "Users read their own payout requests" on public.payout_requests;
create policy "Users read their own payout requests, admins every one" on public.payout_requests for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

drop policy "Admins read every profile" on public.profiles;
drop policy "Users read their own profile" on public.profiles;
create policy "Users read their own profile, admins every one" on public.profiles for select to authenticated
  using (id = (select private.effective_user_id()) or (select private.acting_as_admin()));

drop policy "Admins read every referral" on public.referrals;
drop policy "Users read referrals they made" on public.referrals;
create policy "Users read referrals they made, admins every one" on public.referrals for select to authenticated
  using (referrer_user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

drop policy "Admins read every SMS conversation" on public.sms_conversations;
drop policy "Users read their own SMS conversations" on public.sms_conversations;
create policy "Users read their own SMS conversations, admins every one" on public.sms_conversations for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

drop policy "Admins read every SMS message" on public.sms_messages;
drop policy "Users read their own SMS messages" on public.sms_messages;
create policy "Users read their own SMS messages, admins every one" on public.sms_messages for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

drop policy "Admins read every subscription" on public.subscriptions;
drop policy "Users read their own subscription" on public.subscriptions;
create policy "Users read their own subscription, admins every one" on public.subscriptions for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

drop policy "Admins read every top-up purchase" on public.topup_purchases;
drop policy "Users read their own top-up purchases" on public.topup_purchases;
create policy "Users read their own top-up purchases, admins every one" on public.topup_purchases for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

drop policy "Admins read every tracking point" on public.tracking_points;
drop policy "Users read their own tracking points" on public.tracking_points;
create policy "Users read their own tracking points, admins every one" on public.tracking_points for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

drop policy "Admins read every tracking session" on public.tracking_sessions;
drop policy "Users read their own tracking sessions" on public.tracking_sessions;
create policy "Users read their own tracking sessions, admins every one" on public.tracking_sessions for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

drop policy "Admins read all call usage" on public.usage_calls;
drop policy "Users read their own call usage" on public.usage_calls;
create policy "Users read their own call usage, admins every one" on public.usage_calls for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

drop policy "Admins read every usage limit" on public.usage_limits;
drop policy "Users read their own usage limits" on public.usage_limits;
create policy "Users read their own usage limits, admins every one" on public.usage_limits for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

drop policy "Admins read all SMS usage" on public.usage_sms;
drop policy "Users read their own SMS usage" on public.usage_sms;
create policy "Users read their own SMS usage, admins every one" on public.usage_sms for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

drop policy "Admins read every webhook" on public.webhook_configs;
drop policy "Users read their own webhooks" on public.webhook_configs;
create policy "Users read their own webhooks, admins every one" on public.webhook_configs for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

drop policy "Admins read every delivery" on public.webhook_deliveries;
drop policy "Users read their own deliveries" on public.webhook_deliveries;
create policy "Users read their own webhook deliveries, admins every one" on public.webhook_deliveries for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

drop policy "Admins read every outbox event" on public.webhook_queue;
drop policy "Users read their own outbox" on public.webhook_queue;
create policy "Users read their own outbox events, admins every one" on public.webhook_queue for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));
