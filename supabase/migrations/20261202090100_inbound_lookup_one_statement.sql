-- ============================================================================
-- The inbound lookup as one planner-friendly statement.
--
-- While a caller hears ringing, public.inbound_call_context ran a SQL function (planned afresh on
-- every call: a function with its own search_path is never inlined) that called the plpgsql
-- usage_check per row, which read the subscription and counters again, then more such functions
-- for the block lists, the refusal and the failover agent. Now:
--   * private.usage_decision is the usage rule, one expression over the subscription and period
--     rows the caller has read; usage_check, the SMS sends and the lookups all use it;
--   * private.inbound_numbers says what a number's business answers with (profile fields, Cal.com
--     state, agent, failover agent, the usage decisions), reading each table once; the planner
--     inlines it into the statement that reads it, with the block lists (caller_blocks) beside it;
--   * the lookups are plpgsql functions whose per-call work is one statement over that view, so
--     PostgreSQL keeps its plan for the session. Refused calls are recorded and alerts raised as
--     before, by the statements that run only when a call is refused.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- The usage rule
-- ---------------------------------------------------------------------------

-- A function of rows the caller has already read, so that each caller reads every table once, in
-- its own statement; plpgsql evaluates the one expression from its cached plan.
create function private.usage_decision(kind text, subscription public.subscriptions, limits public.usage_limits, overage_policy text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
begin
  return case
    when subscription.user_id is null then 'no_subscription'
    -- past_due keeps the receptionist answering while Stripe retries the charge; unpaid or
    -- canceled (Stripe's final states after failed retries) stop it.
    when subscription.status not in ('active', 'trialing', 'past_due') then 'subscription_inactive'
    when limits.user_id is null then 'no_subscription'
    when kind = 'call' and (limits.call_minutes_allowance - limits.call_minutes_used > 0 or limits.topup_call_minutes > 0) then 'ok'
    when kind = 'sms' and (limits.sms_allowance - limits.sms_used > 0 or limits.topup_sms > 0) then 'ok'
    when overage_policy = 'allow' then 'overage'
    else 'over_cap'
  end;
end
$$;
comment on function private.usage_decision(text, public.subscriptions, public.usage_limits, text) is 'The usage rule: whether a business with this subscription and these period counters (null when it has none) may take another call (kind = call) or send another SMS (kind = sms), as ok (allowance or top-up credits left), overage (both used, the plan''s overage_policy allows it), over_cap, subscription_inactive or no_subscription. Allowed exactly when ok or overage.';
revoke execute on function private.usage_decision(text, public.subscriptions, public.usage_limits, text) from public;

create or replace function private.usage_check(target_user uuid, kind text)
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

-- ---------------------------------------------------------------------------
-- What a number answers with
-- ---------------------------------------------------------------------------

create view private.inbound_numbers with (security_invoker = true) as
select
  a.phone_number,
  a.user_id,
  jsonb_build_object(
    'business_name', p.business_name,
    'transfer_number', p.transfer_number,
    'agent_tone', p.agent_tone,
    'schedule_summary', p.schedule_summary,
    'standard_fee', p.standard_fee,
    'emergency_fee', p.emergency_fee,
    'time_zone', p.time_zone,
    'calendar_status', i.status,
    'booking_url', i.booking_url
  ) as business,
  jsonb_build_object('model', a.model, 'retell_agent_id', a.retell_agent_id, 'retell_agent_version', a.retell_agent_version) as agent,
  -- While the usual agent is unhealthy (master-agent-health), the agent a call goes to instead: a
  -- shared business's, its industry's fallback agent; a dedicated one's, the master (at the
  -- version its numbers are on) when healthy, else the fallback. Otherwise null.
  case
    when a.model = 'shared' and not m.healthy and m.fallback_agent_id is not null
      then jsonb_build_object('agent_id', m.fallback_agent_id)
    when a.model = 'dedicated' and not d.healthy
      then case when m.healthy then jsonb_strip_nulls(jsonb_build_object('agent_id', m.retell_agent_id, 'agent_version', m.retell_agent_version))
                when m.fallback_agent_id is not null then jsonb_build_object('agent_id', m.fallback_agent_id) end
  end as failover_agent,
  private.usage_decision('call', s, l, pl.overage_policy) as call_usage,
  private.usage_decision('sms', s, l, pl.overage_policy) as sms_usage,
  l.period_start
from public.agents a
join public.profiles p on p.id = a.user_id
left join public.subscriptions s on s.user_id = a.user_id
left join public.usage_limits l on l.user_id = a.user_id
left join public.plans pl on pl.id = s.plan
left join public.integrations i on i.user_id = a.user_id and i.provider = 'calcom'
left join public.master_agents m on m.industry = p.industry
left join public.dedicated_agent_health d on d.user_id = a.user_id and a.model = 'dedicated';
comment on view private.inbound_numbers is 'Per business number (agents.phone_number, unique): the business (profile fields the agent needs, Cal.com state), its Retell agent, the failover agent while its industry''s master is unhealthy, and whether it may take a call or an SMS now (private.usage_decision). Each table read once; the planner inlines the view and computes only the columns read.';
revoke all on private.inbound_numbers from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- The lookups
-- ---------------------------------------------------------------------------

-- The refusal rule, now plpgsql: a one-expression SQL function with its own search_path is planned
-- on every call, a plpgsql one evaluates its cached expression.
create or replace function private.refusal_reason(user_id uuid, allowed boolean, usage_reason text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
begin
  return case
    when user_id is null then 'unknown_number'
    when allowed then null
    when usage_reason = 'over_cap' then 'over_cap'
    else 'subscription_inactive'
  end;
end
$$;

create or replace function private.business_for_number(business_number text, usage_kind text)
returns table (
  user_id uuid,
  business jsonb,
  agent jsonb,
  allowed boolean,
  usage_reason text,
  period_start timestamptz
)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return query
  select n.user_id, n.business, n.agent, d.reason in ('ok', 'overage'), d.reason, n.period_start
  from private.inbound_numbers n
  cross join lateral (select case usage_kind when 'call' then n.call_usage when 'sms' then n.sms_usage end as reason) as d
  where n.phone_number = business_number;
end
$$;
comment on function private.business_for_number(text, text) is 'The business a phone number belongs to (private.inbound_numbers: profile fields the agent needs, Cal.com state, Retell agent) and whether it may take a call or SMS now; no row for an unknown number.';

create or replace function public.inbound_call_context(to_number text, from_number text default null, call_id text default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  match record;
begin
  -- The per-call work: one statement. An unknown number still yields a row (user_id null). A
  -- caller on the business's block list or the operators' global one (caller_blocks) is refused
  -- as blocked before any usage rule: never billed, no operator alert.
  select n.user_id, n.business, n.agent, n.failover_agent, n.period_start,
         case when n.user_id is not null and exists (select 1 from public.caller_blocks b
                           where b.phone = inbound_call_context.from_number and (b.user_id = n.user_id or b.user_id is null))
                then 'blocked'
              else private.refusal_reason(n.user_id, n.call_usage in ('ok', 'overage'), n.call_usage) end as refusal
  into match
  from (select inbound_call_context.to_number as number) as called
  left join private.inbound_numbers n on n.phone_number = called.number;

  if match.refusal is not null then
    -- Recorded now so a refused call is never lost; later call events for the same id keep
    -- status 'refused' (Retell sends no call id on some deliveries: then the events record it from
    -- the metadata we answer with).
    if inbound_call_context.call_id is not null then
      insert into public.calls (call_id, user_id, direction, from_number, to_number, status, refusal_reason)
      values (inbound_call_context.call_id, match.user_id, 'inbound', inbound_call_context.from_number,
              inbound_call_context.to_number, 'refused', match.refusal)
      on conflict on constraint calls_pkey do nothing;
    end if;
    perform private.raise_refusal_alert(match.refusal, 'call', match.user_id, inbound_call_context.to_number, match.period_start);
  end if;
  return jsonb_build_object(
    'user_id', match.user_id,
    'refusal_reason', match.refusal,
    'business', match.business,
    'agent', match.agent,
    'failover_agent', match.failover_agent
  );
end
$$;

-- The failover rule is a join of private.inbound_numbers now, the block lists a condition of the
-- lookup's statement.
drop function private.failover_agent(uuid, text);
drop function private.caller_block(uuid, text);
