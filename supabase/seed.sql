-- Demo data for the local stack only (never pushed to hosted Supabase): an admin, and businesses
-- in each state later features have to show. The accounts have the shape Supabase Auth gives them
-- (every column it reads, an email identity), so they sign in through the local Auth stand-in with
-- the local test password (TEST_PASSWORD in stack/config.ts), e.g. stack/auth.ts signIn(email).

insert into private.admin_emails (email) values ('admin@example.com');

with accounts (id, email, full_name) as (values
  ('00000000-0000-4000-8000-000000000001'::uuid, 'admin@example.com', 'Ada Admin'),
  ('00000000-0000-4000-8000-000000000002'::uuid, 'new@example.com', 'Nina New'),
  ('00000000-0000-4000-8000-000000000003'::uuid, 'hvac@example.com', 'Hank Heating'),
  ('00000000-0000-4000-8000-000000000004'::uuid, 'plumbing@example.com', 'Pia Pipes'),
  ('00000000-0000-4000-8000-000000000005'::uuid, 'capped@example.com', 'Carl Capped')
), users as (
  insert into auth.users (
    instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
    confirmation_token, recovery_token, email_change_token_new, email_change,
    raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
  select '00000000-0000-0000-0000-000000000000', a.id, 'authenticated', 'authenticated', a.email,
         extensions.crypt('local-stack-password-1', extensions.gen_salt('bf', 10)), now(), '', '', '', '',
         '{"provider": "email", "providers": ["email"]}',
         jsonb_build_object('full_name', a.full_name, 'sub', a.id, 'email', a.email, 'email_verified', true, 'phone_verified', false),
         now(), now()
  from accounts a
  returning id, email
)
insert into auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
select u.id::text, u.id, jsonb_build_object('sub', u.id, 'email', u.email, 'email_verified', true, 'phone_verified', false), 'email', now(), now()
from users u;

-- Just signed up: the profile trigger made an empty profile; nothing else.

-- Paid and provisioned businesses (HVAC, plumbing) and one that used its whole allowance.
update public.profiles p
set business_name = v.business_name, industry = v.industry, area_code = v.area_code,
    business_phone = v.business_phone, transfer_number = v.transfer_number,
    schedule_summary = v.schedule_summary, standard_fee = v.standard_fee, emergency_fee = v.emergency_fee,
    business_hours = '{"mon": ["08:00", "18:00"], "tue": ["08:00", "18:00"], "wed": ["08:00", "18:00"], "thu": ["08:00", "18:00"], "fri": ["08:00", "18:00"]}',
    consent_version = 'v1', consent_accepted_at = now()
from (values
  ('00000000-0000-4000-8000-000000000003'::uuid, 'Hank''s Heating & Air', 'hvac', '415', '+14155550103', '+14155550903', 'Weekdays 8am to 6pm, emergencies 24/7', 89.00, 189.00),
  ('00000000-0000-4000-8000-000000000004'::uuid, 'Pia''s Plumbing', 'plumbing', '212', '+12125550104', '+12125550904', 'Weekdays 8am to 6pm', 75.00, 150.00),
  ('00000000-0000-4000-8000-000000000005'::uuid, 'Capped Cooling', 'hvac', '312', '+13125550105', '+13125550905', 'Weekdays 9am to 5pm', 95.00, 195.00)
) as v(id, business_name, industry, area_code, business_phone, transfer_number, schedule_summary, standard_fee, emergency_fee)
where p.id = v.id;

insert into public.consent_logs (user_id, consent_version)
select id, 'v1' from public.profiles where consent_version = 'v1';

insert into public.subscriptions (user_id, stripe_customer_id, stripe_subscription_id, plan, status, current_period_start, current_period_end, last_event_at)
select v.user_id, 'cus_seed_' || v.n, 'sub_seed_' || v.n, v.plan, 'active', date_trunc('day', now()) - interval '10 days', date_trunc('day', now()) + interval '20 days', now() - interval '10 days'
from (values
  ('00000000-0000-4000-8000-000000000003'::uuid, 3, 'pro'),
  ('00000000-0000-4000-8000-000000000004'::uuid, 4, 'elite'),
  ('00000000-0000-4000-8000-000000000005'::uuid, 5, 'core')
) as v(user_id, n, plan);

insert into public.agents (user_id, model, deploy_status, retell_agent_id, retell_agent_version, phone_number, area_code_requested, area_code_obtained, area_codes_tried, deployed_at)
values
  ('00000000-0000-4000-8000-000000000003', 'shared', 'active', 'agent_master_hvac', 1, '+14155550003', '415', '415', '{415}', now() - interval '10 days'),
  ('00000000-0000-4000-8000-000000000004', 'shared', 'active', 'agent_master_plumbing', null, '+12125550004', '212', '212', '{212}', now() - interval '10 days'),
  ('00000000-0000-4000-8000-000000000005', 'shared', 'active', 'agent_master_hvac', 1, '+13125550005', '312', '312', '{312}', now() - interval '10 days');

-- Calls of the past ten days; the capped business used all 200 minutes of its plan.
insert into public.calls (call_id, user_id, agent_id, from_number, to_number, status, started_at, ended_at, duration_ms, disconnection_reason)
select 'call_seed_' || v.user_n || '_' || g, v.user_id, v.agent_id, '+1415555' || lpad((1000 + g)::text, 4, '0'), v.to_number, 'ended',
       now() - make_interval(days => g % 10, hours => g % 7), now() - make_interval(days => g % 10, hours => g % 7) + make_interval(secs => v.seconds),
       v.seconds * 1000, 'user_hangup'
from (values
  (3, '00000000-0000-4000-8000-000000000003'::uuid, 'agent_master_hvac', '+14155550003', 12, 180),
  (4, '00000000-0000-4000-8000-000000000004'::uuid, 'agent_master_plumbing', '+12125550004', 8, 240),
  (5, '00000000-0000-4000-8000-000000000005'::uuid, 'agent_master_hvac', '+13125550005', 20, 600)
) as v(user_n, user_id, agent_id, to_number, calls, seconds),
lateral generate_series(1, v.calls) as g;

insert into public.usage_calls (user_id, call_id, duration_seconds, billable_minutes, plan_minutes, occurred_at)
select user_id, call_id, duration_ms / 1000, ceil(duration_ms / 60000.0)::int, ceil(duration_ms / 60000.0)::int, ended_at
from public.calls where call_id like 'call_seed_%';

insert into public.usage_limits (user_id, period_start, period_end, call_minutes_allowance, sms_allowance, call_minutes_used, calls_count, cap_reached_at)
select s.user_id, s.current_period_start, s.current_period_end, v.minutes, v.sms,
       (select coalesce(sum(billable_minutes), 0) from public.usage_calls u where u.user_id = s.user_id),
       (select count(*) from public.usage_calls u where u.user_id = s.user_id),
       case when v.minutes <= (select coalesce(sum(billable_minutes), 0) from public.usage_calls u where u.user_id = s.user_id) then now() end
from public.subscriptions s
join (values ('core', 200, 200), ('pro', 500, 500), ('elite', 1000, 1000)) as v(plan, minutes, sms) on v.plan = s.plan;

insert into public.customers (user_id, phone, name, total_calls, first_seen_at, last_seen_at)
select user_id, from_number, null, count(*), min(started_at), max(started_at)
from public.calls where call_id like 'call_seed_%'
group by user_id, from_number;

insert into public.leads (user_id, call_id, customer_id, name, phone, summary, service_needed, urgency)
select c.user_id, c.call_id, cu.id, 'Caller ' || right(c.from_number, 4), c.from_number, 'Asked for a quote', 'AC repair', 'normal'
from public.calls c
join public.customers cu on cu.user_id = c.user_id and cu.phone = c.from_number
where c.call_id in ('call_seed_3_1', 'call_seed_3_2', 'call_seed_4_1');
