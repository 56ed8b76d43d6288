-- ============================================================================
-- SMS consent ledger. One row per business sender number and customer phone with its current
-- state, and every change in its history: the carrier keywords (STOP and its synonyms, START...),
-- a revocation in the customer's own words (the FCC accepts "any reasonable means" since
-- 2025-04-11; we honour it at once), a provider's refusal (Twilio error 21610 means the pair is
-- blocked at Twilio) and owner actions. Every send path reads it before charging or sending.
-- ============================================================================

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
create index sms_consents_user_id_idx on public.sms_consents (user_id);
create index sms_consent_events_user_id_idx on public.sms_consent_events (user_id, created_at desc);
create index sms_consent_events_consent_id_idx on public.sms_consent_events (consent_id, created_at);
create index sms_consent_events_message_id_idx on public.sms_consent_events (message_id);

create trigger sms_consents_set_updated_at before update on public.sms_consents
  for each row execute function private.set_updated_at();
create trigger sms_consent_events_consent_id_same_owner before insert or update of consent_id, user_id on public.sms_consent_events
  for each row execute function private.refuse_reference_to_other_owner('sms_consent_events_consent_id_fkey');
create trigger sms_consent_events_message_id_same_owner before insert or update of message_id, user_id on public.sms_consent_events
  for each row execute function private.refuse_reference_to_other_owner('sms_consent_events_message_id_fkey');

alter table public.sms_consents enable row level security;
alter table public.sms_consent_events enable row level security;
create policy "Owners read their SMS consents, admins every one" on public.sms_consents for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));
create policy "Owners read their SMS consent history, admins every one" on public.sms_consent_events for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

-- Written only through the SQL below (security definer); the frontend reads.
revoke all on public.sms_consents, public.sms_consent_events from anon, authenticated, service_role;
revoke all on sequence public.sms_consent_events_id_seq from anon, authenticated, service_role;
grant select on public.sms_consents, public.sms_consent_events to authenticated;

-- ---------------------------------------------------------------------------
-- Keywords and the revocation classifier
-- ---------------------------------------------------------------------------

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

-- ---------------------------------------------------------------------------
-- Ledger writes and reads
-- ---------------------------------------------------------------------------

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

revoke execute on function
  private.sms_revokes_consent(text), private.sms_keyword(text),
  private.set_sms_consent(uuid, text, text, boolean, text, uuid, text), private.sms_opted_out(text, text)
from public, anon, authenticated;
