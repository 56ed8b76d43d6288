-- ============================================================================
-- The inbound webhook's one round trip. Retell asks, while the caller hears ringing, who a number
-- belongs to; public.inbound_call_context answers with the business, its Cal.com connection, its
-- agent and whether it may take the call, and records a refused call. public.inbound_sms_context
-- answers the same question for an SMS and stores the message in its conversation.
-- Called by the retell-inbound function with the service role only.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Lookup
-- ---------------------------------------------------------------------------

create function private.business_for_number(business_number text, usage_kind text)
returns table (
  user_id uuid,
  business jsonb,
  agent jsonb,
  allowed boolean,
  usage_reason text,
  period_start timestamptz
)
language sql
stable
security definer
set search_path = ''
as $$
  -- agents.phone_number is unique: at most one row, found through its index.
  select
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
    ),
    jsonb_build_object('model', a.model, 'retell_agent_id', a.retell_agent_id, 'retell_agent_version', a.retell_agent_version),
    usage.allowed,
    usage.reason,
    l.period_start
  from public.agents a
  join public.profiles p on p.id = a.user_id
  left join public.integrations i on i.user_id = a.user_id and i.provider = 'calcom'
  left join public.usage_limits l on l.user_id = a.user_id
  cross join lateral private.usage_check(a.user_id, usage_kind) as usage
  where a.phone_number = business_number
$$;
comment on function private.business_for_number(text, text) is 'The business a phone number belongs to (profile fields the agent needs, Cal.com state, Retell agent) and whether it may take a call or SMS now; no row for an unknown number.';

create function private.refusal_reason(user_id uuid, allowed boolean, usage_reason text)
returns text
language sql
immutable
set search_path = ''
as $$
  select case
    when user_id is null then 'unknown_number'
    when allowed then null
    when usage_reason = 'over_cap' then 'over_cap'
    else 'subscription_inactive'
  end
$$;
comment on function private.refusal_reason(uuid, boolean, text) is 'Why an inbound call or SMS gets message-only service (calls.refusal_reason), or null when the business may take it.';

create function private.alert_refusal(refusal text, user_id uuid, business_number text, period_start timestamptz)
returns void
language sql
security definer
set search_path = ''
as $$
  -- One open alert per business and billing period (over cap) or per number (unknown).
  insert into public.ops_alerts (kind, severity, message, user_id, details, dedupe_key)
  select v.kind, v.severity, v.message, alert_refusal.user_id,
         jsonb_build_object('phone_number', business_number, 'period_start', period_start), v.dedupe_key
  from (values
    ('over_cap', 'usage_cap_reached', 'warning',
     'A business used all its call minutes: callers now only get their message taken until it tops up or the period renews.',
     'usage_cap_reached:' || alert_refusal.user_id || ':' || coalesce(period_start::text, 'none')),
    ('unknown_number', 'unknown_inbound_number', 'warning',
     'A call or SMS reached a number that belongs to no business.',
     'unknown_inbound_number:' || coalesce(business_number, 'none'))
  ) as v(refusal, kind, severity, message, dedupe_key)
  where v.refusal = alert_refusal.refusal
  on conflict (dedupe_key) where resolved_at is null do nothing
$$;
comment on function private.alert_refusal(text, uuid, text, timestamptz) is 'Tells operators (ops_alerts) that a business reached its cap this period, or that an unknown number is receiving calls; deduplicated while open.';

-- ---------------------------------------------------------------------------
-- Calls
-- ---------------------------------------------------------------------------

create function public.inbound_call_context(to_number text, from_number text default null, call_id text default null)
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
  refusal := private.refusal_reason(match.user_id, match.allowed, match.usage_reason);
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
    perform private.alert_refusal(refusal, match.user_id, inbound_call_context.to_number, match.period_start);
  end if;
  return jsonb_build_object(
    'user_id', match.user_id,
    'refusal_reason', refusal,
    'business', match.business,
    'agent', match.agent
  );
end
$$;
comment on function public.inbound_call_context(text, text, text) is 'Everything the inbound call webhook needs in one round trip: the business behind to_number (E.164), its agent, and refusal_reason (unknown_number, subscription_inactive, over_cap, or null); records refused calls.';

-- ---------------------------------------------------------------------------
-- SMS
-- ---------------------------------------------------------------------------

create function public.inbound_sms_context(to_number text, from_number text, chat_id text, body text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  match record;
  refusal text;
  conversation_id uuid;
  message_id uuid;
begin
  select * into match from private.business_for_number(inbound_sms_context.to_number, 'sms');
  refusal := private.refusal_reason(match.user_id, match.allowed, match.usage_reason);
  if refusal is not null then
    perform private.alert_refusal(refusal, match.user_id, inbound_sms_context.to_number, match.period_start);
  end if;

  -- The customer's message is kept whatever service the business gets; inbound SMS are free
  -- for the business, so nothing is charged to its SMS allowance. A redelivery (same chat_id)
  -- finds its message stored and changes nothing.
  if match.user_id is not null and inbound_sms_context.from_number is not null then
    insert into public.sms_conversations (user_id, customer_phone, business_number)
    values (match.user_id, inbound_sms_context.from_number, inbound_sms_context.to_number)
    on conflict (user_id, customer_phone) do nothing;
    select v.id into conversation_id
    from public.sms_conversations v
    where v.user_id = match.user_id and v.customer_phone = inbound_sms_context.from_number;

    insert into public.sms_messages (conversation_id, user_id, direction, body, from_number, to_number, provider, provider_message_id)
    values (conversation_id, match.user_id, 'inbound', inbound_sms_context.body, inbound_sms_context.from_number,
            inbound_sms_context.to_number, 'retell', inbound_sms_context.chat_id)
    on conflict (provider, provider_message_id) do nothing
    returning id into message_id;

    if message_id is not null then
      update public.sms_conversations
      set last_message_at = now(), business_number = inbound_sms_context.to_number
      where id = conversation_id;
      insert into public.customers (user_id, phone)
      values (match.user_id, inbound_sms_context.from_number)
      on conflict (user_id, phone) do update set last_seen_at = now();
      insert into public.webhook_queue (user_id, event_type, dedupe_key, payload)
      values (match.user_id, 'sms_received', 'sms_received:retell:' || inbound_sms_context.chat_id,
              jsonb_build_object('message_id', message_id, 'conversation_id', conversation_id,
                                 'from_number', inbound_sms_context.from_number, 'to_number', inbound_sms_context.to_number,
                                 'body', inbound_sms_context.body, 'received_at', now()))
      on conflict (dedupe_key) do nothing;
    end if;
  end if;

  return jsonb_build_object(
    'user_id', match.user_id,
    'refusal_reason', refusal,
    'business', match.business,
    'agent', match.agent,
    'message_id', message_id
  );
end
$$;
comment on function public.inbound_sms_context(text, text, text, text) is 'The inbound SMS webhook''s one round trip: the business behind to_number and whether it may take the chat (as inbound_call_context), and the message stored in its conversation (once per chat_id) with an sms_received outbox event.';

revoke execute on function
  private.business_for_number(text, text), private.refusal_reason(uuid, boolean, text),
  private.alert_refusal(text, uuid, text, timestamptz)
from public, anon, authenticated;
revoke execute on function
  public.inbound_call_context(text, text, text), public.inbound_sms_context(text, text, text, text)
from public, anon, authenticated;
grant execute on function
  public.inbound_call_context(text, text, text), public.inbound_sms_context(text, text, text, text)
to service_role;
