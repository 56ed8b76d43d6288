-- ============================================================================
-- Billing and usage: plans and top-up products, Stripe subscriptions and the events that change
-- them, the usage ledgers and counters with their caps and warnings, and the reconciliation runs that
-- recompute the counters from the ledgers.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

-- The plan catalog as data: what each subscription tier allows per billing period and what happens
-- past it, the top-up products that add credits outliving periods, and the ledger of top-ups
-- bought. Stripe price ids are deployment configuration and live in the functions' environment
-- (packages/shared/src/plans.ts maps them to these ids).
create table public.plans (
  id text primary key check (id ~ '^[a-z][a-z0-9_]*$'),
  name text not null,
  call_minutes integer not null check (call_minutes >= 0),
  sms integer not null check (sms >= 0),
  overage_policy text not null check (overage_policy in ('block', 'allow')),
  sort_order integer not null unique
);
comment on table public.plans is 'Subscription tiers: monthly call-minute and SMS allowances and the overage policy.';
comment on column public.plans.call_minutes is 'Call minutes included in each billing period.';
comment on column public.plans.sms is 'SMS segments included in each billing period.';
comment on column public.plans.overage_policy is 'block: refuse calls and SMS once the allowance and top-up credits are used; allow: keep serving past them (usage above the allowance is overage).';
alter table public.plans enable row level security;
revoke all on public.plans from anon, authenticated, service_role;
grant select on public.plans to anon, authenticated;

-- Billing state: the Stripe subscription of each business, its allowances and counters for the
-- current period, and the usage ledgers the counters are derived from. Written by functions and
-- triggers only; the owner and admins read.
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
  check (current_period_end is null or current_period_end > current_period_start),
  constraint subscriptions_plan_fkey foreign key (plan) references public.plans (id)
);
comment on table public.subscriptions is 'Each business''s Stripe subscription: plan, status and billing period.';
comment on column public.subscriptions.last_event_at is 'Creation time of the newest Stripe event applied; older events never overwrite newer state.';
alter table public.subscriptions enable row level security;
revoke all on public.subscriptions from anon, authenticated, service_role;
grant select on public.subscriptions to authenticated;

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
comment on column public.usage_limits.cap_reached_at is 'When this period''s plan minutes and the top-up minutes ran out; null while minutes remain.';
alter table public.usage_limits enable row level security;
revoke all on public.usage_limits from anon, authenticated, service_role;
grant select on public.usage_limits to authenticated;

create table public.usage_calls (
  id bigint generated always as identity primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  call_id text not null unique,
  duration_seconds integer not null check (duration_seconds >= 0),
  billable_minutes integer not null check (billable_minutes >= 0),
  plan_minutes integer not null default 0 check (plan_minutes >= 0),
  topup_minutes integer not null default 0 check (topup_minutes >= 0),
  occurred_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  unbilled_reason text check (unbilled_reason in ('empty_call', 'spam')),
  credited_minutes integer not null default 0 check (credited_minutes >= 0),
  credited_at timestamptz,
  constraint usage_calls_unbilled_has_no_minutes check (unbilled_reason is null or billable_minutes = 0)
);
comment on table public.usage_calls is 'Billing ledger: one row per ended call, the source of truth for minutes used.';
comment on column public.usage_calls.plan_minutes is 'Minutes counted against the period (allowance, then overage); set by the charging trigger. billable_minutes = plan_minutes + topup_minutes.';
comment on column public.usage_calls.topup_minutes is 'Minutes paid from top-up credits; set by the charging trigger.';
comment on column public.usage_calls.unbilled_reason is 'Why the call is not billed (null: billed): empty_call (the empty_call rule), spam (the owner marked it; credited_minutes says what was given back).';
comment on column public.usage_calls.credited_minutes is 'Minutes a spam credit gave back (billable_minutes before it); 0 otherwise.';
comment on column public.usage_calls.credited_at is 'When the owner marked the call as spam (who did is in audit_logs).';
alter table public.usage_calls enable row level security;
revoke all on public.usage_calls from anon, authenticated, service_role;
grant select on public.usage_calls to authenticated;
revoke all on sequence public.usage_calls_id_seq from anon, authenticated, service_role;

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
comment on column public.usage_sms.from_plan is 'Segments counted against the period (allowance, then overage); set by the charging trigger. segments = from_plan + from_topup.';
comment on column public.usage_sms.from_topup is 'Segments paid from top-up credits; set by the charging trigger.';
alter table public.usage_sms enable row level security;
revoke all on public.usage_sms from anon, authenticated, service_role;
grant select on public.usage_sms to authenticated;
revoke all on sequence public.usage_sms_id_seq from anon, authenticated, service_role;

create table public.reconciliation_runs (
  id bigint generated always as identity primary key,
  triggered_by text not null check (triggered_by in ('cron', 'admin', 'test')),
  triggered_by_user_id uuid references auth.users (id) on delete set null,
  status text not null default 'running' check (status in ('queued', 'running', 'completed', 'skipped', 'failed')),
  users_checked integer not null default 0,
  users_corrected integer not null default 0,
  changes jsonb not null default '[]'::jsonb,
  note text,
  started_at timestamptz not null default now(),
  finished_at timestamptz
);
comment on table public.reconciliation_runs is 'Each pass that recomputes usage counters from the ledgers, with what it corrected.';
comment on column public.reconciliation_runs.changes is 'One entry per corrected business: {user_id, <counter>: [was, now]} for each counter that drifted.';
alter table public.reconciliation_runs enable row level security;
revoke all on public.reconciliation_runs from anon, authenticated, service_role;
grant select on public.reconciliation_runs to authenticated;
revoke all on sequence public.reconciliation_runs_id_seq from anon, authenticated, service_role;

create table public.topup_products (
  id text primary key check (id ~ '^[a-z][a-z0-9_]*$'),
  name text not null,
  call_minutes integer not null default 0 check (call_minutes >= 0),
  sms integer not null default 0 check (sms >= 0),
  check (call_minutes > 0 or sms > 0)
);
comment on table public.topup_products is 'One-off purchases that add call-minute or SMS credits, used after the plan allowance and kept until used.';
alter table public.topup_products enable row level security;
revoke all on public.topup_products from anon, authenticated, service_role;
grant select on public.topup_products to anon, authenticated;

create table public.topup_purchases (
  id bigint generated always as identity primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  product text not null references public.topup_products (id),
  call_minutes integer not null check (call_minutes >= 0),
  sms integer not null check (sms >= 0),
  stripe_checkout_session_id text not null unique,
  purchased_at timestamptz not null default now()
);
comment on table public.topup_purchases is 'Ledger of paid top-ups, one per Stripe Checkout Session, with the credits each added.';
alter table public.topup_purchases enable row level security;
revoke all on public.topup_purchases from anon, authenticated, service_role;
grant select on public.topup_purchases to authenticated;
revoke all on sequence public.topup_purchases_id_seq from anon, authenticated, service_role;

-- Warnings before the cap bites: when a period's call minutes or SMS reach 80% and 100% of the
-- plan's allowance, the owner is emailed (and texted from our own number, MASTER_SMS_NUMBER, when
-- profiles.notify_sms is on and business_phone is set), once per kind, threshold and period:
-- usage_warnings' primary key is that once, and the dashboard reads it. A jump past both
-- thresholds records both and sends the 100% notice only; the 100% threshold is the cap notice.
create table public.usage_warnings (
  user_id uuid not null references auth.users (id) on delete cascade,
  kind text not null check (kind in ('call', 'sms')),
  percent integer not null check (percent in (80, 100)),
  period_start timestamptz not null,
  reached_at timestamptz not null default now(),
  primary key (user_id, kind, percent, period_start)
);
comment on table public.usage_warnings is 'Each usage threshold (80% and 100% of the plan''s call minutes or SMS) a business reached in a period, once; the owner was warned when the row was written.';
alter table public.usage_warnings enable row level security;
revoke all on public.usage_warnings from anon, authenticated, service_role;
grant select on public.usage_warnings to authenticated;

-- ---------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------

create index subscriptions_stripe_customer_id_idx on public.subscriptions (stripe_customer_id);
create index reconciliation_runs_started_at_idx on public.reconciliation_runs (started_at desc);
create index reconciliation_runs_triggered_by_user_id_idx on public.reconciliation_runs (triggered_by_user_id);
create index topup_purchases_user_id_idx on public.topup_purchases (user_id, purchased_at desc);
create index topup_purchases_product_idx on public.topup_purchases (product);
create index subscriptions_plan_idx on public.subscriptions (plan);
create index reconciliation_runs_queued_idx on public.reconciliation_runs (id) where status = 'queued';
-- Reconciliation reads only the current periods' ledger entries: each business's entries are one
-- range of the (user_id, occurred_at) indexes, and those indexes carry the charged amount, so the
-- pass is an index-only range read per business, whatever the history holds.
create index usage_calls_user_id_occurred_at_plan_idx on public.usage_calls (user_id, occurred_at) include (plan_minutes);
comment on index public.usage_calls_user_id_occurred_at_plan_idx is 'A business''s calls by time with the plan minutes they were charged: reconciliation sums a period from the index alone.';
create index usage_sms_user_id_occurred_at_plan_idx on public.usage_sms (user_id, occurred_at) include (from_plan);
comment on index public.usage_sms_user_id_occurred_at_plan_idx is 'A business''s texts by time with the plan SMS they were charged: reconciliation sums a period from the index alone.';

-- ---------------------------------------------------------------------------
-- Functions
-- ---------------------------------------------------------------------------

-- May this business take another call / send another SMS now?
create function private.usage_check(target_user uuid, kind text)
returns table (allowed boolean, reason text)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if kind is null or kind not in ('call', 'sms') then
    raise exception 'usage kind must be call or sms, not %', coalesce(kind, 'null') using errcode = '22023';
  end if;
  return query
  select d.reason in ('ok', 'overage'), d.reason
  from (
    select private.usage_decision(usage_check.kind, s, l, p.overage_policy) as reason
    from (select) as business
    left join public.subscriptions s on s.user_id = target_user
    left join public.usage_limits l on l.user_id = target_user
    left join public.plans p on p.id = s.plan
  ) as d;
end
$$;
comment on function private.usage_check(uuid, text) is 'Whether a business may take another call (kind = call) or send another SMS (kind = sms) now, and why (private.usage_decision): ok, overage, over_cap, subscription_inactive, no_subscription.';

-- Usage caps. Recording a call (usage_calls) or an SMS (usage_sms) charges the business's counters
-- in the same transaction: the plan allowance first, then top-up credits, and past both the
-- overage the plan's policy decides about. private.usage_check answers whether another call or
-- SMS may start now. Reconciliation (below) rebuilds the period counters from the ledgers.

-- Pure helpers
create function private.topup_share(amount integer, plan_left integer, topup_left integer)
returns integer
language sql
immutable
set search_path = ''
as $$ select least(topup_left, greatest(amount - greatest(plan_left, 0), 0)) $$;
comment on function private.topup_share(integer, integer, integer) is 'How much of a usage amount top-up credits pay for: what the plan allowance left uncovered, up to the credits there are.';
revoke all on function private.topup_share(integer, integer, integer) from public, anon, authenticated, service_role;

create function private.call_cap_reached_at(used integer, allowance integer, topup_left integer, previous timestamptz)
returns timestamptz
language sql
stable
set search_path = ''
as $$ select case when used >= allowance and topup_left = 0 then coalesce(previous, now()) end $$;
comment on function private.call_cap_reached_at(integer, integer, integer, timestamptz) is 'usage_limits.cap_reached_at after a change: when plan minutes and top-up minutes ran out (kept from before if they already had), else null.';
revoke all on function private.call_cap_reached_at(integer, integer, integer, timestamptz) from public, anon, authenticated, service_role;

-- Charging triggers (after insert, so `insert ... on conflict do nothing` of a redelivered call
-- or message charges nothing)
create function private.charge_call_usage()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  limits public.usage_limits;
  topup_part integer := 0;
begin
  -- The row lock makes concurrent calls of one business charge one after another, each seeing
  -- what the previous one used. A call outside the current period is left to reconciliation.
  select * into limits
  from public.usage_limits l
  where l.user_id = new.user_id and new.occurred_at >= l.period_start and new.occurred_at < l.period_end
  for update;
  if found then
    topup_part := private.topup_share(new.billable_minutes, limits.call_minutes_allowance - limits.call_minutes_used, limits.topup_call_minutes);
    update public.usage_limits l
    set call_minutes_used = l.call_minutes_used + (new.billable_minutes - topup_part),
        topup_call_minutes = l.topup_call_minutes - topup_part,
        calls_count = l.calls_count + 1,
        cap_reached_at = private.call_cap_reached_at(
          l.call_minutes_used + (new.billable_minutes - topup_part), l.call_minutes_allowance,
          l.topup_call_minutes - topup_part, l.cap_reached_at)
    where l.user_id = new.user_id;
  end if;
  if (new.plan_minutes, new.topup_minutes) is distinct from (new.billable_minutes - topup_part, topup_part) then
    update public.usage_calls
    set plan_minutes = new.billable_minutes - topup_part, topup_minutes = topup_part
    where id = new.id;
  end if;
  return null;
end
$$;
comment on function private.charge_call_usage() is 'Trigger: charges a recorded call to its business''s period counters (plan minutes first, then top-up minutes) and records the split on the call.';
revoke all on function private.charge_call_usage() from public, anon, authenticated, service_role;

create function private.charge_sms_usage()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  limits public.usage_limits;
  topup_part integer := 0;
begin
  select * into limits
  from public.usage_limits l
  where l.user_id = new.user_id and new.occurred_at >= l.period_start and new.occurred_at < l.period_end
  for update;
  if found then
    topup_part := private.topup_share(new.segments, limits.sms_allowance - limits.sms_used, limits.topup_sms);
    update public.usage_limits l
    set sms_used = l.sms_used + (new.segments - topup_part),
        topup_sms = l.topup_sms - topup_part
    where l.user_id = new.user_id;
  end if;
  if (new.from_plan, new.from_topup) is distinct from (new.segments - topup_part, topup_part) then
    update public.usage_sms
    set from_plan = new.segments - topup_part, from_topup = topup_part
    where id = new.id;
  end if;
  return null;
end
$$;
comment on function private.charge_sms_usage() is 'Trigger: charges a recorded SMS (its segments) to its business''s period counters (plan SMS first, then top-up SMS) and records the split on the message.';
revoke all on function private.charge_sms_usage() from public, anon, authenticated, service_role;

-- Stripe events applied to billing state. The stripe-webhook function verifies an event, reads
-- from Stripe what it needs, and calls exactly one of these RPCs. Each records (stripe, event id)
-- in inbound_webhook_events and applies the effect in the same transaction, so a crash never
-- leaves an event half-applied and a redelivery (even a concurrent one: the primary key makes it
-- wait, then conflict) does nothing. Subscription state only moves forward: an event older than
-- the newest one applied (subscriptions.last_event_at) leaves the row alone.
create function private.record_stripe_event(stripe_event_id text, stripe_event_type text, settled boolean)
returns text
language plpgsql
set search_path = ''
as $$
begin
  insert into public.inbound_webhook_events (provider, event_id, event_type, processed_at)
  values ('stripe', stripe_event_id, stripe_event_type, case when settled then now() end)
  on conflict (provider, event_id) do nothing;
  if found then
    return 'new';
  end if;
  return case
    when exists (
      select 1 from public.inbound_webhook_events e
      where e.provider = 'stripe' and e.event_id = stripe_event_id and e.processed_at is null
    ) then 'pending'
    else 'duplicate'
  end;
end
$$;
comment on function private.record_stripe_event(text, text, boolean) is 'Records a Stripe event id: new (first time; settled = nothing left to do outside the database), pending (seen, but its outside work, an email, is not confirmed) or duplicate.';
revoke all on function private.record_stripe_event(text, text, boolean) from public, anon, authenticated, service_role;

create function private.alert_unattributed_stripe_event(stripe_event_id text, stripe_event_type text, details jsonb)
returns jsonb
language sql
set search_path = ''
as $$
  insert into public.ops_alerts (kind, severity, message, details, dedupe_key)
  values ('stripe_unattributed_event', 'warning', 'A Stripe event names no user of ours',
          details || jsonb_build_object('event_id', stripe_event_id, 'event_type', stripe_event_type),
          'stripe_unattributed_event:' || stripe_event_id)
  on conflict (dedupe_key) where resolved_at is null do nothing;
  select jsonb_build_object('outcome', 'unattributed')
$$;
comment on function private.alert_unattributed_stripe_event(text, text, jsonb) is 'Raises an ops alert for a Stripe event we cannot tie to a user (e.g. a checkout started outside the app); returns the RPC answer.';
revoke all on function private.alert_unattributed_stripe_event(text, text, jsonb) from public, anon, authenticated, service_role;

create function private.sync_usage_limits(target_user uuid)
returns void
language sql
set search_path = ''
as $$
  insert into public.usage_limits as l (
    user_id, period_start, period_end, call_minutes_allowance, sms_allowance, topup_call_minutes, topup_sms, cap_reached_at
  )
  select s.user_id, s.current_period_start, s.current_period_end, p.call_minutes, p.sms,
         coalesce(t.call_minutes, 0), coalesce(t.sms, 0),
         private.call_cap_reached_at(0, p.call_minutes, coalesce(t.call_minutes, 0), null)
  from public.subscriptions s
  join public.plans p on p.id = s.plan
  -- Top-ups bought before the first period (none are spent yet) become its credits.
  left join lateral (
    select sum(tp.call_minutes)::integer as call_minutes, sum(tp.sms)::integer as sms
    from public.topup_purchases tp where tp.user_id = s.user_id
  ) t on true
  where s.user_id = target_user and s.current_period_start is not null and s.current_period_end is not null
  on conflict (user_id) do update set
    period_start = excluded.period_start,
    period_end = excluded.period_end,
    call_minutes_allowance = excluded.call_minutes_allowance,
    sms_allowance = excluded.sms_allowance,
    -- A new period starts from zero; within one period a plan change carries the usage over.
    call_minutes_used = case when l.period_start = excluded.period_start then l.call_minutes_used else 0 end,
    sms_used = case when l.period_start = excluded.period_start then l.sms_used else 0 end,
    calls_count = case when l.period_start = excluded.period_start then l.calls_count else 0 end,
    cap_reached_at = private.call_cap_reached_at(
      case when l.period_start = excluded.period_start then l.call_minutes_used else 0 end,
      excluded.call_minutes_allowance,
      l.topup_call_minutes,
      case when l.period_start = excluded.period_start then l.cap_reached_at end)
  where (l.period_start, l.period_end, l.call_minutes_allowance, l.sms_allowance)
        is distinct from (excluded.period_start, excluded.period_end, excluded.call_minutes_allowance, excluded.sms_allowance)
$$;
comment on function private.sync_usage_limits(uuid) is 'Brings a business''s usage_limits in line with its subscription: the period and the plan''s allowances; a new period resets the period counters.';
revoke all on function private.sync_usage_limits(uuid) from public, anon, authenticated, service_role;

-- A subscription that becomes live after its checkout (e.g. paid by a delayed method, so the
-- checkout completed with the subscription incomplete) also requests the agent deployment:
-- stripe_apply_subscription asks for it on the move from a not-live state to active or trialing.
create function public.stripe_apply_subscription(
  event_id text,
  event_type text,
  event_created timestamptz,
  subscription jsonb,
  request_deployment boolean default false
) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  snapshot record;
  owner uuid;
  held public.subscriptions;
  status_before text;
  applied boolean;
begin
  if private.record_stripe_event(event_id, event_type, true) <> 'new' then
    return jsonb_build_object('outcome', 'duplicate');
  end if;
  select * into snapshot from jsonb_to_record(subscription) as x(
    user_id uuid, stripe_customer_id text, stripe_subscription_id text, plan text, status text,
    current_period_start timestamptz, current_period_end timestamptz, cancel_at_period_end boolean, canceled_at timestamptz
  );
  -- The user the checkout (or the subscription's metadata) names, else whoever holds the subscription.
  owner := coalesce(
    snapshot.user_id,
    (select s.user_id from public.subscriptions s where s.stripe_subscription_id = snapshot.stripe_subscription_id)
  );
  if owner is null or not exists (select 1 from auth.users u where u.id = owner) then
    return private.alert_unattributed_stripe_event(event_id, event_type, jsonb_build_object(
      'user_id', snapshot.user_id, 'stripe_subscription_id', snapshot.stripe_subscription_id,
      'stripe_customer_id', snapshot.stripe_customer_id));
  end if;

  select s.status into status_before from public.subscriptions s where s.user_id = owner;

  -- Newer-or-equal events win (`<=`: a re-read of the same second still lands). A business has
  -- one subscription row: another Stripe subscription replaces it only once it has ended.
  insert into public.subscriptions as s (
    user_id, stripe_customer_id, stripe_subscription_id, plan, status,
    current_period_start, current_period_end, cancel_at_period_end, canceled_at, last_event_at
  ) values (
    owner, snapshot.stripe_customer_id, snapshot.stripe_subscription_id, snapshot.plan, snapshot.status,
    snapshot.current_period_start, snapshot.current_period_end, coalesce(snapshot.cancel_at_period_end, false),
    snapshot.canceled_at, event_created
  )
  on conflict (user_id) do update set
    stripe_customer_id = excluded.stripe_customer_id,
    stripe_subscription_id = excluded.stripe_subscription_id,
    plan = excluded.plan,
    status = excluded.status,
    current_period_start = excluded.current_period_start,
    current_period_end = excluded.current_period_end,
    cancel_at_period_end = excluded.cancel_at_period_end,
    canceled_at = excluded.canceled_at,
    last_event_at = excluded.last_event_at
  where (s.last_event_at is null or s.last_event_at <= excluded.last_event_at)
    and (s.stripe_subscription_id is null
         or s.stripe_subscription_id = excluded.stripe_subscription_id
         or s.status in ('canceled', 'incomplete_expired'));
  applied := found;

  select * into held from public.subscriptions s where s.user_id = owner;
  if not applied and held.stripe_subscription_id <> snapshot.stripe_subscription_id
     and snapshot.status in ('active', 'trialing', 'past_due') and coalesce(held.last_event_at <= event_created, true) then
    -- Another subscription is live now (not a late event of an old one): the business pays
    -- twice, e.g. two checkouts completed. An operator refunds one.
    insert into public.ops_alerts (kind, severity, message, user_id, details, dedupe_key)
    values ('stripe_second_subscription', 'critical', 'A business has a second live Stripe subscription; cancel and refund one',
            owner, jsonb_build_object('kept', held.stripe_subscription_id, 'second', snapshot.stripe_subscription_id),
            'stripe_second_subscription:' || snapshot.stripe_subscription_id)
    on conflict (dedupe_key) where resolved_at is null do nothing;
  end if;

  perform private.sync_usage_limits(owner);

  -- A paid checkout asks for the deployment, even when a newer event got here first; so does a
  -- subscription that becomes live later (a checkout paid by a delayed method completes with the
  -- subscription incomplete). Asking again is harmless: a running or active deployment is kept.
  if held.stripe_subscription_id = snapshot.stripe_subscription_id and held.status in ('active', 'trialing')
     and (request_deployment or (applied and coalesce(status_before, 'incomplete') not in ('active', 'trialing', 'past_due'))) then
    perform private.request_agent_deployment(owner, 'stripe');
  end if;

  return jsonb_build_object(
    'outcome', case when applied then 'applied'
                    when held.stripe_subscription_id <> snapshot.stripe_subscription_id then 'other_subscription'
                    else 'stale' end,
    'user_id', owner);
end
$$;
comment on function public.stripe_apply_subscription(text, text, timestamptz, jsonb, boolean) is
  'Applies one Stripe event carrying a subscription (checkout.session.completed, customer.subscription.*): subscription row (unless older than the newest applied), usage_limits, and the agent deployment request for a paid checkout or a subscription becoming live. subscription = {user_id, stripe_customer_id, stripe_subscription_id, plan, status, current_period_start, current_period_end, cancel_at_period_end, canceled_at}. Returns {outcome: applied | stale | other_subscription | duplicate | unattributed, user_id}.';
revoke all on function public.stripe_apply_subscription(text, text, timestamptz, jsonb, boolean) from public, anon, authenticated, service_role;
grant execute on function public.stripe_apply_subscription(text, text, timestamptz, jsonb, boolean) to service_role;

create function public.stripe_apply_topup(
  event_id text,
  event_type text,
  target_user uuid,
  checkout_session_id text,
  product_id text
) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  product public.topup_products;
  purchase public.topup_purchases;
begin
  if private.record_stripe_event(event_id, event_type, true) <> 'new' then
    return jsonb_build_object('outcome', 'duplicate');
  end if;
  select * into product from public.topup_products p where p.id = product_id;
  if not found then
    raise exception 'unknown top-up product %', product_id using errcode = '22023';
  end if;
  if target_user is null or not exists (select 1 from auth.users u where u.id = target_user) then
    return private.alert_unattributed_stripe_event(event_id, event_type, jsonb_build_object(
      'user_id', target_user, 'checkout_session_id', checkout_session_id, 'product', product_id));
  end if;
  -- One purchase per Checkout Session, whichever event reports it.
  insert into public.topup_purchases (user_id, product, call_minutes, sms, stripe_checkout_session_id)
  values (target_user, product.id, product.call_minutes, product.sms, checkout_session_id)
  on conflict (stripe_checkout_session_id) do nothing
  returning * into purchase;
  if purchase.id is null then
    return jsonb_build_object('outcome', 'duplicate', 'user_id', target_user);
  end if;
  -- Without usage limits yet, the purchase waits in the ledger; sync_usage_limits adds it.
  update public.usage_limits l
  set topup_call_minutes = l.topup_call_minutes + purchase.call_minutes,
      topup_sms = l.topup_sms + purchase.sms,
      cap_reached_at = private.call_cap_reached_at(
        l.call_minutes_used, l.call_minutes_allowance, l.topup_call_minutes + purchase.call_minutes, l.cap_reached_at)
  where l.user_id = target_user;
  return jsonb_build_object('outcome', 'applied', 'user_id', target_user);
end
$$;
comment on function public.stripe_apply_topup(text, text, uuid, text, text) is 'Applies a paid top-up checkout: records the purchase (once per Checkout Session) and adds its credits to the business''s usage limits. Returns {outcome: applied | duplicate | unattributed, user_id}.';
revoke all on function public.stripe_apply_topup(text, text, uuid, text, text) from public, anon, authenticated, service_role;
grant execute on function public.stripe_apply_topup(text, text, uuid, text, text) to service_role;

create function public.stripe_apply_payment_failed(
  event_id text,
  event_type text,
  event_created timestamptz,
  invoice jsonb
) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  state text := private.record_stripe_event(event_id, event_type, false);
  failed record;
  owner uuid;
  notify_email text;
begin
  if state = 'duplicate' then
    return jsonb_build_object('outcome', 'duplicate');
  end if;
  select * into failed from jsonb_to_record(invoice) as x(
    id text, stripe_subscription_id text, stripe_customer_id text, amount_due integer, currency text,
    attempt_count integer, next_payment_attempt timestamptz, hosted_invoice_url text
  );
  select s.user_id into owner
  from public.subscriptions s
  where s.stripe_subscription_id = failed.stripe_subscription_id
     or (failed.stripe_subscription_id is null and s.stripe_customer_id = failed.stripe_customer_id)
  order by s.updated_at desc
  limit 1;
  if owner is null then
    update public.inbound_webhook_events e set processed_at = now()
    where e.provider = 'stripe' and e.event_id = stripe_apply_payment_failed.event_id;
    return private.alert_unattributed_stripe_event(event_id, event_type, jsonb_build_object(
      'invoice_id', failed.id, 'stripe_subscription_id', failed.stripe_subscription_id,
      'stripe_customer_id', failed.stripe_customer_id));
  end if;

  if state = 'new' then
    update public.subscriptions s
    set status = 'past_due', last_event_at = event_created
    where s.user_id = owner
      and s.stripe_subscription_id = failed.stripe_subscription_id
      and s.status in ('active', 'trialing')
      and (s.last_event_at is null or s.last_event_at <= event_created);
    -- One open alert per invoice, however many attempts fail.
    insert into public.ops_alerts (kind, severity, message, user_id, details, dedupe_key)
    values ('payment_failed',
            case when failed.next_payment_attempt is null then 'critical' else 'warning' end,
            'A subscription payment failed',
            owner,
            jsonb_build_object('invoice_id', failed.id, 'amount_due', failed.amount_due, 'currency', failed.currency,
                               'attempt_count', failed.attempt_count, 'next_payment_attempt', failed.next_payment_attempt,
                               'hosted_invoice_url', failed.hosted_invoice_url),
            'stripe_invoice_payment_failed:' || failed.id)
    on conflict (dedupe_key) where resolved_at is null do nothing;
  end if;

  select u.email into notify_email from auth.users u where u.id = owner;
  if notify_email is null then
    update public.inbound_webhook_events e set processed_at = now()
    where e.provider = 'stripe' and e.event_id = stripe_apply_payment_failed.event_id;
  end if;
  return jsonb_build_object(
    'outcome', case when state = 'new' then 'applied' else 'pending' end,
    'user_id', owner,
    'notify_email', notify_email,
    'business_name', (select p.business_name from public.profiles p where p.id = owner));
end
$$;
comment on function public.stripe_apply_payment_failed(text, text, timestamptz, jsonb) is
  'Applies invoice.payment_failed: the subscription becomes past_due (unless a newer event says otherwise), one open ops alert per invoice. invoice = {id, stripe_subscription_id, stripe_customer_id, amount_due, currency, attempt_count, next_payment_attempt, hosted_invoice_url}. Returns {outcome: applied | pending | duplicate | unattributed, user_id, notify_email, business_name}; with notify_email the caller emails the owner, then calls stripe_event_processed.';
revoke all on function public.stripe_apply_payment_failed(text, text, timestamptz, jsonb) from public, anon, authenticated, service_role;
grant execute on function public.stripe_apply_payment_failed(text, text, timestamptz, jsonb) to service_role;

create function public.stripe_event_processed(event_id text)
returns void
language sql
security definer
set search_path = ''
as $$
  update public.inbound_webhook_events e set processed_at = coalesce(e.processed_at, now())
  where e.provider = 'stripe' and e.event_id = stripe_event_processed.event_id
$$;
comment on function public.stripe_event_processed(text) is 'Marks a Stripe event''s outside work (the owner''s email) done, so a later redelivery does nothing at all.';
revoke all on function public.stripe_event_processed(text) from public, anon, authenticated, service_role;
grant execute on function public.stripe_event_processed(text) to service_role;

-- Billing reads for signed-in owners: the subscription summary a frontend shows, and who is paying
-- (for create-checkout-session, which acts for the caller).
create function public.subscription_status()
returns table (
  plan text,
  plan_name text,
  status text,
  current_period_start timestamptz,
  current_period_end timestamptz,
  cancel_at_period_end boolean,
  overage_policy text,
  call_minutes_allowance integer,
  call_minutes_used integer,
  call_minutes_left integer,
  sms_allowance integer,
  sms_used integer,
  sms_left integer,
  topup_call_minutes integer,
  topup_sms integer,
  cap_reached_at timestamptz
)
language sql
stable
security invoker
set search_path = ''
as $$
  select s.plan, p.name, s.status, s.current_period_start, s.current_period_end, s.cancel_at_period_end, p.overage_policy,
         l.call_minutes_allowance, l.call_minutes_used,
         greatest(l.call_minutes_allowance - l.call_minutes_used, 0) + l.topup_call_minutes,
         l.sms_allowance, l.sms_used,
         greatest(l.sms_allowance - l.sms_used, 0) + l.topup_sms,
         l.topup_call_minutes, l.topup_sms, l.cap_reached_at
  from public.subscriptions s
  join public.plans p on p.id = s.plan
  left join public.usage_limits l on l.user_id = s.user_id
  where s.user_id = (select private.effective_user_id())
$$;
comment on function public.subscription_status() is 'The effective user''s plan, status, period, allowances, usage, what is left (plan remainder plus top-up credits) and top-up credits; no row without a subscription.';
revoke all on function public.subscription_status() from public, anon, authenticated, service_role;
grant execute on function public.subscription_status() to authenticated;

create function public.billing_customer()
returns table (user_id uuid, email text, stripe_customer_id text, subscription_status text)
language sql
stable
security definer
set search_path = ''
as $$
  select u.id, u.email::text, s.stripe_customer_id, s.status
  from auth.users u
  left join public.subscriptions s on s.user_id = u.id
  where u.id = auth.uid()
$$;
comment on function public.billing_customer() is 'The caller (never an impersonated user: only the account holder pays) with their Stripe customer and subscription status, for starting a checkout.';
revoke all on function public.billing_customer() from public, anon, authenticated, service_role;
grant execute on function public.billing_customer() to authenticated;

-- The pass
create function private.complete_reconciliation(run_id bigint)
returns public.reconciliation_runs
language plpgsql
security definer
set search_path = ''
as $$
declare
  run public.reconciliation_runs;
  checked integer;
  drift jsonb;
begin
  if not pg_try_advisory_xact_lock(hashtextextended('private.reconcile_usage', 0)) then
    update public.reconciliation_runs
    set status = 'skipped', note = 'another reconciliation run was in progress', finished_at = clock_timestamp()
    where id = run_id
    returning * into run;
    return run;
  end if;

  -- Read: every business's counters against its period's ledger entries; keeps those that differ.
  select count(*)::integer,
         coalesce(jsonb_agg(jsonb_build_object(
                    'user_id', e.user_id, 'period_start', e.period_start,
                    'counted_minutes', e.counted_minutes, 'ledger_minutes', e.ledger_minutes,
                    'counted_calls', e.counted_calls, 'ledger_calls', e.ledger_calls,
                    'counted_sms', e.counted_sms, 'ledger_sms', e.ledger_sms
                  ) order by e.user_id)
                  filter (where (e.counted_minutes, e.counted_calls, e.counted_sms)
                                is distinct from (e.ledger_minutes, e.ledger_calls, e.ledger_sms)),
                  '[]'::jsonb)
  into checked, drift
  from (
    select l.user_id, l.period_start,
           l.call_minutes_used as counted_minutes, c.minutes as ledger_minutes,
           l.calls_count as counted_calls, c.calls as ledger_calls,
           l.sms_used as counted_sms, s.sms as ledger_sms
    from public.usage_limits l
    cross join lateral (
      select coalesce(sum(u.plan_minutes), 0)::integer as minutes, count(*)::integer as calls
      from public.usage_calls u
      where u.user_id = l.user_id and u.occurred_at >= l.period_start and u.occurred_at < l.period_end
    ) as c
    cross join lateral (
      select coalesce(sum(m.from_plan), 0)::integer as sms
      from public.usage_sms m
      where m.user_id = l.user_id and m.occurred_at >= l.period_start and m.occurred_at < l.period_end
    ) as s
  ) as e;

  -- Write: only the drifted businesses. Corrections are deltas, so a call charged by the trigger
  -- since the read is not lost; a row whose period rolled over meanwhile is left for the next run.
  with drifted as (
    select d.*
    from jsonb_to_recordset(drift) as d(user_id uuid, period_start timestamptz,
                                        counted_minutes integer, ledger_minutes integer,
                                        counted_calls integer, ledger_calls integer,
                                        counted_sms integer, ledger_sms integer)
  ),
  corrected as (
    update public.usage_limits l
    set call_minutes_used = l.call_minutes_used + (d.ledger_minutes - d.counted_minutes),
        calls_count = l.calls_count + (d.ledger_calls - d.counted_calls),
        sms_used = l.sms_used + (d.ledger_sms - d.counted_sms),
        cap_reached_at = private.call_cap_reached_at(
          l.call_minutes_used + (d.ledger_minutes - d.counted_minutes), l.call_minutes_allowance,
          l.topup_call_minutes, l.cap_reached_at)
    from drifted d
    where l.user_id = d.user_id and l.period_start = d.period_start
    returning l.user_id
  )
  update public.reconciliation_runs r
  set status = 'completed',
      started_at = now(),
      users_checked = checked,
      users_corrected = (select count(*) from corrected),
      changes = coalesce((
        select jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                 'user_id', d.user_id,
                 'call_minutes_used', case when d.counted_minutes <> d.ledger_minutes then jsonb_build_array(d.counted_minutes, d.ledger_minutes) end,
                 'calls_count', case when d.counted_calls <> d.ledger_calls then jsonb_build_array(d.counted_calls, d.ledger_calls) end,
                 'sms_used', case when d.counted_sms <> d.ledger_sms then jsonb_build_array(d.counted_sms, d.ledger_sms) end
               )) order by d.user_id)
        from drifted d
        join corrected c on c.user_id = d.user_id
      ), '[]'::jsonb),
      finished_at = clock_timestamp()
  where r.id = run_id
  returning * into run;
  return run;
end
$$;
comment on function private.complete_reconciliation(bigint) is 'Recomputes every business''s period counters from the usage ledgers (index-only range reads of the current periods), corrects only the drifted ones and records them in the given run (changes = [{user_id, field: [was, now]}]); marks the run skipped when another is in progress.';
revoke all on function private.complete_reconciliation(bigint) from public, anon, authenticated, service_role;

-- Queue a run
create function private.queue_reconciliation(triggered_by text, triggered_by_user_id uuid default null)
returns bigint
language sql
security definer
set search_path = ''
as $$
  insert into public.reconciliation_runs (triggered_by, triggered_by_user_id, status)
  values (queue_reconciliation.triggered_by, queue_reconciliation.triggered_by_user_id, 'queued')
  returning id
$$;
comment on function private.queue_reconciliation(text, uuid) is 'Records a reconciliation run to be completed by the run-queued-reconciliations job; returns its id.';
revoke all on function private.queue_reconciliation(text, uuid) from public, anon, authenticated, service_role;

-- Nightly reconciliation: one set-based pass recomputes every business's period counters from the
-- usage ledgers (usage_calls, usage_sms; rows with occurred_at in [period_start, period_end)),
-- corrects the drift, and records what it changed in reconciliation_runs. An advisory lock makes
-- an overlapping run a recorded no-op; a second run finds nothing to change.

-- The pass
create function private.reconcile_usage(triggered_by text, triggered_by_user_id uuid default null)
returns public.reconciliation_runs
language sql
security definer
set search_path = ''
as $$
  select * from private.complete_reconciliation(private.queue_reconciliation(triggered_by, triggered_by_user_id))
$$;
comment on function private.reconcile_usage(text, uuid) is 'Runs a reconciliation now, in the caller''s transaction (the nightly job, tests, benchmarks); returns the run.';
revoke all on function private.reconcile_usage(text, uuid) from public, anon, authenticated, service_role;

-- Admin trigger: queues a run and answers at once
create function public.admin_trigger_reconciliation()
returns public.reconciliation_runs
language plpgsql
security definer
set search_path = ''
as $$
declare
  run_id bigint;
  run public.reconciliation_runs;
begin
  perform private.assert_admin();
  run_id := private.queue_reconciliation('admin', auth.uid());
  select * into run from public.reconciliation_runs where id = run_id;
  perform private.write_audit('reconciliation.trigger', null, jsonb_build_object('status', run.status),
    'reconciliation_runs', run.id::text);
  return run;
end
$$;
comment on function public.admin_trigger_reconciliation() is 'Queues a usage reconciliation and returns the run at once (status queued); the run-queued-reconciliations job completes it within a minute, and the outcome is read from reconciliation_runs.';
revoke all on function public.admin_trigger_reconciliation() from public, anon, authenticated, service_role;
grant execute on function public.admin_trigger_reconciliation() to authenticated;

-- The worker: completes every queued run nobody else is completing
create function private.run_queued_reconciliations()
returns integer
language sql
security definer
set search_path = ''
as $$
  with queued as (
    select id from public.reconciliation_runs where status = 'queued' order by id for update skip locked
  )
  select count(private.complete_reconciliation(id))::integer from queued
$$;
comment on function private.run_queued_reconciliations() is 'Completes the queued reconciliation runs (run by the run-queued-reconciliations job); returns how many.';
revoke all on function private.run_queued_reconciliations() from public, anon, authenticated, service_role;

create function private.warn_usage_thresholds()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  owner public.profiles;
  warning record;
  details jsonb;
  key text;
begin
  select * into owner from public.profiles p where p.id = new.user_id;
  for warning in
    with reached as (
      insert into public.usage_warnings (user_id, kind, percent, period_start)
      select new.user_id, u.kind, t.percent, new.period_start
      from (values ('call', new.call_minutes_used, new.call_minutes_allowance),
                   ('sms', new.sms_used, new.sms_allowance)) as u(kind, used, allowance)
      cross join (values (80), (100)) as t(percent)
      where u.allowance > 0 and u.used * 100 >= u.allowance * t.percent
      on conflict do nothing
      returning kind, percent
    )
    select kind, max(percent) as percent from reached group by kind
  loop
    details := jsonb_build_object(
      'usage_kind', warning.kind, 'percent', warning.percent, 'period_end', new.period_end,
      'topup_left', case when warning.kind = 'call' then new.topup_call_minutes else new.topup_sms end,
      'overage_allowed', coalesce((select p.overage_policy = 'allow' from public.subscriptions s
                                   join public.plans p on p.id = s.plan where s.user_id = new.user_id), false));
    key := 'usage-warning:' || warning.kind || ':' || warning.percent || ':' || new.user_id || ':'
           || extract(epoch from new.period_start)::bigint;
    if owner.notify_email then
      perform private.queue_email(new.user_id, 'usage_warning', key, details);
    end if;
    if owner.notify_sms and owner.business_phone is not null then
      perform private.queue_email(new.user_id, 'usage_warning_text', key || ':text', details || jsonb_build_object('to', owner.business_phone));
    end if;
  end loop;
  return null;
end
$$;
comment on function private.warn_usage_thresholds() is 'Trigger on usage_limits: records the 80% and 100% thresholds of call minutes and SMS the change reached (once per period) and queues the owner''s warning (email, and text where they opted in) for the highest one.';
revoke all on function private.warn_usage_thresholds() from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------

create policy "Admins read reconciliation runs" on public.reconciliation_runs for select to authenticated using ((select private.acting_as_admin()));

create policy "Anyone reads the plans" on public.plans for select to anon, authenticated using (true);

create policy "Anyone reads the top-up products" on public.topup_products for select to anon, authenticated using (true);

create policy "Users read their own subscription, admins every one" on public.subscriptions for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

create policy "Users read their own top-up purchases, admins every one" on public.topup_purchases for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

create policy "Users read their own call usage, admins every one" on public.usage_calls for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

create policy "Users read their own usage limits, admins every one" on public.usage_limits for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

create policy "Users read their own SMS usage, admins every one" on public.usage_sms for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

create policy "Owners read their usage warnings, admins every one" on public.usage_warnings for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

-- ---------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------

create trigger subscriptions_set_updated_at before update on public.subscriptions
  for each row execute function private.set_updated_at();

create trigger usage_limits_set_updated_at before update on public.usage_limits
  for each row execute function private.set_updated_at();

create trigger usage_calls_charge after insert on public.usage_calls
  for each row execute function private.charge_call_usage();

create trigger usage_sms_charge after insert on public.usage_sms
  for each row execute function private.charge_sms_usage();

create trigger usage_limits_warn_thresholds after update of call_minutes_used, sms_used on public.usage_limits
  for each row when (new.call_minutes_used > old.call_minutes_used or new.sms_used > old.sms_used)
  execute function private.warn_usage_thresholds();

-- ---------------------------------------------------------------------------
-- Seed data
-- ---------------------------------------------------------------------------

-- Catalog rows
insert into public.plans (id, name, call_minutes, sms, overage_policy, sort_order) values
  ('core', 'Core', 200, 200, 'block', 1),
  ('pro', 'Pro', 500, 500, 'block', 2),
  ('elite', 'Elite', 1000, 1000, 'block', 3),
  ('scale', 'Scale', 2500, 2500, 'allow', 4);

insert into public.topup_products (id, name, call_minutes, sms) values
  ('call_300', '300 call minutes', 300, 0),
  ('call_800', '800 call minutes', 800, 0),
  ('sms_500', '500 SMS', 0, 500),
  ('sms_1000', '1,000 SMS', 0, 1000);
