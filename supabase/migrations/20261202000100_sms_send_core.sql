-- ============================================================================
-- One SQL entry point for every text a business sends its customer: private.queue_sms. The
-- owner's send (queue_owner_sms, behind send-sms) and the texts the backend sends by itself (the
-- booking confirmation, the missed-call text-back) go through it, so the same rules hold for all:
-- recipient and sender (the business's own number), the consent ledger, quiet hours by kind,
-- the SMS allowance in segments, once per idempotency key.
--
-- The kind decides quiet hours (TCPA: 8 am to 9 pm where the recipient is, for texts that are not
-- replies or transactional):
--   reply          answers a customer who just texted: any hour;
--   transactional  about a transaction the customer made (a booking confirmation): any hour;
--   marketing      anything else the business starts: only in the recipient's daytime.
-- The recipient's zone comes from their area code (private.sms_recipient_time_zone).
--
-- Automatic texts (automatic = true) are not typed by someone waiting for an answer: a refusal is
-- kept as a 'refused' message saying why (the owner sees it in the conversation, and the key is
-- spent), and the queued message is sent after commit by send-sms's queued route, which claims
-- due messages with a visibility deadline (claim_queued_sms) and reports through finish_sms_send.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Columns
-- ---------------------------------------------------------------------------

alter table public.sms_messages
  add column kind text check (kind in ('reply', 'transactional', 'marketing')),
  add column automatic boolean not null default false,
  add column send_attempts integer not null default 0 check (send_attempts between 0 and 10),
  add column send_claimed_until timestamptz,
  add constraint sms_messages_kind_outbound check (kind is null or direction = 'outbound');
comment on column public.sms_messages.kind is 'For an outbound text, what it is (reply, transactional, marketing): only marketing is held to quiet hours.';
comment on column public.sms_messages.automatic is 'Sent by the backend itself (a booking confirmation...), not typed by the owner: send-sms''s queued route sends it.';
comment on column public.sms_messages.send_attempts is 'How often send-sms''s queued route has claimed this automatic text.';
comment on column public.sms_messages.send_claimed_until is 'Until when a send-sms worker holds this automatic text; after that another may take it.';
create index sms_messages_queued_automatic_idx on public.sms_messages (created_at) where status = 'queued' and automatic;

-- ---------------------------------------------------------------------------
-- The core
-- ---------------------------------------------------------------------------

create function private.queue_sms(
  owner_id uuid, to_number text, body text, idempotency_key text, kind text, automatic boolean default false
)
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
  refusal text;
begin
  if queue_sms.kind is null or queue_sms.kind not in ('reply', 'transactional', 'marketing') then
    raise exception 'kind must be reply, transactional or marketing' using errcode = '22023';
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
    refusal := 'recipient_opted_out';
  elsif queue_sms.kind = 'marketing' and private.sms_quiet_for(queue_sms.to_number, business_zone) then
    refusal := 'quiet_hours';
  else
    -- The period's row lock makes a business's sends check the allowance one after another.
    select * into limits from public.usage_limits l where l.user_id = owner_id for update;
    select * into usage from private.usage_check(owner_id, 'sms');
    if not usage.allowed then
      refusal := case when usage.reason = 'over_cap' then 'sms_cap_reached' else 'subscription_inactive' end;
    elsif usage.reason = 'ok' and limits.sms_allowance - limits.sms_used + limits.topup_sms < parts
          and (select p.overage_policy from public.subscriptions s join public.plans p on p.id = s.plan where s.user_id = owner_id) <> 'allow' then
      refusal := 'sms_cap_reached';
    end if;
  end if;
  if refusal is not null and not queue_sms.automatic then
    return jsonb_build_object('refusal', refusal);
  end if;

  insert into public.sms_conversations (user_id, customer_phone, business_number)
  values (owner_id, queue_sms.to_number, sender)
  on conflict (user_id, customer_phone) do nothing;
  select v.id into conversation_id from public.sms_conversations v where v.user_id = owner_id and v.customer_phone = queue_sms.to_number;

  -- Concurrent retries with one key wait here for the first; the losers find its message.
  insert into public.sms_messages (conversation_id, user_id, direction, body, from_number, to_number, provider, status, error_code,
                                   idempotency_key, segments, kind, automatic)
  values (conversation_id, owner_id, 'outbound', queue_sms.body, sender, queue_sms.to_number, 'twilio',
          case when refusal is null then 'queued' else 'refused' end, refusal,
          queue_sms.idempotency_key, parts, queue_sms.kind, queue_sms.automatic)
  on conflict on constraint sms_messages_user_id_idempotency_key_key do nothing
  returning * into message;
  if message.id is null then
    select * into existing from public.sms_messages m
    where m.user_id = owner_id and m.idempotency_key = queue_sms.idempotency_key;
    return private.owner_sms_answer(existing, queue_sms.to_number, queue_sms.body, true);
  end if;
  update public.sms_conversations set last_message_at = now() where id = conversation_id;
  if refusal is not null then
    -- An automatic text that may not go out: kept, uncharged, with the reason.
    return private.owner_sms_answer(message, queue_sms.to_number, queue_sms.body, false) || jsonb_build_object('send', false, 'refusal', refusal);
  end if;

  insert into public.usage_sms (user_id, message_id, direction, segments)
  values (owner_id, message.id::text, 'outbound', parts);
  if queue_sms.automatic then
    -- Sent after commit; the kick-queued-sms job picks it up if this call is lost.
    perform private.call_function('send-sms/queued');
  end if;
  return private.owner_sms_answer(message, queue_sms.to_number, queue_sms.body, false);
end
$$;
comment on function private.queue_sms(uuid, text, text, text, text, boolean) is 'Every text a business sends a customer, recorded and charged once per (business, idempotency_key): checks the recipient, the sender (the business''s own number), the consent ledger, quiet hours (kind marketing only, in the recipient''s zone), the SMS allowance in segments. Answers {message, send} or {refusal: invalid_recipient | no_sms_sender | recipient_opted_out | quiet_hours | sms_cap_reached | subscription_inactive}. automatic: a refusal is kept as a refused message, and a queued one is sent after commit by send-sms/queued. PT409 when a key comes back with another recipient or text.';

-- ---------------------------------------------------------------------------
-- The owner's send through the core
-- ---------------------------------------------------------------------------

create or replace function public.queue_owner_sms(to_number text, body text, idempotency_key text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  owner_id uuid := private.effective_user_id();
  replying boolean;
begin
  if owner_id is null then
    raise exception 'Sign in to send texts' using errcode = '42501';
  end if;
  -- A reply answers a customer who texted in the last 24 hours; anything else the owner starts is
  -- held to quiet hours.
  select exists (
    select 1 from public.sms_messages m
    join public.sms_conversations v on v.id = m.conversation_id
    where v.user_id = owner_id and v.customer_phone = queue_owner_sms.to_number
      and m.direction = 'inbound' and m.created_at > now() - interval '24 hours'
  ) into replying;
  return private.queue_sms(owner_id, to_number, body, idempotency_key, case when replying then 'reply' else 'marketing' end);
end
$$;
comment on function public.queue_owner_sms(text, text, text) is 'The owner''s send (send-sms), through private.queue_sms: a reply when the customer texted in the last 24 hours, else held to quiet hours. {message, send (true for the one call that must hand it to the provider)} or {refusal}; PT409 when a key comes back with another recipient or text.';

-- ---------------------------------------------------------------------------
-- Sending automatic texts
-- ---------------------------------------------------------------------------

create function public.claim_queued_sms(max_messages integer default 20)
returns table (id uuid, from_number text, to_number text, body text)
language plpgsql
security definer
set search_path = ''
as $$
declare
  abandoned public.sms_messages;
begin
  -- Three claims that never reported: the text is given up (failed, charge back) rather than
  -- retried for ever; a worker that died may or may not have sent it.
  for abandoned in
    select * from public.sms_messages m
    where m.status = 'queued' and m.automatic and m.send_attempts >= 3 and m.send_claimed_until < now()
    for update skip locked
  loop
    perform private.apply_sms_status(abandoned, 'failed', 'send_abandoned');
  end loop;

  return query
  with due as (
    select m.id from public.sms_messages m
    where m.status = 'queued' and m.automatic and m.send_attempts < 3
      and (m.send_claimed_until is null or m.send_claimed_until < now())
    order by m.created_at
    limit greatest(least(max_messages, 100), 1)
    for update skip locked
  )
  update public.sms_messages m
  set send_attempts = m.send_attempts + 1, send_claimed_until = now() + interval '1 minute'
  from due where m.id = due.id
  returning m.id, m.from_number::text, m.to_number::text, m.body;
end
$$;
comment on function public.claim_queued_sms(integer) is 'Claims up to max_messages queued automatic texts for one minute (for update skip locked: overlapping workers never take the same one); a text claimed three times without an answer is failed (send_abandoned) with its charge given back.';

create function private.kick_queued_sms()
returns void
language sql
security definer
set search_path = ''
as $$
  select private.call_function('send-sms/queued')
  where exists (select 1 from public.sms_messages m
                where m.status = 'queued' and m.automatic and (m.send_claimed_until is null or m.send_claimed_until < now()))
$$;
comment on function private.kick_queued_sms() is 'The kick-queued-sms job: calls send-sms/queued when an automatic text is due (its kick was lost, or its worker''s claim expired).';

insert into private.cron_jobs (name, schedule, command, max_gap, description) values
  ('kick-queued-sms', '* * * * *', 'select private.kick_queued_sms()', '10 minutes',
   'Calls send-sms/queued when an automatic text (a booking confirmation...) is due: a lost kick or an expired claim.');
select private.setup_cron_jobs();

revoke execute on function
  private.queue_sms(uuid, text, text, text, text, boolean), private.kick_queued_sms(), public.claim_queued_sms(integer)
from public, anon, authenticated;
grant execute on function public.claim_queued_sms(integer) to service_role;
