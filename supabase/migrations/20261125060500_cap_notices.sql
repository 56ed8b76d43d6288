-- ============================================================================
-- Telling the business it reached its cap. The inbound lookups raise the operators' alert once per
-- business, usage kind and billing period, and now say when they raised it, with where to write,
-- so the inbound function emails the owner once (after answering the caller). Also separates SMS
-- caps from call-minute caps, which shared one alert before.
-- ============================================================================

create function private.raise_refusal_alert(refusal text, usage_kind text, user_id uuid, business_number text, period_start timestamptz)
returns boolean
language sql
security definer
set search_path = ''
as $$
  with raised as (
    insert into public.ops_alerts (kind, severity, message, user_id, details, dedupe_key)
    select v.kind, 'warning', v.message, raise_refusal_alert.user_id,
           jsonb_build_object('phone_number', business_number, 'period_start', period_start), v.dedupe_key
    from (values
      ('over_cap', 'call', 'usage_cap_reached',
       'A business used all its call minutes: callers only get their message taken until it tops up or the period renews.',
       'usage_cap_reached:' || raise_refusal_alert.user_id || ':' || coalesce(period_start::text, 'none')),
      ('over_cap', 'sms', 'sms_cap_reached',
       'A business used all its SMS: texts are kept, and the agent only takes messages until it tops up or the period renews.',
       'sms_cap_reached:' || raise_refusal_alert.user_id || ':' || coalesce(period_start::text, 'none')),
      ('unknown_number', 'call', 'unknown_inbound_number', 'A call reached a number that belongs to no business.',
       'unknown_inbound_number:' || coalesce(business_number, 'none')),
      ('unknown_number', 'sms', 'unknown_inbound_number', 'An SMS reached a number that belongs to no business.',
       'unknown_inbound_number:' || coalesce(business_number, 'none'))
    ) as v(refusal, usage_kind, kind, message, dedupe_key)
    where v.refusal = raise_refusal_alert.refusal and v.usage_kind = raise_refusal_alert.usage_kind
    on conflict (dedupe_key) where resolved_at is null do nothing
    returning 1
  )
  select exists (select 1 from raised)
$$;
comment on function private.raise_refusal_alert(text, text, uuid, text, timestamptz) is 'Tells operators (ops_alerts) that a business reached its call or SMS cap this period, or that an unknown number is in use; true only when this call raised the alert (it stays deduplicated while open).';

create function private.cap_notice(user_id uuid, usage_kind text, period_start timestamptz)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'kind', usage_kind, 'email', coalesce(p.email, u.email), 'business_name', p.business_name,
    'period_start', period_start, 'period_end', l.period_end
  )
  from public.profiles p
  join auth.users u on u.id = p.id
  left join public.usage_limits l on l.user_id = p.id
  where p.id = cap_notice.user_id and p.notify_email and coalesce(p.email, u.email) is not null
$$;
comment on function private.cap_notice(uuid, text, timestamptz) is 'Whom to email that a business reached its cap (null when the owner turned email notices off or has no address).';

-- ---------------------------------------------------------------------------
-- The lookups, now answering cap_notice the first time a period's cap is hit
-- ---------------------------------------------------------------------------

create or replace function public.inbound_call_context(to_number text, from_number text default null, call_id text default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  match record;
  refusal text;
  alert_raised boolean := false;
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
    alert_raised := private.raise_refusal_alert(refusal, 'call', match.user_id, inbound_call_context.to_number, match.period_start);
  end if;
  return jsonb_build_object(
    'user_id', match.user_id,
    'refusal_reason', refusal,
    'business', match.business,
    'agent', match.agent,
    'cap_notice', case when alert_raised and refusal = 'over_cap' then private.cap_notice(match.user_id, 'call', match.period_start) end
  );
end
$$;
comment on function public.inbound_call_context(text, text, text) is 'Everything the inbound call webhook needs in one round trip: the business behind to_number (E.164), its agent, refusal_reason (unknown_number, subscription_inactive, over_cap, or null) and, the first time a period''s cap is hit, cap_notice (whom to email); records refused calls.';

create or replace function public.inbound_sms_context(to_number text, from_number text, chat_id text, body text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  match record;
  refusal text;
  alert_raised boolean := false;
  conversation_id uuid;
  message_id uuid;
begin
  select * into match from private.business_for_number(inbound_sms_context.to_number, 'sms');
  refusal := private.refusal_reason(match.user_id, match.allowed, match.usage_reason);
  if refusal is not null then
    alert_raised := private.raise_refusal_alert(refusal, 'sms', match.user_id, inbound_sms_context.to_number, match.period_start);
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
    'message_id', message_id,
    'cap_notice', case when alert_raised and refusal = 'over_cap' then private.cap_notice(match.user_id, 'sms', match.period_start) end
  );
end
$$;
comment on function public.inbound_sms_context(text, text, text, text) is 'The inbound SMS webhook''s one round trip: the business behind to_number and whether it may take the chat (as inbound_call_context, with cap_notice for its SMS cap), and the message stored in its conversation (once per chat_id) with an sms_received outbox event.';

drop function private.alert_refusal(text, uuid, text, timestamptz);

revoke execute on function
  private.raise_refusal_alert(text, text, uuid, text, timestamptz), private.cap_notice(uuid, text, timestamptz)
from public, anon, authenticated;
