-- ============================================================================
-- Stripe events applied to billing state. The stripe-webhook function verifies an event, reads
-- from Stripe what it needs, and calls exactly one of these RPCs. Each records (stripe, event id)
-- in inbound_webhook_events and applies the effect in the same transaction, so a crash never
-- leaves an event half-applied and a redelivery (even a concurrent one: the primary key makes it
-- wait, then conflict) does nothing. Subscription state only moves forward: an event older than
-- the newest one applied (subscriptions.last_event_at) leaves the row alone.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------

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

-- ---------------------------------------------------------------------------
-- RPCs for the stripe-webhook function (service role only)
-- ---------------------------------------------------------------------------

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

  -- Even when a newer event got here first, a paid checkout still asks for the deployment.
  if request_deployment and held.stripe_subscription_id = snapshot.stripe_subscription_id
     and held.status in ('active', 'trialing') then
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
  'Applies one Stripe event carrying a subscription (checkout.session.completed, customer.subscription.*): subscription row (unless older than the newest applied), usage_limits, and for a paid checkout the agent deployment request. subscription = {user_id, stripe_customer_id, stripe_subscription_id, plan, status, current_period_start, current_period_end, cancel_at_period_end, canceled_at}. Returns {outcome: applied | stale | other_subscription | duplicate | unattributed, user_id}.';

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

revoke execute on function
  private.record_stripe_event(text, text, boolean),
  private.alert_unattributed_stripe_event(text, text, jsonb),
  private.sync_usage_limits(uuid)
from public;
revoke execute on function
  public.stripe_apply_subscription(text, text, timestamptz, jsonb, boolean),
  public.stripe_apply_topup(text, text, uuid, text, text),
  public.stripe_apply_payment_failed(text, text, timestamptz, jsonb),
  public.stripe_event_processed(text)
from public, anon, authenticated;
grant execute on function
  public.stripe_apply_subscription(text, text, timestamptz, jsonb, boolean),
  public.stripe_apply_topup(text, text, uuid, text, text),
  public.stripe_apply_payment_failed(text, text, timestamptz, jsonb),
  public.stripe_event_processed(text)
to service_role;
