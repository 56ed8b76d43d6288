-- ============================================================================
-- Billing reads for signed-in owners: the subscription summary a frontend shows, and who is paying
-- (for create-checkout-session, which acts for the caller).
-- ============================================================================

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
revoke execute on function public.subscription_status() from public;
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
revoke execute on function public.billing_customer() from public;
grant execute on function public.billing_customer() to authenticated;
