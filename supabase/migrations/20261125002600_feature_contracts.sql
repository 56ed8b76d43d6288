-- ============================================================================
-- The two questions features ask each other, answered in one place:
--   * may this business take another call / send another SMS now? (billing answers, call time asks)
--   * deploy this business's agent (payment and the wizard ask, provisioning answers)
-- Later migrations refine the bodies; the signatures are the contract.
-- ============================================================================

create function private.usage_check(target_user uuid, kind text)
returns table (allowed boolean, reason text)
language sql
stable
security definer
set search_path = ''
as $$
  select
    coalesce(s.status in ('active', 'trialing') and l.user_id is not null
             and case kind
                   when 'call' then l.call_minutes_used < l.call_minutes_allowance or l.topup_call_minutes > 0
                   when 'sms' then l.sms_used < l.sms_allowance or l.topup_sms > 0
                 end, false),
    case
      when s.user_id is null then 'no_subscription'
      when s.status not in ('active', 'trialing') then 'subscription_inactive'
      when l.user_id is null then 'no_subscription'
      when kind = 'call' and l.call_minutes_used >= l.call_minutes_allowance and l.topup_call_minutes = 0 then 'over_cap'
      when kind = 'sms' and l.sms_used >= l.sms_allowance and l.topup_sms = 0 then 'over_cap'
      else 'ok'
    end
  from (select target_user as user_id) as t
  left join public.subscriptions s on s.user_id = t.user_id
  left join public.usage_limits l on l.user_id = t.user_id
$$;
comment on function private.usage_check(uuid, text) is 'Whether a business may take another call (kind = call) or send another SMS (kind = sms) now, and why not: ok, no_subscription, subscription_inactive, over_cap.';

create function private.request_agent_deployment(target_user uuid, source text)
returns void
language sql
security definer
set search_path = ''
as $$
  insert into public.agents (user_id) values (target_user) on conflict (user_id) do nothing
$$;
comment on function private.request_agent_deployment(uuid, text) is 'Records that a business''s agent should be deployed (source: stripe, wizard, admin).';
