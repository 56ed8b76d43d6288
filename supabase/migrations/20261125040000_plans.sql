-- ============================================================================
-- The plan catalog as data: what each subscription tier allows per billing period and what happens
-- past it, the top-up products that add credits outliving periods, and the ledger of top-ups
-- bought. Stripe price ids are deployment configuration and live in the functions' environment
-- (packages/shared/src/plans.ts maps them to these ids).
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

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

create table public.topup_products (
  id text primary key check (id ~ '^[a-z][a-z0-9_]*$'),
  name text not null,
  call_minutes integer not null default 0 check (call_minutes >= 0),
  sms integer not null default 0 check (sms >= 0),
  check (call_minutes > 0 or sms > 0)
);
comment on table public.topup_products is 'One-off purchases that add call-minute or SMS credits, used after the plan allowance and kept until used.';

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
create index topup_purchases_user_id_idx on public.topup_purchases (user_id, purchased_at desc);
create index topup_purchases_product_idx on public.topup_purchases (product);

-- ---------------------------------------------------------------------------
-- Catalog rows
-- ---------------------------------------------------------------------------

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

-- Every subscription names a plan of the catalog.
alter table public.subscriptions
  add constraint subscriptions_plan_fkey foreign key (plan) references public.plans (id);
create index subscriptions_plan_idx on public.subscriptions (plan);

-- ---------------------------------------------------------------------------
-- Access: anyone may read the catalog (pricing pages); owners and admins read purchases
-- ---------------------------------------------------------------------------

alter table public.plans enable row level security;
alter table public.topup_products enable row level security;
alter table public.topup_purchases enable row level security;

create policy "Anyone reads the plans" on public.plans for select to anon, authenticated using (true);
create policy "Anyone reads the top-up products" on public.topup_products for select to anon, authenticated using (true);
create policy "Users read their own top-up purchases" on public.topup_purchases for select to authenticated
  using (user_id = (select private.effective_user_id()));
create policy "Admins read every top-up purchase" on public.topup_purchases for select to authenticated
  using ((select private.acting_as_admin()));

revoke insert, update, delete, truncate on public.plans, public.topup_products, public.topup_purchases from anon, authenticated;
