-- ============================================================================
-- Referrals: referral settings, referrals recorded at sign-up and rewarded when the referred
-- business pays, and payout requests.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

-- Referrals: businesses that brought in other businesses, the reward settings, and payout requests.
-- Owners read theirs and ask for payouts through request_payout(); admins decide through RPCs.
create table public.referral_settings (
  id boolean primary key default true check (id),
  enabled boolean not null default true,
  reward_cents integer not null default 5000 check (reward_cents >= 0),
  min_payout_cents integer not null default 5000 check (min_payout_cents >= 0),
  updated_at timestamptz not null default now()
);
comment on table public.referral_settings is 'The single row of referral programme settings.';
alter table public.referral_settings enable row level security;
revoke all on public.referral_settings from anon, authenticated, service_role;
grant select on public.referral_settings to authenticated;

create table public.referrals (
  id uuid primary key default gen_random_uuid(),
  referrer_user_id uuid not null references auth.users (id) on delete cascade,
  referred_user_id uuid not null unique references auth.users (id) on delete cascade,
  code text not null,
  status text not null default 'pending' check (status in ('signed_up', 'pending', 'approved', 'rejected', 'paid')),
  reward_cents integer not null check (reward_cents >= 0),
  decided_at timestamptz,
  decided_by uuid references auth.users (id) on delete set null,
  paid_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (referrer_user_id <> referred_user_id),
  qualified_at timestamptz
);
comment on table public.referrals is 'One row per referred business: who referred it and the reward''s state.';
comment on column public.referrals.status is 'signed_up: the referred business has not paid yet; pending: its first payment succeeded and the reward waits for an admin; then approved or rejected, and paid once paid out.';
comment on column public.referrals.qualified_at is 'When the referred business''s first payment succeeded (the reward became due).';
alter table public.referrals enable row level security;
revoke all on public.referrals from anon, authenticated, service_role;
grant select on public.referrals to authenticated;

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
alter table public.payout_requests enable row level security;
revoke all on public.payout_requests from anon, authenticated, service_role;
grant select on public.payout_requests to authenticated;

-- ---------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------

create index referrals_referrer_user_id_idx on public.referrals (referrer_user_id, created_at desc);
create index referrals_decided_by_idx on public.referrals (decided_by);
create index payout_requests_user_id_idx on public.payout_requests (user_id, created_at desc);
create index payout_requests_decided_by_idx on public.payout_requests (decided_by);
create unique index payout_requests_one_open_per_user on public.payout_requests (user_id) where status in ('requested', 'approved');

-- ---------------------------------------------------------------------------
-- Functions
-- ---------------------------------------------------------------------------

-- Referral payouts
create function public.request_payout(method text, destination text)
returns public.payout_requests
language plpgsql
security definer
set search_path = ''
as $$
declare
  me uuid := private.effective_user_id();
  settings public.referral_settings := (select s from public.referral_settings s);
  available integer;
  requested public.payout_requests;
begin
  if me is null then
    raise exception 'sign in to request a payout' using errcode = '42501';
  end if;
  -- Serialise requests of one user so two clicks cannot both pass the balance check.
  perform pg_advisory_xact_lock(hashtext('payout:' || me::text));
  select coalesce(sum(reward_cents), 0) into available
  from public.referrals where referrer_user_id = me and status = 'approved';
  if available < settings.min_payout_cents or available = 0 then
    raise exception 'approved rewards (% cents) are below the minimum payout (% cents)', available, settings.min_payout_cents
      using errcode = '22023';
  end if;
  insert into public.payout_requests (user_id, amount_cents, method, destination)
  values (me, available, method, destination)
  returning * into requested;
  return requested;
exception
  when unique_violation then
    raise exception 'a payout request is already open' using errcode = '23505';
end
$$;
comment on function public.request_payout(text, text) is 'Asks for the approved referral rewards to be paid out; one open request at a time.';
revoke all on function public.request_payout(text, text) from public, anon, authenticated, service_role;
grant execute on function public.request_payout(text, text) to authenticated;

-- Attribution at sign-up
create function private.normalized_email(address text)
returns text
language sql
immutable
set search_path = ''
as $$
  -- Variants that reach one mailbox: case, a +tag, and dots in a Gmail address.
  select case
    when split_part(lower(address), '@', 2) in ('gmail.com', 'googlemail.com')
      then replace(split_part(split_part(lower(address), '@', 1), '+', 1), '.', '') || '@gmail.com'
    else split_part(split_part(lower(address), '@', 1), '+', 1) || '@' || split_part(lower(address), '@', 2)
  end
$$;
comment on function private.normalized_email(text) is 'An email reduced to its mailbox (lower case, no +tag, no dots for Gmail), to tell one person''s accounts apart from another''s.';

create function private.record_referral_at_sign_up()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  given text := upper(trim(new.raw_user_meta_data ->> 'referral_code'));
  referrer uuid;
begin
  if given is null or given = '' or not (select s.enabled from public.referral_settings s) then
    return new;
  end if;
  select p.id into referrer from public.profiles p where p.referral_code = given and p.id <> new.id;
  if referrer is null then
    return new;  -- an unknown code (or one's own) signs up without a referral, never with an error
  end if;
  -- The same person again, as far as we can tell: the referrer's own or an already referred
  -- business's mailbox or phone. Their second account gets no referral.
  if exists (
    select 1 from auth.users u
    where (u.id = referrer or u.id in (select r.referred_user_id from public.referrals r where r.referrer_user_id = referrer))
      and (private.normalized_email(u.email) = private.normalized_email(new.email)
           or u.phone = new.phone
           or exists (select 1 from public.profiles p where p.id = u.id and p.business_phone = new.phone))
  ) then
    return new;
  end if;
  insert into public.referrals (referrer_user_id, referred_user_id, code, status, reward_cents)
  values (referrer, new.id, given, 'signed_up', (select s.reward_cents from public.referral_settings s))
  on conflict (referred_user_id) do nothing;
  return new;
end
$$;
comment on function private.record_referral_at_sign_up() is 'Trigger on auth.users: records the referral named by the sign-up metadata''s referral_code; an unknown code, one''s own, a disabled programme or the same person again record nothing.';

-- The reward becomes due on the first successful payment
create function private.referral_reward_due()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- Only a signed_up referral moves, so a redelivered event or a later renewal changes nothing.
  update public.referrals r
  set status = 'pending', qualified_at = now(), reward_cents = (select s.reward_cents from public.referral_settings s)
  where r.referred_user_id = new.user_id and r.status = 'signed_up';
  return new;
end
$$;
comment on function private.referral_reward_due() is 'Trigger on subscriptions: the first active subscription of a referred business makes its referral''s reward due (pending approval), at the reward then in force.';

-- Stats for the referrer
create function public.referral_stats()
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  -- Security invoker: the caller's RLS decides what is counted; the filter keeps an admin to the
  -- effective user's own referrals.
  select jsonb_build_object(
    'referral_code', (select p.referral_code from public.profiles p where p.id = (select private.effective_user_id())),
    'programme_enabled', (select s.enabled from public.referral_settings s),
    'reward_cents', (select s.reward_cents from public.referral_settings s),
    'min_payout_cents', (select s.min_payout_cents from public.referral_settings s),
    'sign_ups', count(*),
    'paid', count(*) filter (where r.qualified_at is not null or r.status in ('pending', 'approved', 'paid')),
    'pending_count', count(*) filter (where r.status = 'pending'),
    'pending_cents', coalesce(sum(r.reward_cents) filter (where r.status = 'pending'), 0),
    'approved_count', count(*) filter (where r.status = 'approved'),
    'approved_cents', coalesce(sum(r.reward_cents) filter (where r.status = 'approved'), 0),
    'paid_out_count', count(*) filter (where r.status = 'paid'),
    'paid_out_cents', coalesce(sum(r.reward_cents) filter (where r.status = 'paid'), 0),
    'rejected_count', count(*) filter (where r.status = 'rejected'))
  from public.referrals r
  where r.referrer_user_id = (select private.effective_user_id())
$$;
comment on function public.referral_stats() is 'The effective user''s referral code and totals: sign-ups, paid, rewards pending approval, approved, paid out (counts and cents), rejected; read under RLS.';
revoke all on function public.referral_stats() from public, anon, authenticated, service_role;
grant execute on function public.referral_stats() to authenticated;

-- Admins: the programme's settings, and rejecting a referral that never paid
create function public.admin_update_referral_settings(enabled boolean default null, reward_cents integer default null, min_payout_cents integer default null)
returns public.referral_settings
language plpgsql
security definer
set search_path = ''
as $$
declare
  before public.referral_settings;
  after public.referral_settings;
begin
  perform private.assert_admin();
  if admin_update_referral_settings.reward_cents not between 0 and 1000000
     or admin_update_referral_settings.min_payout_cents not between 0 and 1000000 then
    raise exception 'amounts are cents between 0 and 1000000' using errcode = '22023';
  end if;
  select * into before from public.referral_settings for update;
  update public.referral_settings s
  set enabled = coalesce(admin_update_referral_settings.enabled, s.enabled),
      reward_cents = coalesce(admin_update_referral_settings.reward_cents, s.reward_cents),
      min_payout_cents = coalesce(admin_update_referral_settings.min_payout_cents, s.min_payout_cents)
  returning * into after;
  perform private.write_audit('referral_settings.update', null,
    jsonb_build_object('before', to_jsonb(before) - 'id', 'after', to_jsonb(after) - 'id'), 'referral_settings', null);
  return after;
end
$$;
comment on function public.admin_update_referral_settings(boolean, integer, integer) is 'Changes the referral programme (enabled, reward and minimum payout in cents; null keeps a value); audited with before and after.';
revoke all on function public.admin_update_referral_settings(boolean, integer, integer) from public, anon, authenticated, service_role;
grant execute on function public.admin_update_referral_settings(boolean, integer, integer) to authenticated;

-- ---------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------

create policy "Signed-in users read referral settings" on public.referral_settings for select to authenticated using (true);

create policy "Users read their own payout requests, admins every one" on public.payout_requests for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

create policy "Users read referrals they made, admins every one" on public.referrals for select to authenticated
  using (referrer_user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

-- ---------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------

create trigger referral_settings_set_updated_at before update on public.referral_settings for each row execute function private.set_updated_at();

create trigger referrals_set_updated_at before update on public.referrals for each row execute function private.set_updated_at();

create trigger payout_requests_set_updated_at before update on public.payout_requests for each row execute function private.set_updated_at();

create trigger payout_requests_audit_impersonated_write after insert on public.payout_requests
  for each row execute function private.audit_impersonated_write();

-- Named after on_auth_user_created, so it runs after the new user's profile exists.
create trigger on_auth_user_created_record_referral after insert on auth.users
  for each row execute function private.record_referral_at_sign_up();

create trigger subscriptions_referral_reward_due
  after insert or update of status on public.subscriptions
  for each row when (new.status = 'active')
  execute function private.referral_reward_due();

-- ---------------------------------------------------------------------------
-- Seed data
-- ---------------------------------------------------------------------------

insert into public.referral_settings default values;
