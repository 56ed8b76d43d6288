-- ============================================================================
-- One SQL path for every text a customer sends a business, whichever provider carried it (Twilio's
-- sms-inbound webhook, Retell's chat_inbound): the message stored once per provider id in its
-- conversation, the customer updated, the sms_received outbox event, and the keywords applied to
-- the consent ledger (20261201060000), with the reply we owe, if any.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Segments: what carriers bill for
-- ---------------------------------------------------------------------------

create function private.sms_segments(body text)
returns integer
language sql
immutable
set search_path = ''
as $$
  -- GSM-7 (the basic set; the extension characters take two septets): 160 in one SMS, 153 per
  -- part of a longer one. Anything else travels as UCS-2: 70 code units, 67 per part, and a
  -- character outside the BMP takes two units.
  select case
    when translate(body, E'@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&''()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà\f^{}\\[~]|€', '') = '' then
      (select case when septets <= 160 then 1 else ceil(septets / 153.0)::integer end
       from (select length(body) + length(body) - length(translate(body, E'\f^{}\\[~]|€', '')) as septets) s)
    else
      (select case when units <= 70 then 1 else ceil(units / 67.0)::integer end
       from (select length(body) + length(regexp_replace(body, '[^\U00010000-\U0010FFFF]', '', 'g')) as units) u)
  end
$$;
comment on function private.sms_segments(text) is 'How many SMS segments a text takes: GSM-7 160 characters or 153 per part, UCS-2 70 code units or 67 per part. The unit of the SMS allowance.';

-- ---------------------------------------------------------------------------
-- The shared inbound path
-- ---------------------------------------------------------------------------

create function private.receive_sms(
  target_user uuid, provider text, provider_message_id text, to_number text, from_number text, body text
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  conversation_id uuid;
  message_id uuid;
  keyword text := private.sms_keyword(receive_sms.body);
  reply text;
  business_name text;
  next_appointment record;
begin
  insert into public.sms_conversations (user_id, customer_phone, business_number)
  values (target_user, receive_sms.from_number, receive_sms.to_number)
  on conflict (user_id, customer_phone) do nothing;
  select v.id into conversation_id
  from public.sms_conversations v
  where v.user_id = target_user and v.customer_phone = receive_sms.from_number;

  insert into public.sms_messages (conversation_id, user_id, direction, body, from_number, to_number, provider, provider_message_id)
  values (conversation_id, target_user, 'inbound', receive_sms.body, receive_sms.from_number,
          receive_sms.to_number, receive_sms.provider, receive_sms.provider_message_id)
  on conflict on constraint sms_messages_provider_provider_message_id_key do nothing
  returning id into message_id;
  if message_id is null then
    -- A redelivery: stored and applied the first time; no second reply either.
    return jsonb_build_object('message_id', null, 'keyword', keyword, 'reply', null, 'duplicate', true);
  end if;

  update public.sms_conversations
  set last_message_at = now(), business_number = receive_sms.to_number
  where id = conversation_id;
  insert into public.customers (user_id, phone)
  values (target_user, receive_sms.from_number)
  on conflict (user_id, phone) do update set last_seen_at = now();
  insert into public.webhook_queue (user_id, event_type, dedupe_key, payload)
  values (target_user, 'sms_received', 'sms_received:' || receive_sms.provider || ':' || receive_sms.provider_message_id,
          jsonb_build_object('message_id', message_id, 'conversation_id', conversation_id,
                             'from_number', receive_sms.from_number, 'to_number', receive_sms.to_number,
                             'body', receive_sms.body, 'received_at', now()))
  on conflict (dedupe_key) do nothing;

  select p.business_name into business_name from public.profiles p where p.id = target_user;
  business_name := coalesce(business_name, 'this business');
  case keyword
    when 'opt_out' then
      -- Twilio confirms a carrier keyword itself; a second confirmation of ours would be one
      -- text too many to someone who asked for none.
      perform private.set_sms_consent(target_user, receive_sms.to_number, receive_sms.from_number, true, 'keyword', message_id);
    when 'revocation' then
      perform private.set_sms_consent(target_user, receive_sms.to_number, receive_sms.from_number, true, 'phrase', message_id);
      reply := format('You will get no more texts from %s. Reply START to receive them again.', business_name);
    when 'opt_in' then
      perform private.set_sms_consent(target_user, receive_sms.to_number, receive_sms.from_number, false, 'keyword', message_id);
    when 'help' then
      reply := format('%s: text this number or call %s to reach us. Msg & data rates may apply. Reply STOP to opt out.',
                      business_name, receive_sms.to_number);
    when 'reschedule' then
      select a.start_at, a.time_zone into next_appointment
      from public.appointments a
      where a.user_id = target_user and a.customer_phone = receive_sms.from_number
        and a.status in ('scheduled', 'rescheduled') and a.start_at > now()
      order by a.start_at
      limit 1;
      reply := case
        when next_appointment.start_at is null then
          format('%s: we found no upcoming appointment for this number. We will call you to arrange one.', business_name)
        else
          format('%s: your next appointment is %s. We will call you to find a new time. Reply STOP to opt out.',
                 business_name,
                 to_char(next_appointment.start_at at time zone coalesce(next_appointment.time_zone, 'UTC'), 'Dy Mon FMDD at FMHH12:MI AM'))
      end;
    else
      reply := null;
  end case;

  -- A reply still goes nowhere the customer has refused (a HELP after STOP is answered: carriers
  -- require HELP to work in every state; the confirmation of a revocation is the one allowed text).
  if reply is not null and keyword not in ('help', 'revocation')
     and private.sms_opted_out(receive_sms.to_number, receive_sms.from_number) then
    reply := null;
  end if;
  return jsonb_build_object('message_id', message_id, 'keyword', keyword, 'reply', reply, 'duplicate', false);
end
$$;
comment on function private.receive_sms(uuid, text, text, text, text, text) is 'Stores a customer''s text to a business (once per provider message id) in its conversation, updates the customer, queues sms_received, applies keywords to the consent ledger, and returns {message_id, keyword, reply, duplicate}: reply is the text we owe (HELP, RESCHEDULE, a revocation''s confirmation) or null.';

-- ---------------------------------------------------------------------------
-- Retell's chat_inbound, now through the shared path
-- ---------------------------------------------------------------------------

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
  received jsonb;
begin
  select * into match from private.business_for_number(inbound_sms_context.to_number, 'sms');
  refusal := private.refusal_reason(match.user_id, match.allowed, match.usage_reason);
  if refusal is not null then
    alert_raised := private.raise_refusal_alert(refusal, 'sms', match.user_id, inbound_sms_context.to_number, match.period_start);
  end if;

  -- The customer's message is kept whatever service the business gets; inbound SMS are free
  -- for the business, so nothing is charged to its SMS allowance.
  if match.user_id is not null and inbound_sms_context.from_number is not null then
    received := private.receive_sms(match.user_id, 'retell', inbound_sms_context.chat_id,
                                    inbound_sms_context.to_number, inbound_sms_context.from_number, inbound_sms_context.body);
  end if;

  return jsonb_build_object(
    'user_id', match.user_id,
    'refusal_reason', refusal,
    'business', match.business,
    'agent', match.agent,
    'message_id', received -> 'message_id',
    'keyword', received -> 'keyword',
    'cap_notice', case when alert_raised and refusal = 'over_cap' then private.cap_notice(match.user_id, 'sms', match.period_start) end
  );
end
$$;
comment on function public.inbound_sms_context(text, text, text, text) is 'The Retell inbound webhook''s one round trip for chat_inbound: the business behind to_number and whether it may take the chat (as inbound_call_context, with cap_notice for its SMS cap), and the message stored through private.receive_sms (once per chat_id, keywords applied to the consent ledger).';

-- ---------------------------------------------------------------------------
-- Twilio's inbound webhook
-- ---------------------------------------------------------------------------

create function public.twilio_sms_inbound(message_sid text, to_number text, from_number text, body text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  target_user uuid;
begin
  if message_sid is null or message_sid !~ '^(SM|MM)[0-9a-fA-F]{32}$' then
    raise exception 'MessageSid must be a Twilio message sid' using errcode = '22023';
  end if;
  if coalesce(length(body), 0) > 1600 then
    raise exception 'Body is longer than an SMS can be (1600 characters)' using errcode = '22023';
  end if;
  select a.user_id into target_user from public.agents a where a.phone_number = twilio_sms_inbound.to_number;
  if target_user is null then
    raise exception 'No business has the number %', twilio_sms_inbound.to_number using errcode = 'PT404';
  end if;
  -- An empty text (a picture alone) is still the customer's message.
  return jsonb_build_object('user_id', target_user) || private.receive_sms(
    target_user, 'twilio', message_sid, to_number, from_number, coalesce(nullif(body, ''), '(no text)'));
end
$$;
comment on function public.twilio_sms_inbound(text, text, text, text) is 'The sms-inbound webhook''s one round trip: finds the business by the To number (PT404 if none) and hands the text to private.receive_sms; returns {user_id, message_id, keyword, reply, duplicate}.';

revoke execute on function
  private.sms_segments(text), private.receive_sms(uuid, text, text, text, text, text), public.twilio_sms_inbound(text, text, text, text)
from public, anon, authenticated;
grant execute on function public.twilio_sms_inbound(text, text, text, text) to service_role;
