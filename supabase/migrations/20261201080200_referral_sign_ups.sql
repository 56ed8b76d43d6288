-- ============================================================================
-- Referrals start on their own. A new account that signs up with another business's code in its
-- user metadata (supabase.auth.signUp({ ..., options: { data: { referral_code } } })) is recorded as
-- a referral in state signed_up; its first active subscription (written by the Stripe path) makes
-- the reward due (pending, waiting for an admin), and the existing approval and payout flow takes
-- it from there. The referrer reads the totals through referral_stats(); admins change the
-- programme through admin_update_referral_settings().
-- ============================================================================

alter table public.referrals drop constraint referrals_status_check;
alter table public.referrals add constraint referrals_status_check
  check (status in ('signed_up', 'pending', 'approved', 'rejected', 'paid'));
alter table public.referrals add column qualified_at timestamptz;
comment on column public.referrals.status is 'signed_up: the referred business has not paid yet; pending: its first payment succeeded and the reward waits for an admin; then approved or rejected, and paid once paid out.';
comment on column public.referrals.qualified_at is 'When the referred business''s first payment succeeded (the reward became due).';

-- ---------------------------------------------------------------------------
-- Attribution at sign-up
-- ---------------------------------------------------------------------------

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

-- Named after on_auth_user_created, so it runs after the new user's profile exists.
create trigger on_auth_user_created_record_referral after insert on auth.users
  for each row execute function private.record_referral_at_sign_up();

-- ---------------------------------------------------------------------------
-- The reward becomes due on the first successful payment
-- ---------------------------------------------------------------------------

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

create trigger subscriptions_referral_reward_due
  after insert or update of status on public.subscriptions
  for each row when (new.status = 'active')
  execute function private.referral_reward_due();

-- ---------------------------------------------------------------------------
-- Stats for the referrer
-- ---------------------------------------------------------------------------

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
revoke all on function public.referral_stats() from public, anon, authenticated;
grant execute on function public.referral_stats() to authenticated;

-- ---------------------------------------------------------------------------
-- Admins: the programme's settings, and rejecting a referral that never paid
-- ---------------------------------------------------------------------------

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
revoke all on function public.admin_update_referral_settings(boolean, integer, integer) from public, anon, authenticated;
grant execute on function public.admin_update_referral_settings(boolean, integer, integer) to authenticated;

-- Unchanged but for rejecting a referral whose business has not paid yet (e.g. a fraudulent one).
create or replace function public.admin_decide_referral(referral_id uuid, decision text)
returns public.referrals
language plpgsql
security definer
set search_path = ''
as $$
declare
  decided public.referrals;
begin
  perform private.assert_admin();
  if decision not in ('approved', 'rejected', 'paid') then
    raise exception 'decision must be approved, rejected or paid' using errcode = '22023';
  end if;
  update public.referrals
  set status = decision,
      decided_at = case when decision = 'paid' then decided_at else now() end,
      decided_by = auth.uid(),
      paid_at = case when decision = 'paid' then now() end
  where id = referral_id
    and ((decision = 'approved' and status = 'pending')
         or (decision = 'rejected' and status in ('signed_up', 'pending'))
         or (decision = 'paid' and status = 'approved'))
  returning * into decided;
  if decided.id is null then
    raise exception 'referral % cannot move to %', referral_id, decision using errcode = '22023';
  end if;
  perform private.write_audit('referral.' || decision, decided.referrer_user_id, '{}'::jsonb, 'referrals', referral_id::text);
  return decided;
end
$$;
comment on function public.admin_decide_referral(uuid, text) is 'Approves a pending referral, rejects one not decided yet (signed_up or pending), or marks an approved one paid.';
