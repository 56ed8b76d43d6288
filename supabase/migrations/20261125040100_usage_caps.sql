-- ============================================================================
-- Usage caps. Recording a call (usage_calls) or an SMS (usage_sms) charges the business's counters
-- in the same transaction: the plan allowance first, then top-up credits, and past both the
-- overage the plan's policy decides about. private.usage_check answers whether another call or
-- SMS may start now. Reconciliation (a later migration) rebuilds the period counters from the
-- ledgers.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Pure helpers
-- ---------------------------------------------------------------------------

create function private.topup_share(amount integer, plan_left integer, topup_left integer)
returns integer
language sql
immutable
set search_path = ''
as $$ select least(topup_left, greatest(amount - greatest(plan_left, 0), 0)) $$;
comment on function private.topup_share(integer, integer, integer) is 'How much of a usage amount top-up credits pay for: what the plan allowance left uncovered, up to the credits there are.';

create function private.call_cap_reached_at(used integer, allowance integer, topup_left integer, previous timestamptz)
returns timestamptz
language sql
stable
set search_path = ''
as $$ select case when used >= allowance and topup_left = 0 then coalesce(previous, now()) end $$;
comment on function private.call_cap_reached_at(integer, integer, integer, timestamptz) is 'usage_limits.cap_reached_at after a change: when plan minutes and top-up minutes ran out (kept from before if they already had), else null.';

comment on column public.usage_limits.cap_reached_at is 'When this period''s plan minutes and the top-up minutes ran out; null while minutes remain.';
comment on column public.usage_calls.plan_minutes is 'Minutes counted against the period (allowance, then overage); set by the charging trigger. billable_minutes = plan_minutes + topup_minutes.';
comment on column public.usage_calls.topup_minutes is 'Minutes paid from top-up credits; set by the charging trigger.';
comment on column public.usage_sms.from_plan is 'Segments counted against the period (allowance, then overage); set by the charging trigger. segments = from_plan + from_topup.';
comment on column public.usage_sms.from_topup is 'Segments paid from top-up credits; set by the charging trigger.';

-- ---------------------------------------------------------------------------
-- Charging triggers (after insert, so `insert ... on conflict do nothing` of a redelivered call
-- or message charges nothing)
-- ---------------------------------------------------------------------------

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

create trigger usage_calls_charge after insert on public.usage_calls
  for each row execute function private.charge_call_usage();
create trigger usage_sms_charge after insert on public.usage_sms
  for each row execute function private.charge_sms_usage();

-- New functions are executable by PUBLIC whatever the schema's default privileges say.
revoke execute on function
  private.topup_share(integer, integer, integer),
  private.call_cap_reached_at(integer, integer, integer, timestamptz),
  private.charge_call_usage(),
  private.charge_sms_usage()
from public;

-- ---------------------------------------------------------------------------
-- May this business take another call / send another SMS now?
-- ---------------------------------------------------------------------------

create or replace function private.usage_check(target_user uuid, kind text)
returns table (allowed boolean, reason text)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  subscription public.subscriptions;
  limits public.usage_limits;
  policy text;
  plan_left integer;
  topup_left integer;
begin
  if kind is null or kind not in ('call', 'sms') then
    raise exception 'usage kind must be call or sms, not %', coalesce(kind, 'null') using errcode = '22023';
  end if;
  select * into subscription from public.subscriptions s where s.user_id = target_user;
  if not found then
    return query select false, 'no_subscription';
    return;
  end if;
  -- past_due keeps the receptionist answering while Stripe retries the charge; unpaid or
  -- canceled (Stripe's final states after failed retries) stop it.
  if subscription.status not in ('active', 'trialing', 'past_due') then
    return query select false, 'subscription_inactive';
    return;
  end if;
  select * into limits from public.usage_limits l where l.user_id = target_user;
  if not found then
    return query select false, 'no_subscription';
    return;
  end if;
  select p.overage_policy into policy from public.plans p where p.id = subscription.plan;
  if kind = 'call' then
    plan_left := limits.call_minutes_allowance - limits.call_minutes_used;
    topup_left := limits.topup_call_minutes;
  else
    plan_left := limits.sms_allowance - limits.sms_used;
    topup_left := limits.topup_sms;
  end if;
  return query select
    plan_left > 0 or topup_left > 0 or policy = 'allow',
    case
      when plan_left > 0 or topup_left > 0 then 'ok'
      when policy = 'allow' then 'overage'
      else 'over_cap'
    end;
end
$$;
comment on function private.usage_check(uuid, text) is 'Whether a business may take another call (kind = call) or send another SMS (kind = sms) now, and why: ok (allowance or top-up credits left), overage (both used, the plan allows overage), over_cap, subscription_inactive, no_subscription.';
