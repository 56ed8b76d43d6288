-- ============================================================================
-- SMS: conversations and messages, the consent ledger (STOP/START), inbound texts from Twilio, the
-- send queue with quiet hours by the recipient's area code, status callbacks, booking confirmations
-- and the missed-call text-back.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

-- SMS: conversations between a business and a customer's phone, and their messages. Written by the
-- SMS functions (service role); the owner reads.
create table public.sms_conversations (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  customer_phone public.phone_e164 not null,
  business_number public.phone_e164 not null,
  last_message_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (user_id, customer_phone),
  owner_read_at timestamptz
);
comment on table public.sms_conversations is 'One SMS thread per business and customer phone.';
comment on column public.sms_conversations.owner_read_at is 'When the owner last opened the conversation; the customer''s texts after it are unread.';
alter table public.sms_conversations enable row level security;
revoke all on public.sms_conversations from anon, authenticated, service_role;
grant select on public.sms_conversations to authenticated;

create table public.sms_messages (
  id uuid primary key default gen_random_uuid(),
  conversation_id uuid not null references public.sms_conversations (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  direction text not null check (direction in ('inbound', 'outbound')),
  body text not null check (length(body) between 1 and 1600),
  from_number public.phone_e164 not null,
  to_number public.phone_e164 not null,
  provider text not null check (provider in ('twilio', 'retell')),
  provider_message_id text,
  status text not null default 'received'
    check (status in ('received', 'queued', 'sent', 'delivered', 'failed', 'refused')),
  error_code text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (provider, provider_message_id),
  idempotency_key text check (length(idempotency_key) between 1 and 255),
  segments integer check (segments between 1 and 20),
  constraint sms_messages_user_id_idempotency_key_key unique (user_id, idempotency_key),
  kind text check (kind in ('reply', 'transactional', 'marketing')),
  automatic boolean not null default false,
  send_attempts integer not null default 0 check (send_attempts between 0 and 10),
  send_claimed_until timestamptz,
  constraint sms_messages_kind_outbound check (kind is null or direction = 'outbound')
);
comment on table public.sms_messages is 'Every SMS received or sent for a business; provider ids make redelivery harmless.';
comment on column public.sms_messages.idempotency_key is 'The Idempotency-Key of the owner''s send: one message per business and key, however often it is retried.';
comment on column public.sms_messages.segments is 'Segments an outbound message was charged (private.sms_segments).';
comment on column public.sms_messages.kind is 'For an outbound text, what it is (reply, transactional, marketing): only marketing is held to quiet hours.';
comment on column public.sms_messages.automatic is 'Sent by the backend itself (a booking confirmation...), not typed by the owner: send-sms''s queued route sends it.';
comment on column public.sms_messages.send_attempts is 'How often send-sms''s queued route has claimed this automatic text.';
comment on column public.sms_messages.send_claimed_until is 'Until when a send-sms worker holds this automatic text; after that another may take it.';
alter table public.sms_messages enable row level security;
revoke all on public.sms_messages from anon, authenticated, service_role;
grant select on public.sms_messages to authenticated;

-- SMS consent ledger. One row per business sender number and customer phone with its current
-- state, and every change in its history: the carrier keywords (STOP and its synonyms, START...),
-- a revocation in the customer's own words (the FCC accepts "any reasonable means" since
-- 2025-04-11; we honour it at once), a provider's refusal (Twilio error 21610 means the pair is
-- blocked at Twilio) and owner actions. Every send path reads it before charging or sending.
create table public.sms_consents (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  business_number public.phone_e164 not null,
  customer_phone public.phone_e164 not null,
  opted_out boolean not null default false,
  changed_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (business_number, customer_phone)
);
comment on table public.sms_consents is 'Whether a customer phone may receive texts from a business sender number: the current state of the consent ledger, one row per pair (the pair is what carriers and Twilio block).';
alter table public.sms_consents enable row level security;
revoke all on public.sms_consents from anon, authenticated, service_role;
grant select on public.sms_consents to authenticated;

create table public.sms_consent_events (
  id bigint generated always as identity primary key,
  consent_id uuid not null references public.sms_consents (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  opted_out boolean not null,
  source text not null check (source in ('keyword', 'phrase', 'provider_error', 'owner')),
  message_id uuid references public.sms_messages (id) on delete set null,
  provider_error text check (length(provider_error) <= 40),
  created_at timestamptz not null default now()
);
comment on table public.sms_consent_events is 'History of the consent ledger: each opt-out or opt-in, when, and by which message (keyword or phrase), provider error or owner action.';
alter table public.sms_consent_events enable row level security;
revoke all on public.sms_consent_events from anon, authenticated, service_role;
grant select on public.sms_consent_events to authenticated;
revoke all on sequence public.sms_consent_events_id_seq from anon, authenticated, service_role;

-- Twilio's status callbacks for the texts we send (sent, delivered, undelivered, failed), applied
-- idempotently and in any order: a message's status only moves forward (queued, then sent, then
-- delivered or failed, which stay), and a failure gives the charge back once. A callback can
-- arrive before send-sms has recorded the message's sid; it waits in sms_pending_statuses and
-- finish_sms_send applies it.
create table private.sms_pending_statuses (
  provider_message_id text primary key check (length(provider_message_id) <= 64),
  status text not null check (status in ('sent', 'delivered', 'failed')),
  error_code text check (length(error_code) <= 40),
  received_at timestamptz not null default now()
);
comment on table private.sms_pending_statuses is 'Status callbacks that arrived before their message''s provider id was recorded; applied by finish_sms_send. Written only by SQL.';

-- The recipient's time zone from their number's area code, for the TCPA's quiet hours (8 am to
-- 9 pm where the recipient is). One row per NANP area code we know:
--   single_zone      every exchange of the code is in one IANA zone: that zone;
--   spans_zones      the code's exchanges are in more than one zone (Indiana's 219/574/812, the
--                    Florida panhandle's 850, Idaho, Kansas, the Dakotas, Alaska, northern Ontario,
--                    Labrador...): no zone, the business's zone is used;
--   non_geographic   toll-free (800, 833...), personal communications (5XX), Canadian
--                    non-geographic (600, 622), government (710), premium (900): no zone either.
-- A number outside the table (non-NANP, a Caribbean country, a code not yet in service) has no row
-- and also falls back to the business's zone.
--
-- Where the mapping comes from: the area codes of the United States (with DC and its territories
-- Puerto Rico, the US Virgin Islands, Guam, the Northern Mariana Islands, American Samoa) and of
-- Canada as libphonenumber publishes them (google/libphonenumber at commit f7e3e88c, 2026-07-17):
-- the zone of each code and of each of its exchanges from resources/timezones/map_data.txt, the
-- state or province from resources/geocoding/en/1.txt. A code is single_zone only when the code and
-- every exchange listed under it name the same zone; codes NANPA assigns but libphonenumber does
-- not yet map stay out of the table (and fall back). The non-geographic codes in service are
-- those of LincMad's list of NANP non-geographic codes (lincmad.com/nongeographic.html).
create table private.sms_area_code_zones (
  area_code text primary key check (area_code ~ '^[2-9][0-9]{2}$'),
  kind text not null check (kind in ('single_zone', 'spans_zones', 'non_geographic')),
  country text check (country in ('US', 'CA')),
  region text check (length(region) between 2 and 8),
  time_zone text,
  check ((kind = 'single_zone') = (time_zone is not null)),
  check ((kind = 'non_geographic') = (country is null))
);
comment on table private.sms_area_code_zones is 'NANP area codes with the IANA time zone of the whole code (single_zone), or marked spans_zones or non_geographic (no zone: the business''s zone is used). Source in the migration that seeds it. Read only by SQL.';
revoke all on private.sms_area_code_zones from anon, authenticated, service_role;

create table public.call_text_backs (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  call_id text not null unique references public.calls (call_id) on delete cascade,
  customer_phone text not null,
  local_day date not null,
  reason text not null check (reason in ('message_only', 'voicemail', 'unsuccessful')),
  message_id uuid references public.sms_messages (id) on delete set null,
  skip_reason text,
  created_at timestamptz not null default now(),
  unique (user_id, customer_phone, local_day)
);
comment on table public.call_text_backs is 'One text-back per caller, business and day: why (reason), and either the text (message_id, in sms_messages) or why none went out (skip_reason: the SMS core''s refusal, e.g. recipient_opted_out, quiet_hours).';
alter table public.call_text_backs enable row level security;
revoke all on public.call_text_backs from anon, authenticated, service_role;
grant select on public.call_text_backs to authenticated;

-- ---------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------

create index sms_messages_conversation_id_created_at_idx on public.sms_messages (conversation_id, created_at);
create index sms_messages_user_id_created_at_idx on public.sms_messages (user_id, created_at desc);
create index sms_consents_user_id_idx on public.sms_consents (user_id);
create index sms_consent_events_user_id_idx on public.sms_consent_events (user_id, created_at desc);
create index sms_consent_events_consent_id_idx on public.sms_consent_events (consent_id, created_at);
create index sms_consent_events_message_id_idx on public.sms_consent_events (message_id);
create index sms_messages_queued_automatic_idx on public.sms_messages (created_at) where status = 'queued' and automatic;
create index call_text_backs_message_id_idx on public.call_text_backs (message_id);

-- ---------------------------------------------------------------------------
-- Views and functions
-- ---------------------------------------------------------------------------

-- Retell's chat_inbound, through the shared path
create function public.inbound_sms_context(to_number text, from_number text, chat_id text, body text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  match record;
  refusal text;
  received jsonb;
begin
  select * into match from private.business_for_number(inbound_sms_context.to_number, 'sms');
  refusal := private.refusal_reason(match.user_id, match.allowed, match.usage_reason);
  if refusal is not null then
    perform private.raise_refusal_alert(refusal, 'sms', match.user_id, inbound_sms_context.to_number, match.period_start);
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
    'keyword', received -> 'keyword'
  );
end
$$;
comment on function public.inbound_sms_context(text, text, text, text) is 'The Retell inbound webhook''s one round trip for chat_inbound: the business behind to_number and whether it may take the chat (as inbound_call_context; the owner hears of the SMS cap from the usage warnings), and the message stored through private.receive_sms (once per chat_id, keywords applied to the consent ledger).';
revoke all on function public.inbound_sms_context(text, text, text, text) from public, anon, authenticated, service_role;
grant execute on function public.inbound_sms_context(text, text, text, text) to service_role;

-- Keywords and the revocation classifier
create function private.sms_revokes_consent(body text)
returns boolean
language sql
immutable
set search_path = ''
as $$
  -- Clear wording that asks for no more texts. Phrases about the appointment ("cancel my
  -- appointment", "stop by at noon") do not match: each pattern names texting or the list.
  select coalesce(t ~ any (array[
      '^\W*(stop|stopall|unsubscribe|cancel|end|quit|revoke|opt\s*-?\s*out)\W*$',
      '\m(stop|quit|cease|end)\s+(all\s+)?(texting|messaging|sending|contacting|txting|the\s+texts|these\s+texts|texts|messages|sms)\M',
      '\m(do\s*n.?t|do\s+not|never)\s+(text|message|txt|sms|contact)\s+(me|this\s+number|us)\M',
      '\munsubscribe\M',
      '\mopt\s*-?\s*(me\s+)?out\M',
      '\mrevoke\s+(my\s+)?consent\M',
      '\mremove\s+(me|my\s+number|this\s+number)\s+from\M',
      '\mtake\s+me\s+off\M',
      '\mno\s+more\s+(texts|messages|sms|texting)\M'
    ]), false)
  from (select lower(replace(body, '’', '''')) as t) normalised
$$;
comment on function private.sms_revokes_consent(text) is 'Whether a text asks, in the customer''s words, for no more texts ("please stop texting me", "unsubscribe me", "Stop!"): the FCC''s revocation by any reasonable means. A small, fixed set of patterns, tested in supabase/tests/sms.';
revoke all on function private.sms_revokes_consent(text) from public, anon, authenticated, service_role;

create function private.sms_keyword(body text)
returns text
language sql
immutable
set search_path = ''
as $$
  select case
    when k in ('STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT') then 'opt_out'
    when k in ('START', 'YES', 'UNSTOP') then 'opt_in'
    when k in ('HELP', 'INFO') then 'help'
    when k = 'RESCHEDULE' then 'reschedule'
    when private.sms_revokes_consent(body) then 'revocation'
  end
  from (select upper(btrim(body, E' \t\r\n')) as k) keyword
$$;
comment on function private.sms_keyword(text) is 'What an inbound text asks for: opt_out (a carrier keyword, whole message, any case), opt_in, help, reschedule, revocation (opt-out in other words), or null for an ordinary message.';
revoke all on function private.sms_keyword(text) from public, anon, authenticated, service_role;

-- Ledger writes and reads
create function private.set_sms_consent(
  target_user uuid, sender text, recipient text, opt_out boolean, cause text, message uuid default null, error_code text default null
)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  consent public.sms_consents;
begin
  insert into public.sms_consents (user_id, business_number, customer_phone, opted_out)
  values (target_user, sender, recipient, opt_out)
  on conflict (business_number, customer_phone) do nothing
  returning * into consent;
  if consent.id is null then
    -- Row lock: two keywords of one pair arriving together apply one after the other.
    select * into consent from public.sms_consents c
    where c.business_number = sender and c.customer_phone = recipient
    for update;
    if consent.opted_out is distinct from opt_out then
      update public.sms_consents set opted_out = opt_out, changed_at = now() where id = consent.id;
    end if;
  end if;
  insert into public.sms_consent_events (consent_id, user_id, opted_out, source, message_id, provider_error)
  values (consent.id, target_user, opt_out, cause, message, error_code);
  if opt_out then
    update public.customers set sms_opted_out_at = coalesce(sms_opted_out_at, now())
    where user_id = target_user and phone = recipient;
  else
    update public.customers set sms_opted_out_at = null
    where user_id = target_user and phone = recipient and sms_opted_out_at is not null;
  end if;
end
$$;
comment on function private.set_sms_consent(uuid, text, text, boolean, text, uuid, text) is 'Records an opt-out (opt_out true) or opt-in of recipient for texts from sender, with its cause (keyword, phrase, provider_error, owner), the message or provider error behind it, and mirrors it on the customer.';
revoke all on function private.set_sms_consent(uuid, text, text, boolean, text, uuid, text) from public, anon, authenticated, service_role;

create function private.sms_opted_out(sender text, recipient text)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce((select c.opted_out from public.sms_consents c
                   where c.business_number = sender and c.customer_phone = recipient), false)
$$;
comment on function private.sms_opted_out(text, text) is 'Whether recipient has opted out of texts from sender (no ledger row: never opted out).';
revoke all on function private.sms_opted_out(text, text) from public, anon, authenticated, service_role;

-- Segments: what carriers bill for
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
revoke all on function private.sms_segments(text) from public, anon, authenticated, service_role;

-- The shared inbound path
-- One SQL path for every text a customer sends a business, whichever provider carried it (Twilio's
-- sms-inbound webhook, Retell's chat_inbound): the message stored once per provider id in its
-- conversation, the customer updated, the sms_received outbox event, and the keywords applied to
-- the consent ledger, with the reply we owe, if any.
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
revoke all on function private.receive_sms(uuid, text, text, text, text, text) from public, anon, authenticated, service_role;

-- Twilio's inbound webhook
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
revoke all on function public.twilio_sms_inbound(text, text, text, text) from public, anon, authenticated, service_role;
grant execute on function public.twilio_sms_inbound(text, text, text, text) to service_role;

-- The quiet-hours rule in the recipient's zone
create function private.time_zone_or_eastern(zone text)
returns text
language plpgsql
stable
set search_path = ''
as $$
begin
  -- Asking Postgres for the time there is what checks the zone: a lookup in pg_timezone_names
  -- reads every zone file, a tenth of a second each time.
  perform now() at time zone zone;
  return coalesce(zone, 'America/New_York');
exception when invalid_parameter_value then
  return 'America/New_York';
end
$$;
comment on function private.time_zone_or_eastern(text) is 'zone when Postgres knows it, else America/New_York (the fallback of the SMS rules for a zone that cannot be used).';
revoke all on function private.time_zone_or_eastern(text) from public, anon, authenticated, service_role;

-- Quiet hours
create function private.sms_quiet_hours(time_zone text, at timestamptz default now())
returns boolean
language sql
stable
set search_path = ''
as $$
  -- TCPA: solicitations only from 8 am to 9 pm where the recipient is (private.sms_quiet_for
  -- finds that zone); a zone Postgres does not know counts as Eastern.
  select extract(hour from at at time zone private.time_zone_or_eastern(time_zone)) not between 8 and 20
$$;
comment on function private.sms_quiet_hours(text, timestamptz) is 'Whether it is before 8 am or from 9 pm on in time_zone (an unknown zone: America/New_York): the TCPA''s quiet hours for texts that are not replies or transactional.';
revoke all on function private.sms_quiet_hours(text, timestamptz) from public, anon, authenticated, service_role;

-- The owner's send through the core
create function public.queue_owner_sms(to_number text, body text, idempotency_key text)
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
revoke all on function public.queue_owner_sms(text, text, text) from public, anon, authenticated, service_role;
grant execute on function public.queue_owner_sms(text, text, text) to authenticated;

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
revoke all on function private.owner_sms_answer(public.sms_messages, text, text, boolean) from public, anon, authenticated, service_role;

-- finish_sms_send through the same helpers, and pending callbacks applied
create function public.finish_sms_send(message_id uuid, provider_message_id text, error_code text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  message public.sms_messages;
  pending private.sms_pending_statuses;
  status text;
begin
  select * into message from public.sms_messages m where m.id = finish_sms_send.message_id for update;
  if not found then
    raise exception 'No message %', finish_sms_send.message_id using errcode = 'PT404';
  end if;
  if message.status <> 'queued' then
    return jsonb_build_object('status', message.status);
  end if;
  if error_code is not null then
    return jsonb_build_object('status', private.apply_sms_status(message, 'failed', error_code));
  end if;
  update public.sms_messages m set provider_message_id = finish_sms_send.provider_message_id where m.id = message.id
  returning * into message;
  status := private.apply_sms_status(message, 'sent', null);
  delete from private.sms_pending_statuses p where p.provider_message_id = finish_sms_send.provider_message_id returning * into pending;
  if pending.provider_message_id is not null then
    select * into message from public.sms_messages m where m.id = finish_sms_send.message_id;
    status := private.apply_sms_status(message, pending.status, pending.error_code);
  end if;
  return jsonb_build_object('status', status);
end
$$;
comment on function public.finish_sms_send(uuid, text, text) is 'The provider''s answer to a queued send: sent with its provider id (then any status callback that came first), or failed with its error code, the charge given back and a 21610 recorded as an opt-out. Only a queued message changes.';
revoke all on function public.finish_sms_send(uuid, text, text) from public, anon, authenticated, service_role;
grant execute on function public.finish_sms_send(uuid, text, text) to service_role;

create function private.sms_status_rank(status text)
returns integer
language sql
immutable
set search_path = ''
as $$ select case status when 'queued' then 0 when 'sent' then 1 when 'delivered' then 2 when 'failed' then 2 else 3 end $$;
comment on function private.sms_status_rank(text) is 'Order of an outbound message''s statuses: queued, sent, then delivered or failed (final; the first final one stays).';
revoke all on function private.sms_status_rank(text) from public, anon, authenticated, service_role;

create function private.refund_sms_charge(message_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  charge public.usage_sms;
begin
  -- Deleting the usage row is what makes the refund happen once.
  delete from public.usage_sms u where u.message_id = refund_sms_charge.message_id::text returning * into charge;
  if charge.id is not null then
    update public.usage_limits l
    set sms_used = greatest(l.sms_used - charge.from_plan, 0), topup_sms = l.topup_sms + charge.from_topup
    where l.user_id = charge.user_id and charge.occurred_at >= l.period_start and charge.occurred_at < l.period_end;
  end if;
end
$$;
comment on function private.refund_sms_charge(uuid) is 'Gives a message''s SMS charge back to where it came from (plan segments, top-up segments) and removes its usage row; a second call does nothing.';
revoke all on function private.refund_sms_charge(uuid) from public, anon, authenticated, service_role;

create function private.apply_sms_status(message public.sms_messages, new_status text, error_code text)
returns text
language plpgsql
security definer
set search_path = ''
as $$
begin
  if private.sms_status_rank(new_status) <= private.sms_status_rank(message.status) then
    return message.status;
  end if;
  update public.sms_messages m
  set status = new_status, error_code = coalesce(apply_sms_status.error_code, m.error_code)
  where m.id = message.id;
  if new_status = 'failed' then
    perform private.refund_sms_charge(message.id);
    -- Twilio's 21610: the customer opted out at Twilio (a STOP we never saw); the ledger learns it.
    if error_code = '21610' then
      perform private.set_sms_consent(message.user_id, message.from_number, message.to_number, true, 'provider_error', message.id, '21610');
    end if;
  end if;
  return new_status;
end
$$;
comment on function private.apply_sms_status(public.sms_messages, text, text) is 'Moves an outbound message forward to new_status (never back); a failure gives the charge back and records a 21610 in the consent ledger. Returns the status the message has now.';
revoke all on function private.apply_sms_status(public.sms_messages, text, text) from public, anon, authenticated, service_role;

create function public.twilio_sms_status(message_sid text, message_status text, error_code text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  mapped text := case message_status
    when 'sent' then 'sent' when 'delivered' then 'delivered' when 'read' then 'delivered'
    when 'undelivered' then 'failed' when 'failed' then 'failed' end;
  message public.sms_messages;
begin
  if message_sid is null or message_sid !~ '^(SM|MM)[0-9a-fA-F]{32}$' then
    raise exception 'MessageSid must be a Twilio message sid' using errcode = '22023';
  end if;
  if error_code is not null and error_code !~ '^[0-9]{1,10}$' then
    raise exception 'ErrorCode must be a Twilio error code' using errcode = '22023';
  end if;
  if mapped is null then
    -- queued, accepted, sending, scheduled...: nothing we record.
    return jsonb_build_object('applied', false);
  end if;
  select * into message from public.sms_messages m
  where m.provider = 'twilio' and m.provider_message_id = message_sid and m.direction = 'outbound'
  for update;
  if not found then
    insert into private.sms_pending_statuses (provider_message_id, status, error_code)
    values (message_sid, mapped, error_code)
    on conflict (provider_message_id) do update
      set status = excluded.status, error_code = excluded.error_code
      where private.sms_status_rank(excluded.status) > private.sms_status_rank(private.sms_pending_statuses.status);
    return jsonb_build_object('applied', false, 'pending', true);
  end if;
  return jsonb_build_object('applied', true, 'status', private.apply_sms_status(message, mapped, error_code));
end
$$;
comment on function public.twilio_sms_status(text, text, text) is 'A Twilio status callback for one of our sends: moves the message forward (sent, delivered; undelivered and failed give the charge back), or keeps it in sms_pending_statuses until send-sms records the sid.';
revoke all on function public.twilio_sms_status(text, text, text) from public, anon, authenticated, service_role;
grant execute on function public.twilio_sms_status(text, text, text) to service_role;

create view public.sms_conversation_summaries
with (security_invoker = true)
as
select
  v.id,
  v.user_id,
  v.customer_phone,
  v.business_number,
  v.last_message_at,
  last_message.body as last_message_body,
  last_message.direction as last_message_direction,
  last_message.status as last_message_status,
  (select count(*)::integer from public.sms_messages m
   where m.conversation_id = v.id and m.direction = 'inbound'
     and m.created_at > coalesce(v.owner_read_at, '-infinity'::timestamptz)) as unread_count,
  coalesce(c.opted_out, false) as opted_out
from public.sms_conversations v
left join lateral (
  select m.body, m.direction, m.status from public.sms_messages m
  where m.conversation_id = v.id
  order by m.created_at desc, m.id desc
  limit 1
) last_message on true
left join public.sms_consents c on c.business_number = v.business_number and c.customer_phone = v.customer_phone;
comment on view public.sms_conversation_summaries is 'The SMS inbox: a conversation per row with its last message, unread count (customer texts since owner_read_at) and opt-out state. security_invoker: the tables'' RLS decides who sees what.';
revoke all on public.sms_conversation_summaries from anon, authenticated, service_role;
grant select on public.sms_conversation_summaries to authenticated;

create function public.mark_sms_conversation_read(conversation_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.sms_conversations v
  set owner_read_at = now()
  where v.id = mark_sms_conversation_read.conversation_id and v.user_id = (select private.effective_user_id());
  if not found then
    raise exception 'No conversation %', mark_sms_conversation_read.conversation_id using errcode = 'PT404';
  end if;
end
$$;
comment on function public.mark_sms_conversation_read(uuid) is 'The owner (or an admin impersonating them) opened a conversation: its customer texts so far count as read. PT404 for a conversation of another business.';
revoke all on function public.mark_sms_conversation_read(uuid) from public, anon, authenticated, service_role;
grant execute on function public.mark_sms_conversation_read(uuid) to authenticated;

-- Lookup
create function private.sms_recipient_time_zone(phone text, business_time_zone text)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(
    (select z.time_zone from private.sms_area_code_zones z
     where phone ~ '^\+1[2-9][0-9]{9}$' and z.area_code = substr(phone, 3, 3)),
    business_time_zone)
$$;
comment on function private.sms_recipient_time_zone(text, text) is 'The time zone of the recipient of a text: the zone of their NANP number''s area code when the whole code is in one zone, else business_time_zone (non-NANP, toll-free, a code that spans zones or is not in private.sms_area_code_zones).';
revoke all on function private.sms_recipient_time_zone(text, text) from public, anon, authenticated, service_role;

create function private.sms_quiet_for(recipient text, business_time_zone text, at timestamptz default now())
returns boolean
language sql
stable
security definer
set search_path = ''
as $$ select private.sms_quiet_hours(private.sms_recipient_time_zone(recipient, business_time_zone), at) $$;
comment on function private.sms_quiet_for(text, text, timestamptz) is 'Whether at is in the quiet hours (before 8 am or from 9 pm on) of recipient: in their area code''s zone, or business_time_zone when the code gives none.';
revoke all on function private.sms_quiet_for(text, text, timestamptz) from public, anon, authenticated, service_role;

-- The core
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
revoke all on function private.queue_sms(uuid, text, text, text, text, boolean) from public, anon, authenticated, service_role;

-- Sending automatic texts
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
revoke all on function public.claim_queued_sms(integer) from public, anon, authenticated, service_role;
grant execute on function public.claim_queued_sms(integer) to service_role;

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
revoke all on function private.kick_queued_sms() from public, anon, authenticated, service_role;

-- The text
create function private.booking_confirmation_text(appointment public.appointments)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select format('%s: your appointment on %s is confirmed. %s',
    coalesce(p.business_name, 'Your appointment'),
    to_char(appointment.start_at at time zone private.time_zone_or_eastern(coalesce(p.time_zone, appointment.time_zone)), 'Dy Mon FMDD "at" FMHH12:MI AM'),
    case
      when appointment.calcom_booking_uid is not null and booker.origin is not null then
        format('Reschedule: %1$s/reschedule/%2$s Cancel: %1$s/booking/%2$s?cancel=true', booker.origin, appointment.calcom_booking_uid)
      else 'To reschedule or cancel, reply RESCHEDULE.'
    end)
  from public.profiles p
  left join lateral (
    select substring(i.booking_url from '^https?://[^/]+') as origin
    from public.integrations i where i.user_id = p.id and i.provider = 'calcom'
  ) booker on true
  where p.id = appointment.user_id
$$;
comment on function private.booking_confirmation_text(public.appointments) is 'The confirmation text of an appointment: the business, its start in the business''s time zone, and Cal.com''s reschedule and cancel links (the booker on the origin of the business''s Cal.com booking page) or "reply RESCHEDULE".';
revoke all on function private.booking_confirmation_text(public.appointments) from public, anon, authenticated, service_role;

-- Queued with the booking
create function private.queue_booking_confirmation()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if not coalesce((select p.sms_booking_confirmations from public.profiles p where p.id = new.user_id), false) then
    return null;
  end if;
  -- One key per appointment: the tool's retry, Cal.com's webhook and a later update find the
  -- message already there.
  perform private.queue_sms(new.user_id, new.customer_phone, private.booking_confirmation_text(new),
                            'booking-confirmation:' || new.id, 'transactional', true);
  return null;
end
$$;
comment on function private.queue_booking_confirmation() is 'Queues the confirmation text of an appointment the voice agent booked (once per appointment), unless the business turned confirmations off.';
revoke all on function private.queue_booking_confirmation() from public, anon, authenticated, service_role;

-- Owners act on a customer's consent to texts (and admins impersonating them): opt a customer out
-- (honoured at once, source 'owner' in the ledger) or record an opt-in the customer gave the
-- business directly. An owner never overrides the customer's own word: an opt-out by a keyword,
-- a revocation in their words or a carrier's refusal (21610) is lifted only by the customer's
-- START, YES or UNSTOP; an owner's opt-in lifts only an owner's opt-out. Audited.
create function public.set_customer_sms_consent(customer_phone text, opted_out boolean)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  owner_id uuid := private.effective_user_id();
  sender text;
  consent public.sms_consents;
  cause text;
begin
  if owner_id is null then
    raise exception 'Sign in to change a customer''s consent' using errcode = '42501';
  end if;
  if set_customer_sms_consent.opted_out is null then
    raise exception 'opted_out must be true or false' using errcode = '22023';
  end if;
  if set_customer_sms_consent.customer_phone is null or set_customer_sms_consent.customer_phone !~ '^\+[1-9][0-9]{6,14}$' then
    raise exception 'customer_phone must be an E.164 number' using errcode = '22023';
  end if;
  if not exists (select 1 from public.customers c where c.user_id = owner_id and c.phone = set_customer_sms_consent.customer_phone)
     and not exists (select 1 from public.sms_conversations v where v.user_id = owner_id and v.customer_phone = set_customer_sms_consent.customer_phone) then
    raise exception 'No customer with phone %', set_customer_sms_consent.customer_phone using errcode = 'PT404';
  end if;
  select a.phone_number into sender from public.agents a where a.user_id = owner_id;
  if sender is null then
    raise exception 'The business has no number enabled for SMS yet' using errcode = 'PT409';
  end if;

  -- The pair's row lock orders this against a keyword arriving at the same moment.
  select * into consent from public.sms_consents c
  where c.business_number = sender and c.customer_phone = set_customer_sms_consent.customer_phone
  for update;
  if consent.opted_out then
    select e.source into cause from public.sms_consent_events e
    where e.consent_id = consent.id order by e.id desc limit 1;
  end if;

  if set_customer_sms_consent.opted_out and consent.opted_out then
    -- Already opted out: the cause stays the customer's, so an owner's opt-in cannot lift it later.
    return jsonb_build_object('customer_phone', set_customer_sms_consent.customer_phone, 'opted_out', true, 'changed', false, 'cause', cause);
  end if;
  if not set_customer_sms_consent.opted_out and consent.opted_out and cause <> 'owner' then
    raise exception 'The customer opted out themselves (%); only their own START, YES or UNSTOP opts them back in', cause
      using errcode = 'PT409';
  end if;

  perform private.set_sms_consent(owner_id, sender, set_customer_sms_consent.customer_phone, set_customer_sms_consent.opted_out, 'owner');
  perform private.write_audit(case when set_customer_sms_consent.opted_out then 'sms.customer_opted_out' else 'sms.customer_opted_in' end,
                              owner_id, jsonb_build_object('customer_phone', set_customer_sms_consent.customer_phone, 'business_number', sender),
                              'sms_consents', set_customer_sms_consent.customer_phone);
  return jsonb_build_object('customer_phone', set_customer_sms_consent.customer_phone, 'opted_out', set_customer_sms_consent.opted_out,
                            'changed', coalesce(consent.opted_out, false) is distinct from set_customer_sms_consent.opted_out, 'cause', 'owner');
end
$$;
comment on function public.set_customer_sms_consent(text, boolean) is 'The owner (or an impersonating admin) opts a customer out of the business''s texts (opted_out true, at once) or records an opt-in the customer gave directly; {customer_phone, opted_out, changed, cause}. PT409 when the opt-in would override the customer''s own opt-out (keyword, phrase, provider error) or the business has no SMS number; PT404 for a phone that is not a customer; 22023 for a bad phone. Audited.';
revoke all on function public.set_customer_sms_consent(text, boolean) from public, anon, authenticated, service_role;
grant execute on function public.set_customer_sms_consent(text, boolean) to authenticated;

-- The text, and whether a call earns it (called by record_call_event at the call's end and analysis)
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
revoke all on function private.text_back_body(public.profiles) from public, anon, authenticated, service_role;

create function private.queue_call_text_back(call public.calls, analysis jsonb)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  reason text;
  owner public.profiles;
  text_back_id uuid;
  queued jsonb;
begin
  if call.user_id is null or call.direction <> 'inbound' or call.is_demo or call.refusal_reason = 'blocked'
     or call.from_number !~ '^\+[1-9][0-9]{6,14}$' then
    return;
  end if;
  reason := case
    when call.refusal_reason in ('over_cap', 'subscription_inactive') then 'message_only'
    when call.disconnection_reason = 'voicemail_reached' or analysis ->> 'in_voicemail' = 'true' then 'voicemail'
    when analysis ->> 'call_successful' = 'false'
         and not exists (select 1 from public.appointments a where a.call_id = call.call_id) then 'unsuccessful'
  end;
  if reason is null
     or exists (select 1 from public.usage_calls u where u.call_id = call.call_id and u.unbilled_reason = 'empty_call')
     or exists (select 1 from public.suspected_robocallers s where s.user_id = call.user_id and s.phone = call.from_number) then
    return;
  end if;
  select * into owner from public.profiles p where p.id = call.user_id;
  if not owner.text_back_enabled then
    return;
  end if;

  -- The first event of the caller's day to get here queues the text; every later one (Retell
  -- redelivering, the analysis after the end, another call) finds the row and stops.
  insert into public.call_text_backs (user_id, call_id, customer_phone, local_day, reason)
  values (call.user_id, call.call_id, call.from_number, (now() at time zone coalesce(owner.time_zone, 'UTC'))::date, reason)
  on conflict do nothing
  returning id into text_back_id;
  if text_back_id is null then
    return;
  end if;
  -- The business starts this text, so it keeps the quiet hours of the caller's zone (kind
  -- marketing); a refusal (quiet hours, STOP, the allowance) is kept as a refused message.
  queued := private.queue_sms(call.user_id, call.from_number, private.text_back_body(owner),
                              'text-back:' || text_back_id, 'marketing', automatic => true);
  update public.call_text_backs t
  set message_id = (queued -> 'message' ->> 'id')::uuid, skip_reason = queued ->> 'refusal'
  where t.id = text_back_id;
end
$$;
comment on function private.queue_call_text_back(public.calls, jsonb) is 'Queues the text-back a call earns (message_only, voicemail or unsuccessful; none for blocked, empty or robocall calls, or when the owner turned it off) through private.queue_sms, once per caller, business and day, and notes the message or the refusal on call_text_backs.';
revoke all on function private.queue_call_text_back(public.calls, jsonb) from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------

create policy "Users read their own SMS conversations, admins every one" on public.sms_conversations for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

create policy "Users read their own SMS messages, admins every one" on public.sms_messages for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

create policy "Owners read their SMS consents, admins every one" on public.sms_consents for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

create policy "Owners read their SMS consent history, admins every one" on public.sms_consent_events for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

create policy "Owners read their text-backs, admins every one" on public.call_text_backs for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

-- ---------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------

create trigger sms_conversations_set_updated_at before update on public.sms_conversations for each row execute function private.set_updated_at();

create trigger sms_messages_set_updated_at before update on public.sms_messages for each row execute function private.set_updated_at();

create trigger sms_messages_conversation_id_same_owner before insert or update of conversation_id, user_id on public.sms_messages
  for each row execute function private.refuse_reference_to_other_owner('sms_messages_conversation_id_fkey');

create trigger sms_consents_set_updated_at before update on public.sms_consents
  for each row execute function private.set_updated_at();

create trigger sms_consent_events_consent_id_same_owner before insert or update of consent_id, user_id on public.sms_consent_events
  for each row execute function private.refuse_reference_to_other_owner('sms_consent_events_consent_id_fkey');

create trigger sms_consent_events_message_id_same_owner before insert or update of message_id, user_id on public.sms_consent_events
  for each row execute function private.refuse_reference_to_other_owner('sms_consent_events_message_id_fkey');

create trigger appointments_queue_booking_confirmation
  after insert or update of source, status, customer_phone on public.appointments
  for each row
  when (new.source = 'ai_call' and new.status = 'scheduled' and new.customer_phone is not null and new.user_id is not null)
  execute function private.queue_booking_confirmation();

create trigger call_text_backs_call_id_same_owner before insert or update of call_id, user_id on public.call_text_backs
  for each row execute function private.refuse_reference_to_other_owner('call_text_backs_call_id_fkey');

create trigger call_text_backs_message_id_same_owner before insert or update of message_id, user_id on public.call_text_backs
  for each row execute function private.refuse_reference_to_other_owner('call_text_backs_message_id_fkey');

-- ---------------------------------------------------------------------------
-- Seed data
-- ---------------------------------------------------------------------------

insert into private.sms_area_code_zones (area_code, country, region, time_zone, kind)
select area_code, country, region, time_zone, case when time_zone is null then 'spans_zones' else 'single_zone' end
from (values
  ('201', 'US', 'NJ', 'America/New_York'),
  ('202', 'US', 'DC', 'America/New_York'),
  ('203', 'US', 'CT', 'America/New_York'),
  ('204', 'CA', 'MB', 'America/Winnipeg'),
  ('205', 'US', 'AL', 'America/Chicago'),
  ('206', 'US', 'WA', 'America/Los_Angeles'),
  ('207', 'US', 'ME', 'America/New_York'),
  ('208', 'US', 'ID', null),
  ('209', 'US', 'CA', 'America/Los_Angeles'),
  ('210', 'US', 'TX', 'America/Chicago'),
  ('212', 'US', 'NY', 'America/New_York'),
  ('213', 'US', 'CA', 'America/Los_Angeles'),
  ('214', 'US', 'TX', 'America/Chicago'),
  ('215', 'US', 'PA', 'America/New_York'),
  ('216', 'US', 'OH', 'America/New_York'),
  ('217', 'US', 'IL', 'America/Chicago'),
  ('218', 'US', 'MN', 'America/Chicago'),
  ('219', 'US', 'IN', null),
  ('220', 'US', 'OH', 'America/New_York'),
  ('223', 'US', 'PA', 'America/New_York'),
  ('224', 'US', 'IL', 'America/Chicago'),
  ('225', 'US', 'LA', 'America/Chicago'),
  ('226', 'CA', 'ON', 'America/Toronto'),
  ('227', 'US', 'MD', 'America/New_York'),
  ('228', 'US', 'MS', 'America/Chicago'),
  ('229', 'US', 'GA', 'America/New_York'),
  ('231', 'US', 'MI', 'America/New_York'),
  ('234', 'US', 'OH', 'America/New_York'),
  ('235', 'US', 'MO', 'America/Chicago'),
  ('236', 'CA', 'BC', 'America/Vancouver'),
  ('239', 'US', 'FL', 'America/New_York'),
  ('240', 'US', 'MD', 'America/New_York'),
  ('248', 'US', 'MI', 'America/New_York'),
  ('249', 'CA', 'ON', 'America/Toronto'),
  ('250', 'CA', 'BC', null),
  ('251', 'US', 'AL', 'America/Chicago'),
  ('252', 'US', 'NC', 'America/New_York'),
  ('253', 'US', 'WA', 'America/Los_Angeles'),
  ('254', 'US', 'TX', 'America/Chicago'),
  ('256', 'US', 'AL', 'America/Chicago'),
  ('257', 'CA', 'BC', 'America/Vancouver'),
  ('260', 'US', 'IN', 'America/New_York'),
  ('262', 'US', 'WI', 'America/Chicago'),
  ('263', 'CA', 'QC', 'America/Toronto'),
  ('267', 'US', 'PA', 'America/New_York'),
  ('269', 'US', 'MI', 'America/New_York'),
  ('270', 'US', 'KY', null),
  ('272', 'US', 'PA', 'America/New_York'),
  ('274', 'US', 'WI', 'America/Chicago'),
  ('276', 'US', 'VA', 'America/New_York'),
  ('279', 'US', 'CA', 'America/Los_Angeles'),
  ('281', 'US', 'TX', 'America/Chicago'),
  ('283', 'US', 'OH', 'America/New_York'),
  ('289', 'CA', 'ON', 'America/Toronto'),
  ('301', 'US', 'MD', 'America/New_York'),
  ('302', 'US', 'DE', 'America/New_York'),
  ('303', 'US', 'CO', 'America/Denver'),
  ('304', 'US', 'WV', 'America/New_York'),
  ('305', 'US', 'FL', 'America/New_York'),
  ('306', 'CA', 'SK', 'America/Regina'),
  ('307', 'US', 'WY', 'America/Denver'),
  ('308', 'US', 'NE', null),
  ('309', 'US', 'IL', 'America/Chicago'),
  ('310', 'US', 'CA', 'America/Los_Angeles'),
  ('312', 'US', 'IL', 'America/Chicago'),
  ('313', 'US', 'MI', 'America/New_York'),
  ('314', 'US', 'MO', 'America/Chicago'),
  ('315', 'US', 'NY', 'America/New_York'),
  ('316', 'US', 'KS', 'America/Chicago'),
  ('317', 'US', 'IN', 'America/New_York'),
  ('318', 'US', 'LA', 'America/Chicago'),
  ('319', 'US', 'IA', 'America/Chicago'),
  ('320', 'US', 'MN', 'America/Chicago'),
  ('321', 'US', 'FL', 'America/New_York'),
  ('323', 'US', 'CA', 'America/Los_Angeles'),
  ('324', 'US', 'FL', 'America/New_York'),
  ('325', 'US', 'TX', 'America/Chicago'),
  ('326', 'US', 'OH', 'America/New_York'),
  ('327', 'US', 'AR', 'America/Chicago'),
  ('329', 'US', 'NY', 'America/New_York'),
  ('330', 'US', 'OH', 'America/New_York'),
  ('331', 'US', 'IL', 'America/Chicago'),
  ('332', 'US', 'NY', 'America/New_York'),
  ('334', 'US', 'AL', 'America/Chicago'),
  ('336', 'US', 'NC', 'America/New_York'),
  ('337', 'US', 'LA', 'America/Chicago'),
  ('339', 'US', 'MA', 'America/New_York'),
  ('340', 'US', 'VI', 'America/St_Thomas'),
  ('341', 'US', 'CA', 'America/Los_Angeles'),
  ('343', 'CA', 'ON', 'America/Toronto'),
  ('346', 'US', 'TX', 'America/Chicago'),
  ('347', 'US', 'NY', 'America/New_York'),
  ('350', 'US', 'CA', 'America/Los_Angeles'),
  ('351', 'US', 'MA', 'America/New_York'),
  ('352', 'US', 'FL', 'America/New_York'),
  ('353', 'US', 'WI', 'America/Chicago'),
  ('354', 'CA', 'QC', 'America/Toronto'),
  ('360', 'US', 'WA', 'America/Los_Angeles'),
  ('361', 'US', 'TX', 'America/Chicago'),
  ('363', 'US', 'NY', 'America/New_York'),
  ('364', 'US', 'KY', 'America/New_York'),
  ('365', 'CA', 'ON', 'America/Toronto'),
  ('367', 'CA', 'QC', 'America/Toronto'),
  ('368', 'CA', 'AB', 'America/Edmonton'),
  ('369', 'US', 'CA', 'America/Los_Angeles'),
  ('380', 'US', 'OH', 'America/New_York'),
  ('382', 'CA', 'ON', 'America/Toronto'),
  ('385', 'US', 'UT', 'America/Denver'),
  ('386', 'US', 'FL', 'America/New_York'),
  ('401', 'US', 'RI', 'America/New_York'),
  ('402', 'US', 'NE', 'America/Chicago'),
  ('403', 'CA', 'AB', 'America/Edmonton'),
  ('404', 'US', 'GA', 'America/New_York'),
  ('405', 'US', 'OK', 'America/Chicago'),
  ('406', 'US', 'MT', 'America/Denver'),
  ('407', 'US', 'FL', 'America/New_York'),
  ('408', 'US', 'CA', 'America/Los_Angeles'),
  ('409', 'US', 'TX', 'America/Chicago'),
  ('410', 'US', 'MD', 'America/New_York'),
  ('412', 'US', 'PA', 'America/New_York'),
  ('413', 'US', 'MA', 'America/New_York'),
  ('414', 'US', 'WI', 'America/Chicago'),
  ('415', 'US', 'CA', 'America/Los_Angeles'),
  ('416', 'CA', 'ON', 'America/Toronto'),
  ('417', 'US', 'MO', 'America/Chicago'),
  ('418', 'CA', 'QC', null),
  ('419', 'US', 'OH', 'America/New_York'),
  ('423', 'US', 'TN', null),
  ('424', 'US', 'CA', 'America/Los_Angeles'),
  ('425', 'US', 'WA', 'America/Los_Angeles'),
  ('428', 'CA', 'NB', 'America/Halifax'),
  ('430', 'US', 'TX', 'America/Chicago'),
  ('431', 'CA', 'MB', 'America/Winnipeg'),
  ('432', 'US', 'TX', 'America/Chicago'),
  ('434', 'US', 'VA', 'America/New_York'),
  ('435', 'US', 'UT', 'America/Denver'),
  ('437', 'CA', 'ON', 'America/Toronto'),
  ('438', 'CA', 'QC', 'America/Toronto'),
  ('440', 'US', 'OH', 'America/New_York'),
  ('442', 'US', 'CA', 'America/Los_Angeles'),
  ('443', 'US', 'MD', 'America/New_York'),
  ('445', 'US', 'PA', 'America/New_York'),
  ('447', 'US', 'IL', 'America/Chicago'),
  ('448', 'US', 'FL', 'America/New_York'),
  ('450', 'CA', 'QC', 'America/Toronto'),
  ('458', 'US', 'OR', 'America/Los_Angeles'),
  ('463', 'US', 'IN', 'America/New_York'),
  ('464', 'US', 'IL', 'America/Chicago'),
  ('468', 'CA', 'QC', 'America/Toronto'),
  ('469', 'US', 'TX', 'America/Chicago'),
  ('470', 'US', 'GA', 'America/New_York'),
  ('472', 'US', 'NC', 'America/New_York'),
  ('474', 'CA', 'SK', 'America/Winnipeg'),
  ('475', 'US', 'CT', 'America/New_York'),
  ('478', 'US', 'GA', 'America/New_York'),
  ('479', 'US', 'AR', 'America/Chicago'),
  ('480', 'US', 'AZ', 'America/Phoenix'),
  ('484', 'US', 'PA', 'America/New_York'),
  ('501', 'US', 'AR', 'America/Chicago'),
  ('502', 'US', 'KY', 'America/New_York'),
  ('503', 'US', 'OR', 'America/Los_Angeles'),
  ('504', 'US', 'LA', 'America/Chicago'),
  ('505', 'US', 'NM', 'America/Denver'),
  ('506', 'CA', 'NB', 'America/Halifax'),
  ('507', 'US', 'MN', 'America/Chicago'),
  ('508', 'US', 'MA', 'America/New_York'),
  ('509', 'US', 'WA', 'America/Los_Angeles'),
  ('510', 'US', 'CA', 'America/Los_Angeles'),
  ('512', 'US', 'TX', 'America/Chicago'),
  ('513', 'US', 'OH', 'America/New_York'),
  ('514', 'CA', 'QC', 'America/Toronto'),
  ('515', 'US', 'IA', 'America/Chicago'),
  ('516', 'US', 'NY', 'America/New_York'),
  ('517', 'US', 'MI', 'America/New_York'),
  ('518', 'US', 'NY', 'America/New_York'),
  ('519', 'CA', 'ON', 'America/Toronto'),
  ('520', 'US', 'AZ', 'America/Phoenix'),
  ('530', 'US', 'CA', 'America/Los_Angeles'),
  ('531', 'US', 'NE', 'America/Chicago'),
  ('534', 'US', 'WI', 'America/Chicago'),
  ('539', 'US', 'OK', 'America/Chicago'),
  ('540', 'US', 'VA', 'America/New_York'),
  ('541', 'US', 'OR', null),
  ('548', 'CA', 'ON', 'America/Toronto'),
  ('551', 'US', 'NJ', 'America/New_York'),
  ('557', 'US', 'MO', 'America/Chicago'),
  ('559', 'US', 'CA', 'America/Los_Angeles'),
  ('561', 'US', 'FL', 'America/New_York'),
  ('562', 'US', 'CA', 'America/Los_Angeles'),
  ('563', 'US', 'IA', 'America/Chicago'),
  ('564', 'US', 'WA', 'America/Los_Angeles'),
  ('567', 'US', 'OH', 'America/New_York'),
  ('570', 'US', 'PA', 'America/New_York'),
  ('571', 'US', 'VA', 'America/New_York'),
  ('572', 'US', 'OK', 'America/Chicago'),
  ('573', 'US', 'MO', 'America/Chicago'),
  ('574', 'US', 'IN', null),
  ('575', 'US', 'NM', 'America/Denver'),
  ('579', 'CA', 'QC', 'America/Toronto'),
  ('580', 'US', 'OK', 'America/Chicago'),
  ('581', 'CA', 'QC', 'America/Toronto'),
  ('582', 'US', 'PA', 'America/New_York'),
  ('584', 'CA', 'MB', 'America/Winnipeg'),
  ('585', 'US', 'NY', 'America/New_York'),
  ('586', 'US', 'MI', 'America/New_York'),
  ('587', 'CA', 'AB', 'America/Edmonton'),
  ('601', 'US', 'MS', 'America/Chicago'),
  ('602', 'US', 'AZ', 'America/Phoenix'),
  ('603', 'US', 'NH', 'America/New_York'),
  ('604', 'CA', 'BC', 'America/Vancouver'),
  ('605', 'US', 'SD', null),
  ('606', 'US', 'KY', null),
  ('607', 'US', 'NY', 'America/New_York'),
  ('608', 'US', 'WI', 'America/Chicago'),
  ('609', 'US', 'NJ', 'America/New_York'),
  ('610', 'US', 'PA', 'America/New_York'),
  ('612', 'US', 'MN', 'America/Chicago'),
  ('613', 'CA', 'ON', 'America/Toronto'),
  ('614', 'US', 'OH', 'America/New_York'),
  ('615', 'US', 'TN', 'America/Chicago'),
  ('616', 'US', 'MI', 'America/New_York'),
  ('617', 'US', 'MA', 'America/New_York'),
  ('618', 'US', 'IL', 'America/Chicago'),
  ('619', 'US', 'CA', 'America/Los_Angeles'),
  ('620', 'US', 'KS', null),
  ('623', 'US', 'AZ', 'America/Phoenix'),
  ('626', 'US', 'CA', 'America/Los_Angeles'),
  ('628', 'US', 'CA', 'America/Los_Angeles'),
  ('629', 'US', 'TN', 'America/Chicago'),
  ('630', 'US', 'IL', 'America/Chicago'),
  ('631', 'US', 'NY', 'America/New_York'),
  ('636', 'US', 'MO', 'America/Chicago'),
  ('639', 'CA', 'SK', 'America/Regina'),
  ('640', 'US', 'NJ', 'America/New_York'),
  ('641', 'US', 'IA', 'America/Chicago'),
  ('645', 'US', 'FL', 'America/New_York'),
  ('646', 'US', 'NY', 'America/New_York'),
  ('647', 'CA', 'ON', 'America/Toronto'),
  ('650', 'US', 'CA', 'America/Los_Angeles'),
  ('651', 'US', 'MN', 'America/Chicago'),
  ('656', 'US', 'FL', 'America/New_York'),
  ('657', 'US', 'CA', 'America/Los_Angeles'),
  ('659', 'US', 'AL', 'America/Chicago'),
  ('660', 'US', 'MO', 'America/Chicago'),
  ('661', 'US', 'CA', 'America/Los_Angeles'),
  ('662', 'US', 'MS', 'America/Chicago'),
  ('667', 'US', 'MD', 'America/New_York'),
  ('669', 'US', 'CA', 'America/Los_Angeles'),
  ('670', 'US', 'MP', 'Pacific/Saipan'),
  ('671', 'US', 'GU', 'Pacific/Guam'),
  ('672', 'CA', 'BC', 'America/Vancouver'),
  ('678', 'US', 'GA', 'America/New_York'),
  ('680', 'US', 'NY', 'America/New_York'),
  ('681', 'US', 'WV', 'America/New_York'),
  ('682', 'US', 'TX', 'America/Chicago'),
  ('683', 'CA', 'ON', 'America/Toronto'),
  ('684', 'US', 'AS', 'Pacific/Pago_Pago'),
  ('686', 'US', 'VA', 'America/New_York'),
  ('689', 'US', 'FL', 'America/Chicago'),
  ('701', 'US', 'ND', null),
  ('702', 'US', 'NV', 'America/Los_Angeles'),
  ('703', 'US', 'VA', 'America/New_York'),
  ('704', 'US', 'NC', 'America/New_York'),
  ('705', 'CA', 'ON', 'America/Toronto'),
  ('706', 'US', 'GA', 'America/New_York'),
  ('707', 'US', 'CA', 'America/Los_Angeles'),
  ('708', 'US', 'IL', 'America/Chicago'),
  ('709', 'CA', 'NL', null),
  ('712', 'US', 'IA', 'America/Chicago'),
  ('713', 'US', 'TX', 'America/Chicago'),
  ('714', 'US', 'CA', 'America/Los_Angeles'),
  ('715', 'US', 'WI', 'America/Chicago'),
  ('716', 'US', 'NY', 'America/New_York'),
  ('717', 'US', 'PA', 'America/New_York'),
  ('718', 'US', 'NY', 'America/New_York'),
  ('719', 'US', 'CO', 'America/Denver'),
  ('720', 'US', 'CO', 'America/Denver'),
  ('724', 'US', 'PA', 'America/New_York'),
  ('725', 'US', 'NV', 'America/Los_Angeles'),
  ('726', 'US', 'TX', 'America/Chicago'),
  ('727', 'US', 'FL', 'America/New_York'),
  ('728', 'US', 'FL', 'America/New_York'),
  ('730', 'US', 'IL', 'America/Chicago'),
  ('731', 'US', 'TN', 'America/Chicago'),
  ('732', 'US', 'NJ', 'America/New_York'),
  ('734', 'US', 'MI', 'America/New_York'),
  ('737', 'US', 'TX', 'America/Chicago'),
  ('738', 'US', 'CA', 'America/Los_Angeles'),
  ('740', 'US', 'OH', 'America/New_York'),
  ('742', 'CA', 'ON', 'America/Toronto'),
  ('743', 'US', 'NC', 'America/New_York'),
  ('747', 'US', 'CA', 'America/Los_Angeles'),
  ('748', 'US', 'CO', 'America/Denver'),
  ('753', 'CA', 'ON', 'America/Toronto'),
  ('754', 'US', 'FL', 'America/New_York'),
  ('757', 'US', 'VA', 'America/New_York'),
  ('760', 'US', 'CA', 'America/Los_Angeles'),
  ('762', 'US', 'GA', 'America/New_York'),
  ('763', 'US', 'MN', 'America/Chicago'),
  ('765', 'US', 'IN', 'America/New_York'),
  ('769', 'US', 'MS', 'America/Chicago'),
  ('770', 'US', 'GA', 'America/New_York'),
  ('771', 'US', 'DC', 'America/New_York'),
  ('772', 'US', 'FL', 'America/New_York'),
  ('773', 'US', 'IL', 'America/Chicago'),
  ('774', 'US', 'MA', 'America/New_York'),
  ('775', 'US', 'NV', null),
  ('778', 'CA', 'BC', 'America/Vancouver'),
  ('779', 'US', 'IL', 'America/Chicago'),
  ('780', 'CA', 'AB', 'America/Edmonton'),
  ('781', 'US', 'MA', 'America/New_York'),
  ('782', 'CA', 'NS/PE', 'America/Halifax'),
  ('785', 'US', 'KS', null),
  ('786', 'US', 'FL', 'America/New_York'),
  ('787', 'US', 'PR', 'America/Puerto_Rico'),
  ('801', 'US', 'UT', 'America/Denver'),
  ('802', 'US', 'VT', 'America/New_York'),
  ('803', 'US', 'SC', 'America/New_York'),
  ('804', 'US', 'VA', 'America/New_York'),
  ('805', 'US', 'CA', 'America/Los_Angeles'),
  ('806', 'US', 'TX', 'America/Chicago'),
  ('807', 'CA', 'ON', null),
  ('808', 'US', 'HI', 'Pacific/Honolulu'),
  ('810', 'US', 'MI', 'America/New_York'),
  ('812', 'US', 'IN', null),
  ('813', 'US', 'FL', 'America/New_York'),
  ('814', 'US', 'PA', 'America/New_York'),
  ('815', 'US', 'IL', 'America/Chicago'),
  ('816', 'US', 'MO', 'America/Chicago'),
  ('817', 'US', 'TX', 'America/Chicago'),
  ('818', 'US', 'CA', 'America/Los_Angeles'),
  ('819', 'CA', 'QC', 'America/Toronto'),
  ('820', 'US', 'CA', 'America/Los_Angeles'),
  ('821', 'US', 'SC', 'America/New_York'),
  ('825', 'CA', 'AB', 'America/Edmonton'),
  ('826', 'US', 'VA', 'America/New_York'),
  ('828', 'US', 'NC', 'America/New_York'),
  ('830', 'US', 'TX', 'America/Chicago'),
  ('831', 'US', 'CA', 'America/Los_Angeles'),
  ('832', 'US', 'TX', 'America/Chicago'),
  ('835', 'US', 'PA', 'America/New_York'),
  ('838', 'US', 'NY', 'America/New_York'),
  ('839', 'US', 'SC', 'America/New_York'),
  ('840', 'US', 'CA', 'America/Los_Angeles'),
  ('843', 'US', 'SC', 'America/New_York'),
  ('845', 'US', 'NY', 'America/New_York'),
  ('847', 'US', 'IL', 'America/Chicago'),
  ('848', 'US', 'NJ', 'America/New_York'),
  ('850', 'US', 'FL', null),
  ('854', 'US', 'SC', 'America/New_York'),
  ('856', 'US', 'NJ', 'America/New_York'),
  ('857', 'US', 'MA', 'America/New_York'),
  ('858', 'US', 'CA', 'America/Los_Angeles'),
  ('859', 'US', 'KY', 'America/New_York'),
  ('860', 'US', 'CT', 'America/New_York'),
  ('862', 'US', 'NJ', 'America/New_York'),
  ('863', 'US', 'FL', 'America/New_York'),
  ('864', 'US', 'SC', 'America/New_York'),
  ('865', 'US', 'TN', 'America/New_York'),
  ('867', 'CA', 'NT/NU/YT', null),
  ('870', 'US', 'AR', 'America/Chicago'),
  ('872', 'US', 'IL', 'America/Chicago'),
  ('873', 'CA', 'QC', 'America/Toronto'),
  ('878', 'US', 'PA', 'America/New_York'),
  ('879', 'CA', 'NL', null),
  ('901', 'US', 'TN', 'America/Chicago'),
  ('902', 'CA', 'NS/PE', 'America/Halifax'),
  ('903', 'US', 'TX', 'America/Chicago'),
  ('904', 'US', 'FL', 'America/New_York'),
  ('905', 'CA', 'ON', 'America/Toronto'),
  ('906', 'US', 'MI', null),
  ('907', 'US', 'AK', null),
  ('908', 'US', 'NJ', 'America/New_York'),
  ('909', 'US', 'CA', 'America/Los_Angeles'),
  ('910', 'US', 'NC', 'America/New_York'),
  ('912', 'US', 'GA', 'America/New_York'),
  ('913', 'US', 'KS', 'America/Chicago'),
  ('914', 'US', 'NY', 'America/New_York'),
  ('915', 'US', 'TX', 'America/Denver'),
  ('916', 'US', 'CA', 'America/Los_Angeles'),
  ('917', 'US', 'NY', 'America/New_York'),
  ('918', 'US', 'OK', 'America/Chicago'),
  ('919', 'US', 'NC', 'America/New_York'),
  ('920', 'US', 'WI', 'America/Chicago'),
  ('925', 'US', 'CA', 'America/Los_Angeles'),
  ('928', 'US', 'AZ', null),
  ('929', 'US', 'NY', 'America/New_York'),
  ('930', 'US', 'IN', 'America/New_York'),
  ('931', 'US', 'TN', 'America/Chicago'),
  ('934', 'US', 'NY', 'America/New_York'),
  ('936', 'US', 'TX', 'America/Chicago'),
  ('937', 'US', 'OH', 'America/New_York'),
  ('938', 'US', 'AL', 'America/Chicago'),
  ('939', 'US', 'PR', 'America/Puerto_Rico'),
  ('940', 'US', 'TX', 'America/Chicago'),
  ('941', 'US', 'FL', 'America/New_York'),
  ('942', 'CA', 'ON', 'America/Toronto'),
  ('943', 'US', 'GA', 'America/New_York'),
  ('945', 'US', 'TX', 'America/Chicago'),
  ('947', 'US', 'MI', 'America/New_York'),
  ('948', 'US', 'VA', 'America/New_York'),
  ('949', 'US', 'CA', 'America/Los_Angeles'),
  ('951', 'US', 'CA', 'America/Los_Angeles'),
  ('952', 'US', 'MN', 'America/Chicago'),
  ('954', 'US', 'FL', 'America/New_York'),
  ('956', 'US', 'TX', 'America/Chicago'),
  ('959', 'US', 'CT', 'America/New_York'),
  ('970', 'US', 'CO', 'America/Denver'),
  ('971', 'US', 'OR', 'America/Los_Angeles'),
  ('972', 'US', 'TX', 'America/Chicago'),
  ('973', 'US', 'NJ', 'America/New_York'),
  ('975', 'US', 'MO', 'America/Chicago'),
  ('978', 'US', 'MA', 'America/New_York'),
  ('979', 'US', 'TX', 'America/Chicago'),
  ('980', 'US', 'NC', 'America/New_York'),
  ('983', 'US', 'CO', 'America/Denver'),
  ('984', 'US', 'NC', 'America/New_York'),
  ('985', 'US', 'LA', 'America/Chicago'),
  ('986', 'US', 'ID', null),
  ('989', 'US', 'MI', 'America/New_York')
) geographic (area_code, country, region, time_zone);

insert into private.sms_area_code_zones (area_code, kind)
select code, 'non_geographic'
from unnest(array[
  '500', '521', '522', '523', '524', '525', '526', '527', '528', '533', '544', '566', '577', '588',
  '600', '622', '700', '710', '800', '833', '844', '855', '866', '877', '888', '900'
]) code;
