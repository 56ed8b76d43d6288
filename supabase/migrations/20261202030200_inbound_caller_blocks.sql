-- ============================================================================
-- The inbound lookup answers a blocked caller: private.caller_block says whether the caller is
-- on the operators' global list or the business's own (caller_blocks), and inbound_call_context
-- then refuses the call as 'blocked' (recorded as refused, never billed, no operator alert);
-- retell-inbound answers it with call_disposition = "blocked", which the master prompt honours by
-- ending the call at once. The lookup no longer answers cap_notice: the cap's email is now the
-- 100% usage warning (20261202030300), sent when the counter reaches the allowance.
-- Otherwise as 20261201070000.
-- ============================================================================

create function private.caller_block(user_id uuid, caller text)
returns text
language sql
stable
set search_path = ''
as $$
  -- The business's own entry first: its note is the owner's.
  select case when b.user_id is null then 'global' else 'business' end
  from public.caller_blocks b
  where b.phone = caller_block.caller and (b.user_id = caller_block.user_id or b.user_id is null)
  order by b.user_id nulls last
  limit 1
$$;
comment on function private.caller_block(uuid, text) is 'Which block list has the caller for this business: business (the owner''s), global (the operators''), or null when the caller is not blocked.';
revoke execute on function private.caller_block(uuid, text) from public;

create or replace function public.inbound_call_context(to_number text, from_number text default null, call_id text default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  match record;
  refusal text;
begin
  select * into match from private.business_for_number(inbound_call_context.to_number, 'call');
  refusal := case when match.user_id is not null and private.caller_block(match.user_id, inbound_call_context.from_number) is not null
                  then 'blocked' end;
  refusal := coalesce(refusal, private.refusal_reason(match.user_id, match.allowed, match.usage_reason));
  if refusal is not null then
    -- Recorded now so a refused call is never lost; later call events for the same id keep
    -- status 'refused' (Retell sends no call id on some deliveries: then the events record it from
    -- the metadata we answer with).
    if inbound_call_context.call_id is not null then
      insert into public.calls (call_id, user_id, direction, from_number, to_number, status, refusal_reason)
      values (inbound_call_context.call_id, match.user_id, 'inbound', inbound_call_context.from_number,
              inbound_call_context.to_number, 'refused', refusal)
      on conflict on constraint calls_pkey do nothing;
    end if;
    perform private.raise_refusal_alert(refusal, 'call', match.user_id, inbound_call_context.to_number, match.period_start);
  end if;
  return jsonb_build_object(
    'user_id', match.user_id,
    'refusal_reason', refusal,
    'business', match.business,
    'agent', match.agent,
    'failover_agent', private.failover_agent(match.user_id, match.agent ->> 'model')
  );
end
$$;
comment on function public.inbound_call_context(text, text, text) is 'Everything the inbound call webhook needs in one round trip: the business behind to_number (E.164), its agent, failover_agent while its master is unhealthy, and refusal_reason (unknown_number, blocked, subscription_inactive, over_cap, or null); records refused calls.';
