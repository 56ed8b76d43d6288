-- The whole Data API grant matrix of public: every privilege that anon, authenticated or
-- service_role holds on a table, view or sequence, table-level or column-level, against the list
-- below. A new table without grants, or a grant nobody meant, fails here. The list is what each
-- role uses (supabase/migrations/20261125000000_foundation.sql says why).
begin;
select plan(3);

create temporary table expected_grants (relation text, grantee text, privilege text, columns text) on commit drop;
insert into expected_grants values
  -- anon: the public catalog
  ('plans', 'anon', 'SELECT', null),
  ('topup_products', 'anon', 'SELECT', null),
  -- authenticated: reads under RLS
  ('agents', 'authenticated', 'SELECT', null),
  ('appointments', 'authenticated', 'SELECT', null),
  ('audit_logs', 'authenticated', 'SELECT', null),
  ('billing_rules', 'authenticated', 'SELECT', null),
  ('black_box_events', 'authenticated', 'SELECT', null),
  ('call_recordings', 'authenticated', 'SELECT', null),
  ('call_text_backs', 'authenticated', 'SELECT', null),
  ('caller_blocks', 'authenticated', 'SELECT', null),
  ('calls', 'authenticated', 'SELECT', null),
  ('churn_alerts', 'authenticated', 'SELECT', null),
  ('consent_logs', 'authenticated', 'SELECT', null),
  ('customer_health_scores', 'authenticated', 'SELECT', null),
  ('customer_health_score_history', 'authenticated', 'SELECT', null),
  ('customers', 'authenticated', 'SELECT', null),
  ('dedicated_agent_health', 'authenticated', 'SELECT', null),
  ('dialer_queue', 'authenticated', 'SELECT', null),
  ('error_logs', 'authenticated', 'SELECT', null),
  ('impersonation_sessions', 'authenticated', 'SELECT', null),
  ('integrations', 'authenticated', 'SELECT', 'booking_url,connected_at,created_at,default_event_type_id,external_email,external_user_id,external_username,id,provider,scopes,status,time_zone,token_expires_at,updated_at,user_id'),
  ('leads', 'authenticated', 'SELECT', null),
  ('master_agents', 'authenticated', 'SELECT', null),
  ('master_rollout_numbers', 'authenticated', 'SELECT', null),
  ('master_rollout_rules', 'authenticated', 'SELECT', null),
  ('master_rollouts', 'authenticated', 'SELECT', null),
  ('ops_alerts', 'authenticated', 'SELECT', null),
  ('payout_requests', 'authenticated', 'SELECT', null),
  ('plans', 'authenticated', 'SELECT', null),
  ('profiles', 'authenticated', 'SELECT', null),
  ('prompt_templates', 'authenticated', 'SELECT', null),
  ('reconciliation_runs', 'authenticated', 'SELECT', null),
  ('referral_settings', 'authenticated', 'SELECT', null),
  ('referrals', 'authenticated', 'SELECT', null),
  ('sms_conversations', 'authenticated', 'SELECT', null),
  ('sms_messages', 'authenticated', 'SELECT', null),
  ('sms_consents', 'authenticated', 'SELECT', null),
  ('sms_consent_events', 'authenticated', 'SELECT', null),
  ('sms_conversation_summaries', 'authenticated', 'SELECT', null),
  ('subscriptions', 'authenticated', 'SELECT', null),
  ('suspected_robocallers', 'authenticated', 'SELECT', null),
  ('tool_invocations', 'authenticated', 'SELECT', null),
  ('topup_products', 'authenticated', 'SELECT', null),
  ('topup_purchases', 'authenticated', 'SELECT', null),
  ('tracking_points', 'authenticated', 'SELECT', null),
  ('tracking_sessions', 'authenticated', 'SELECT', null),
  ('usage_calls', 'authenticated', 'SELECT', null),
  ('usage_limits', 'authenticated', 'SELECT', null),
  ('usage_sms', 'authenticated', 'SELECT', null),
  ('usage_warnings', 'authenticated', 'SELECT', null),
  ('webhook_configs', 'authenticated', 'SELECT', null),
  ('webhook_deliveries', 'authenticated', 'SELECT', null),
  ('webhook_endpoint_deliveries', 'authenticated', 'SELECT', null),
  ('webhook_queue', 'authenticated', 'SELECT', null),
  -- authenticated: writes the owner may make, where a policy allows them
  ('appointments', 'authenticated', 'INSERT', 'customer_email,customer_name,customer_phone,end_at,notes,service,start_at,time_zone,user_id'),
  ('appointments', 'authenticated', 'UPDATE', 'customer_email,customer_name,customer_phone,end_at,notes,service,start_at,status,time_zone'),
  ('appointments', 'authenticated', 'DELETE', null),
  ('black_box_events', 'authenticated', 'INSERT', null),
  ('caller_blocks', 'authenticated', 'INSERT', 'note,phone,user_id'),
  ('caller_blocks', 'authenticated', 'DELETE', null),
  ('customers', 'authenticated', 'UPDATE', 'email,name,notes'),
  ('leads', 'authenticated', 'UPDATE', 'flag_reason,flagged,status'),
  ('profiles', 'authenticated', 'UPDATE', 'agent_tone,area_code,business_hours,business_name,business_phone,emergency_fee,full_name,industry,notify_email,notify_sms,schedule_summary,sms_booking_confirmations,standard_fee,text_back_enabled,text_back_message,time_zone,transfer_number'),
  ('tracking_points', 'authenticated', 'INSERT', 'latitude,longitude,recorded_at,session_id,user_id'),
  ('tracking_sessions', 'authenticated', 'INSERT', 'appointment_id,expires_at,technician_name,user_id'),
  ('tracking_sessions', 'authenticated', 'UPDATE', 'status,technician_name'),
  ('webhook_configs', 'authenticated', 'INSERT', 'active,description,events,url,user_id'),
  ('webhook_configs', 'authenticated', 'UPDATE', 'active,description,events,url'),
  ('webhook_configs', 'authenticated', 'DELETE', null),
  -- service_role: what Edge Functions do to tables directly
  ('error_logs', 'service_role', 'INSERT', null),
  ('integrations', 'service_role', 'SELECT', null),
  ('integrations', 'service_role', 'DELETE', null);

-- Table-level privileges, and column-level ones where the table-level privilege is not held, of
-- every relation in public (tables, views, materialized views, sequences, foreign tables).
create temporary view actual_grants as
  with relations as (
    select c.oid, c.relname, c.relacl, c.relowner
    from pg_catalog.pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
  ),
  roles as (
    select oid, rolname from pg_catalog.pg_roles where rolname in ('anon', 'authenticated', 'service_role')
    union all select 0, 'PUBLIC'
  ),
  table_level as (
    select r.relname, g.rolname, a.privilege_type
    from relations r
    cross join lateral pg_catalog.aclexplode(coalesce(r.relacl, pg_catalog.acldefault('r', r.relowner))) a
    join roles g on g.oid = a.grantee
  ),
  column_level as (
    select r.relname, g.rolname, a.privilege_type, string_agg(att.attname, ',' order by att.attname) as columns
    from relations r
    join pg_catalog.pg_attribute att on att.attrelid = r.oid and att.attnum > 0 and not att.attisdropped
    cross join lateral pg_catalog.aclexplode(att.attacl) a
    join roles g on g.oid = a.grantee
    where not exists (select 1 from table_level t where (t.relname, t.rolname, t.privilege_type) = (r.relname, g.rolname, a.privilege_type))
    group by 1, 2, 3
  )
  select relname::text as relation, rolname::text as grantee, privilege_type::text as privilege, null::text as columns from table_level
  union all
  select relname::text, rolname::text, privilege_type::text, columns from column_level;

select is_empty(
  $$ select * from actual_grants except select * from expected_grants $$,
  'no API role holds a privilege in public that is not on the list'
);

select is_empty(
  $$ select * from expected_grants except select * from actual_grants $$,
  'every privilege on the list is granted'
);

select is_empty(
  $$ select c.relname from pg_catalog.pg_class c
     where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
       and not exists (select 1 from expected_grants e where e.relation = c.relname)
       and c.relname not in ('app_settings', 'inbound_webhook_events', 'rate_limit_counters') $$,
  'every table is reachable by some API role, or named here as reached only through functions'
);

select * from finish();
rollback;
