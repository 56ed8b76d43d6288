-- ============================================================================
-- Referrals: businesses that brought in other businesses, the reward settings, and payout requests.
-- Owners read theirs and ask for payouts through request_payout(); admins decide through RPCs.
-- ============================================================================

create table public.referral_settings (
  id boolean primary key default true check (id),
  enabled boolean not null default true,
  reward_cents integer not null default 5000 check (reward_cents >= 0),
  min_payout_cents integer not null default 5000 check (min_payout_cents >= 0),
  updated_at timestamptz not null default now()
);
comment on table public.referral_settings is 'The single row of referral programme settings.';
insert into public.referral_settings default values;

create table public.referrals (
  id uuid primary key default gen_random_uuid(),
  referrer_user_id uuid not null references auth.users (id) on delete cascade,
  referred_user_id uuid not null unique references auth.users (id) on delete cascade,
  code text not null,
  status text not null default 'pending' check (status in ('pending', 'approved', 'rejected', 'paid')),
  reward_cents integer not null check (reward_cents >= 0),
  decided_at timestamptz,
  decided_by uuid references auth.users (id) on delete set null,
  paid_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (referrer_user_id <> referred_user_id)
);
comment on table public.referrals is 'One row per referred business: who referred it and the reward''s state.';
create index referrals_referrer_user_id_idx on public.referrals (referrer_user_id, created_at desc);
create index referrals_decided_by_idx on public.referrals (decided_by);

create table public.payout_requests (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  amount_cents integer not null check (amount_cents > 0),
  method text not null check (method in ('paypal', 'bank_transfer', 'account_credit')),
  destination text not null check (length(trim(destination)) between 3 and 200),
  status text not null default 'requested' check (status in ('requested', 'approved', 'rejected', 'paid')),
  decided_at timestamptz,
  decided_by uuid references auth.users (id) on delete set null,
  paid_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.payout_requests is 'Requests to pay out approved referral rewards; at most one open request per user.';
create index payout_requests_user_id_idx on public.payout_requests (user_id, created_at desc);
create index payout_requests_decided_by_idx on public.payout_requests (decided_by);
create unique index payout_requests_one_open_per_user on public.payout_requests (user_id) where status in ('requested', 'approved');

create trigger referral_settings_set_updated_at before update on public.referral_settings for each row execute function private.set_updated_at();
create trigger referrals_set_updated_at before update on public.referrals for each row execute function private.set_updated_at();
create trigger payout_requests_set_updated_at before update on public.payout_requests for each row execute function private.set_updated_at();

alter table public.referral_settings enable row level security;
alter table public.referrals enable row level security;
alter table public.payout_requests enable row level security;

create policy "Signed-in users read referral settings" on public.referral_settings for select to authenticated using (true);
create policy "Users read referrals they made" on public.referrals for select to authenticated
  using (referrer_user_id = (select private.effective_user_id()));
create policy "Admins read every referral" on public.referrals for select to authenticated
  using ((select private.acting_as_admin()));
create policy "Users read their own payout requests" on public.payout_requests for select to authenticated
  using (user_id = (select private.effective_user_id()));
create policy "Admins read every payout request" on public.payout_requests for select to authenticated
  using ((select private.acting_as_admin()));

revoke insert, update, delete, truncate on public.referral_settings, public.referrals, public.payout_requests from anon, authenticated;
