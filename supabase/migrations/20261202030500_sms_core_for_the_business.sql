-- ============================================================================
-- The SMS send core takes the business as an argument: private.queue_sms is queue_owner_sms's
-- one-transaction check-and-record (recipient, sender, consent ledger, quiet hours, allowance,
-- idempotency key) for a given owner, so that texts the business sends by itself (the missed-call
-- text-back, 20261202030050) pass the checks an owner's own send does. Its kind says which:
-- a text-back answers the caller's call of a moment ago, so like a reply to a text it is not held
-- to the quiet hours. queue_owner_sms is
-- now that core for the signed-in (effective) user; its behaviour is unchanged. queue_text_back
-- hands a recorded text-back to the core and notes what became of it.
-- ============================================================================

create function private.queue_sms(owner_id uuid, to_number text, body text, idempotency_key text, kind text default 'owner')
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
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
  if queue_sms.kind is null or queue_sms.kind not in ('owner', 'text_back') then
    raise exception 'kind must be owner or text_back' using errcode = '22023';
  end if;
  if queue_sms.idempotency_key is null or length(queue_sms.idempotency_key) not between 1 and 255 then
    raise exception 'Idempotency-Key must be 1 to 255 characters' using errcode = '22023';
  end if;
  if queue_sms.body is null or length(queue_sms.body) not between 1 and 1600 then
    raise exception 'body must be 1 to 1600 characters' using errcode = '22023';
  end if;
  parts := private.sms_segments(queue_sms.body);
  if parts > 20 then
    raise exception 'body takes % segments; at most 20 are sent', parts using errcode = '22023';
  end if;

  -- A retry finds its message, whatever happened since: nothing is recorded or charged twice.
  select * into existing from public.sms_messages m
  where m.user_id = owner_id and m.idempotency_key = queue_sms.idempotency_key;
  if found then
    return private.owner_sms_answer(existing, queue_sms.to_number, queue_sms.body, true);
  end if;

  if queue_sms.to_number is null or queue_sms.to_number !~ '^\+[1-9][0-9]{6,14}$' then
    return jsonb_build_object('refusal', 'invalid_recipient');
  end if;
  select a.phone_number, p.time_zone into sender, business_zone
  from public.profiles p left join public.agents a on a.user_id = p.id
  where p.id = owner_id;
  if sender is null then
    return jsonb_build_object('refusal', 'no_sms_sender');
  end if;
  if sender = queue_sms.to_number then
    return jsonb_build_object('refusal', 'invalid_recipient');
  end if;
  if private.sms_opted_out(sender, queue_sms.to_number) then
    return jsonb_build_object('refusal', 'recipient_opted_out');
  end if;

  -- A reply answers a customer who texted in the last 24 hours, or a text-back the caller's call
  -- just now; anything else is held to the quiet hours (the recipient's zone is taken to be the
  -- business's).
  select queue_sms.kind = 'text_back' or exists (
    select 1 from public.sms_messages m
    join public.sms_conversations v on v.id = m.conversation_id
    where v.user_id = owner_id and v.customer_phone = queue_sms.to_number
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
  values (owner_id, queue_sms.to_number, sender)
  on conflict (user_id, customer_phone) do nothing;
  select v.id into conversation_id from public.sms_conversations v where v.user_id = owner_id and v.customer_phone = queue_sms.to_number;

  -- Concurrent retries with one key wait here for the first; the losers find its message.
  insert into public.sms_messages (conversation_id, user_id, direction, body, from_number, to_number, provider, status, idempotency_key, segments)
  values (conversation_id, owner_id, 'outbound', queue_sms.body, sender, queue_sms.to_number, 'twilio', 'queued', queue_sms.idempotency_key, parts)
  on conflict on constraint sms_messages_user_id_idempotency_key_key do nothing
  returning * into message;
  if message.id is null then
    select * into existing from public.sms_messages m
    where m.user_id = owner_id and m.idempotency_key = queue_sms.idempotency_key;
    return private.owner_sms_answer(existing, queue_sms.to_number, queue_sms.body, true);
  end if;

  insert into public.usage_sms (user_id, message_id, direction, segments)
  values (owner_id, message.id::text, 'outbound', parts);
  update public.sms_conversations set last_message_at = now() where id = conversation_id;
  return private.owner_sms_answer(message, queue_sms.to_number, queue_sms.body, false);
end
$$;
comment on function private.queue_sms(uuid, text, text, text, text) is 'A text from the business owner_id to to_number (kind owner: the owner''s send; text_back: the missed-call text-back, a reply to the call, so not held to quiet hours), recorded and charged once per idempotency key: {message (id, from, to, body, status, segments), send (true for the one call that must hand it to the provider)} or {refusal: invalid_recipient | no_sms_sender | recipient_opted_out | quiet_hours | sms_cap_reached | subscription_inactive}; idempotency_key_reused (PT409) when a key comes back with another recipient or text; 42501 without an owner.';

create or replace function public.queue_owner_sms(to_number text, body text, idempotency_key text)
returns jsonb
language sql
security definer
set search_path = ''
as $$ select private.queue_sms(private.effective_user_id(), to_number, body, idempotency_key) $$;
comment on function public.queue_owner_sms(text, text, text) is 'The owner''s send (private.queue_sms for the effective user): {message, send} or {refusal}, once per idempotency key.';

-- ---------------------------------------------------------------------------
-- The text-back's text and its send
-- ---------------------------------------------------------------------------

create function private.text_back_body(owner public.profiles)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(
    btrim(owner.text_back_message),
    coalesce(owner.business_name, 'We') || ' here: we got your call and will call you back as soon as we can.'
      || coalesce(' To book a visit now: ' || (select i.booking_url from public.integrations i
                                                where i.user_id = owner.id and i.provider = 'calcom' and i.status = 'connected'), '')
      || ' Reply STOP to opt out.')
$$;
comment on function private.text_back_body(public.profiles) is 'The text-back a business sends: the owner''s own text, else the default naming the business, how it follows up and its booking link.';

create function public.queue_text_back(text_back_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  text_back public.call_text_backs;
  owner public.profiles;
  queued jsonb;
begin
  select * into text_back from public.call_text_backs t where t.id = queue_text_back.text_back_id for update;
  if not found then
    raise exception 'No text-back %', queue_text_back.text_back_id using errcode = 'PT404';
  end if;
  select * into owner from public.profiles p where p.id = text_back.user_id;
  queued := private.queue_sms(text_back.user_id, text_back.customer_phone, private.text_back_body(owner), 'text-back:' || text_back.id, 'text_back');
  update public.call_text_backs t
  set message_id = (queued -> 'message' ->> 'id')::uuid, skip_reason = queued ->> 'refusal'
  where t.id = text_back.id;
  return queued;
end
$$;
comment on function public.queue_text_back(uuid) is 'Hands a recorded text-back to the SMS core (as the business, key text-back:<id>): {message, send} to deliver, or {refusal}, which is kept as its skip_reason.';

revoke execute on function
  private.queue_sms(uuid, text, text, text, text), private.text_back_body(public.profiles), public.queue_text_back(uuid)
from public, anon, authenticated;
grant execute on function public.queue_text_back(uuid) to service_role;
