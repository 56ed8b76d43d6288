-- ============================================================================
-- Billing state: the Stripe subscription of each business, its allowances and counters for the
-- current period, and the usage ledgers the counters are derived from. Written by functions and
-- triggers only; the owner and admins read.
-- ============================================================================

create table public.subscriptions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null unique references auth.users (id) on delete cascade,
  stripe_customer_id text,
  stripe_subscription_id text unique,
  plan text not null check (plan in ('core', 'pro', 'elite', 'scale')),
  status text not null check (status in ('incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused')),
  current_period_start timestamptz,
  current_period_end timestamptz,
  cancel_at_period_end boolean not null default false,
  canceled_at timestamptz,
  last_event_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (current_period_end is null or current_period_end > current_period_start)
);
comment on table public.subscriptions is 'Each business''s Stripe subscription: plan, status and billing period.';
comment on column public.subscriptions.last_event_at is 'Creation time of the newest Stripe event applied; older events never overwrite newer state.';
create index subscriptions_stripe_customer_id_idx on public.subscriptions (stripe_customer_id);

create table public.usage_limits (
  user_id uuid primary key references auth.users (id) on delete cascade,
  period_start timestamptz not null,
  period_end timestamptz not null,
  call_minutes_allowance integer not null check (call_minutes_allowance >= 0),
  sms_allowance integer not null check (sms_allowance >= 0),
  call_minutes_used integer not null default 0 check (call_minutes_used >= 0),
  sms_used integer not null default 0 check (sms_used >= 0),
  topup_call_minutes integer not null default 0 check (topup_call_minutes >= 0),
  topup_sms integer not null default 0 check (topup_sms >= 0),
  calls_count integer not null default 0 check (calls_count >= 0),
  cap_reached_at timestamptz,
  updated_at timestamptz not null default now(),
  check (period_end > period_start)
);
comment on table public.usage_limits is 'Allowances and counters of the current billing period, plus top-up credits that outlive periods.';
comment on column public.usage_limits.call_minutes_used is 'Plan minutes used this period (top-up minutes are drawn from topup_call_minutes once this reaches the allowance).';

create table public.usage_calls (
  id bigint generated always as identity primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  call_id text not null unique,
  duration_seconds integer not null check (duration_seconds >= 0),
  billable_minutes integer not null check (billable_minutes >= 0),
  plan_minutes integer not null default 0 check (plan_minutes >= 0),
  topup_minutes integer not null default 0 check (topup_minutes >= 0),
  occurred_at timestamptz not null default now(),
  created_at timestamptz not null default now()
);
comment on table public.usage_calls is 'Billing ledger: one row per ended call, the source of truth for minutes used.';
create index usage_calls_user_id_occurred_at_idx on public.usage_calls (user_id, occurred_at);

create table public.usage_sms (
  id bigint generated always as identity primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  message_id text not null unique,
  direction text not null check (direction in ('inbound', 'outbound')),
  segments integer not null default 1 check (segments between 1 and 20),
  from_plan integer not null default 0 check (from_plan >= 0),
  from_topup integer not null default 0 check (from_topup >= 0),
  occurred_at timestamptz not null default now(),
  created_at timestamptz not null default now()
);
comment on table public.usage_sms is 'Billing ledger: one row per SMS sent for a business, the source of truth for SMS used.';
create index usage_sms_user_id_occurred_at_idx on public.usage_sms (user_id, occurred_at);

create trigger subscriptions_set_updated_at before update on public.subscriptions
  for each row execute function private.set_updated_at();
create trigger usage_limits_set_updated_at before update on public.usage_limits
  for each row execute function private.set_updated_at();

alter table public.subscriptions enable row level security;
alter table public.usage_limits enable row level security;
alter table public.usage_calls enable row level security;
alter table public.usage_sms enable row level security;

create policy "Users read their own subscription" on public.subscriptions for select to authenticated
  using (user_id = (select private.effective_user_id()));
create policy "Admins read every subscription" on public.subscriptions for select to authenticated
  using ((select private.acting_as_admin()));
create policy "Users read their own usage limits" on public.usage_limits for select to authenticated
  using (user_id = (select private.effective_user_id()));
create policy "Admins read every usage limit" on public.usage_limits for select to authenticated
  using ((select private.acting_as_admin()));
create policy "Users read their own call usage" on public.usage_calls for select to authenticated
  using (user_id = (select private.effective_user_id()));
create policy "Admins read all call usage" on public.usage_calls for select to authenticated
  using ((select private.acting_as_admin()));
create policy "Users read their own SMS usage" on public.usage_sms for select to authenticated
  using (user_id = (select private.effective_user_id()));
create policy "Admins read all SMS usage" on public.usage_sms for select to authenticated
  using ((select private.acting_as_admin()));

revoke insert, update, delete, truncate on public.subscriptions, public.usage_limits, public.usage_calls, public.usage_sms from anon, authenticated;
