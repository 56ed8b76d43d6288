-- ============================================================================
-- Owners text their customers. The send-sms function asks public.queue_owner_sms, as the owner
-- (or an admin impersonating one), to record the message: in one transaction it checks the
-- recipient, the sender (the business's own number: a 10DLC number belongs to one brand), the
-- consent ledger, quiet hours for a text that is not a reply, and the SMS allowance, then stores
-- the message and charges its segments through usage_sms. The same idempotency key records (and
-- charges) once. After the provider answers, public.finish_sms_send marks the message sent, or
-- failed with the charge given back (and a 21610 recorded in the consent ledger).
-- ============================================================================

alter table public.sms_messages
  add column idempotency_key text check (length(idempotency_key) between 1 and 255),
  add column segments integer check (segments between 1 and 20);
alter table public.sms_messages add constraint sms_messages_user_id_idempotency_key_key unique (user_id, idempotency_key);
comment on column public.sms_messages.idempotency_key is 'The Idempotency-Key of the owner''s send: one message per business and key, however often it is retried.';
comment on column public.sms_messages.segments is 'Segments an outbound message was charged (private.sms_segments).';

-- ---------------------------------------------------------------------------
-- Quiet hours
-- ---------------------------------------------------------------------------

create function private.sms_quiet_hours(time_zone text, at timestamptz default now())
returns boolean
language sql
stable
set search_path = ''
as $$
  -- TCPA: solicitations only from 8 am to 9 pm where the recipient is. The caller passes the
  -- business's zone for the recipient's; a zone Postgres does not know counts as Eastern.
  select extract(hour from at at time zone coalesce(
           (select z.name from pg_catalog.pg_timezone_names z where z.name = time_zone), 'America/New_York')
         ) not between 8 and 20
$$;
comment on function private.sms_quiet_hours(text, timestamptz) is 'Whether it is before 8 am or from 9 pm on in time_zone (an unknown zone: America/New_York): the TCPA''s quiet hours for texts that are not replies or transactional.';

-- ---------------------------------------------------------------------------
-- Recording a send
-- ---------------------------------------------------------------------------

create function public.queue_owner_sms(to_number text, body text, idempotency_key text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  owner_id uuid := private.effective_user_id();
  sender text;
  business_zone text;
  existing public.sms_messages;
  conversation_id uuid;
  message public.sms_messages;
  parts integer;
  limits public.usage_limits;
  usage record;
  replying boolean;
begin
  if owner_id is null then
    raise exception 'Sign in to send texts' using errcode = '42501';
  end if;
  if queue_owner_sms.idempotency_key is null or length(queue_owner_sms.idempotency_key) not between 1 and 255 then
    raise exception 'Idempotency-Key must be 1 to 255 characters' using errcode = '22023';
  end if;
  if queue_owner_sms.body is null or length(queue_owner_sms.body) not between 1 and 1600 then
    raise exception 'body must be 1 to 1600 characters' using errcode = '22023';
  end if;
  parts := private.sms_segments(queue_owner_sms.body);
  if parts > 20 then
    raise exception 'body takes % segments; at most 20 are sent', parts using errcode = '22023';
  end if;

  -- A retry finds its message, whatever happened since: nothing is recorded or charged twice.
  select * into existing from public.sms_messages m
  where m.user_id = owner_id and m.idempotency_key = queue_owner_sms.idempotency_key;
  if found then
    return private.owner_sms_answer(existing, queue_owner_sms.to_number, queue_owner_sms.body, true);
  end if;

  if queue_owner_sms.to_number is null or queue_owner_sms.to_number !~ '^\+[1-9][0-9]{6,14}$' then
    return jsonb_build_object('refusal', 'invalid_recipient');
  end if;
  select a.phone_number, p.time_zone into sender, business_zone
  from public.profiles p left join public.agents a on a.user_id = p.id
  where p.id = owner_id;
  if sender is null then
    return jsonb_build_object('refusal', 'no_sms_sender');
  end if;
  if sender = queue_owner_sms.to_number then
    return jsonb_build_object('refusal', 'invalid_recipient');
  end if;
  if private.sms_opted_out(sender, queue_owner_sms.to_number) then
    return jsonb_build_object('refusal', 'recipient_opted_out');
  end if;

  -- A reply answers a customer who texted in the last 24 hours; anything else is held to the
  -- quiet hours (the recipient's zone is taken to be the business's).
  select exists (
    select 1 from public.sms_messages m
    join public.sms_conversations v on v.id = m.conversation_id
    where v.user_id = owner_id and v.customer_phone = queue_owner_sms.to_number
      and m.direction = 'inbound' and m.created_at > now() - interval '24 hours'
  ) into replying;
  if not replying and private.sms_quiet_hours(business_zone) then
    return jsonb_build_object('refusal', 'quiet_hours');
  end if;

  -- The period's row lock makes a business's sends check the allowance one after another.
  select * into limits from public.usage_limits l where l.user_id = owner_id for update;
  select * into usage from private.usage_check(owner_id, 'sms');
  if not usage.allowed then
    return jsonb_build_object('refusal', case when usage.reason = 'over_cap' then 'sms_cap_reached' else 'subscription_inactive' end);
  end if;
  if usage.reason = 'ok' and limits.sms_allowance - limits.sms_used + limits.topup_sms < parts
     and (select p.overage_policy from public.subscriptions s join public.plans p on p.id = s.plan where s.user_id = owner_id) <> 'allow' then
    return jsonb_build_object('refusal', 'sms_cap_reached');
  end if;

  insert into public.sms_conversations (user_id, customer_phone, business_number)
  values (owner_id, queue_owner_sms.to_number, sender)
  on conflict (user_id, customer_phone) do nothing;
  select v.id into conversation_id from public.sms_conversations v where v.user_id = owner_id and v.customer_phone = queue_owner_sms.to_number;

  -- Concurrent retries with one key wait here for the first; the losers find its message.
  insert into public.sms_messages (conversation_id, user_id, direction, body, from_number, to_number, provider, status, idempotency_key, segments)
  values (conversation_id, owner_id, 'outbound', queue_owner_sms.body, sender, queue_owner_sms.to_number, 'twilio', 'queued', queue_owner_sms.idempotency_key, parts)
  on conflict on constraint sms_messages_user_id_idempotency_key_key do nothing
  returning * into message;
  if message.id is null then
    select * into existing from public.sms_messages m
    where m.user_id = owner_id and m.idempotency_key = queue_owner_sms.idempotency_key;
    return private.owner_sms_answer(existing, queue_owner_sms.to_number, queue_owner_sms.body, true);
  end if;

  insert into public.usage_sms (user_id, message_id, direction, segments)
  values (owner_id, message.id::text, 'outbound', parts);
  update public.sms_conversations set last_message_at = now() where id = conversation_id;
  return private.owner_sms_answer(message, queue_owner_sms.to_number, queue_owner_sms.body, false);
end
$$;
comment on function public.queue_owner_sms(text, text, text) is 'The owner''s send, recorded and charged once per idempotency key: {message (id, from, to, body, status, segments), send (true for the one call that must hand it to the provider)} or {refusal: invalid_recipient | no_sms_sender | recipient_opted_out | quiet_hours | sms_cap_reached | subscription_inactive}; idempotency_key_reused (PT409) when a key comes back with another recipient or text.';

create function private.owner_sms_answer(message public.sms_messages, to_number text, body text, retried boolean)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  if retried and (message.to_number is distinct from to_number or message.body is distinct from body) then
    raise exception 'This Idempotency-Key was used for another message' using errcode = 'PT409';
  end if;
  return jsonb_build_object(
    'send', not retried,
    'message', jsonb_build_object('id', message.id, 'from', message.from_number, 'to', message.to_number, 'body', message.body,
                                  'status', message.status, 'segments', message.segments, 'provider_message_id', message.provider_message_id,
                                  'error_code', message.error_code)
  );
end
$$;
comment on function private.owner_sms_answer(public.sms_messages, text, text, boolean) is 'queue_owner_sms''s answer for a message; a retry (retried) must carry the first call''s recipient and text.';

-- ---------------------------------------------------------------------------
-- The provider's answer
-- ---------------------------------------------------------------------------

create function public.finish_sms_send(message_id uuid, provider_message_id text, error_code text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  message public.sms_messages;
  charge public.usage_sms;
begin
  select * into message from public.sms_messages m where m.id = finish_sms_send.message_id for update;
  if not found then
    raise exception 'No message %', finish_sms_send.message_id using errcode = 'PT404';
  end if;
  if message.status <> 'queued' then
    return jsonb_build_object('status', message.status);
  end if;
  if error_code is null then
    update public.sms_messages set status = 'sent', provider_message_id = finish_sms_send.provider_message_id
    where id = message.id;
    return jsonb_build_object('status', 'sent');
  end if;

  update public.sms_messages set status = 'failed', error_code = finish_sms_send.error_code where id = message.id;
  -- Nothing went out: the segments go back where they were taken from.
  delete from public.usage_sms u where u.message_id = message.id::text returning * into charge;
  if charge.id is not null then
    update public.usage_limits l
    set sms_used = greatest(l.sms_used - charge.from_plan, 0), topup_sms = l.topup_sms + charge.from_topup
    where l.user_id = charge.user_id and charge.occurred_at >= l.period_start and charge.occurred_at < l.period_end;
  end if;
  -- Twilio's 21610: the customer opted out at Twilio (a STOP we never saw); the ledger learns it.
  if error_code = '21610' then
    perform private.set_sms_consent(message.user_id, message.from_number, message.to_number, true, 'provider_error', message.id, '21610');
  end if;
  return jsonb_build_object('status', 'failed');
end
$$;
comment on function public.finish_sms_send(uuid, text, text) is 'The provider''s answer to a queued send: sent with its provider id, or failed with its error code, the usage_sms charge given back, and a 21610 recorded as an opt-out. Only a queued message changes.';

revoke execute on function
  private.sms_quiet_hours(text, timestamptz), public.queue_owner_sms(text, text, text),
  private.owner_sms_answer(public.sms_messages, text, text, boolean), public.finish_sms_send(uuid, text, text)
from public, anon, authenticated;
grant execute on function public.queue_owner_sms(text, text, text) to authenticated;
grant execute on function public.finish_sms_send(uuid, text, text) to service_role;
