-- ============================================================================
-- A subscription that becomes live after its checkout (e.g. paid by a delayed method, so the
-- checkout completed with the subscription incomplete) now also requests the agent deployment:
-- stripe_apply_subscription asks for it on the move from a not-live state to active or trialing.
-- ============================================================================

create or replace function public.stripe_apply_subscription(
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
