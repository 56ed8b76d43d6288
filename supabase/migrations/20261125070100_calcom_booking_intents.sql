-- ============================================================================
-- Bookings the voice agent makes: the intent (this call wants this slot) is recorded before Cal.com
-- is asked, so a tool call Retell delivers twice books once. One function instance at a time holds
-- an intent (a short lease); a retry of a settled intent gets the settled answer.
-- ============================================================================

create table private.calcom_booking_intents (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  call_id text not null check (length(call_id) between 1 and 200),
  start_at timestamptz not null,
  event_type_id bigint not null,
  customer_name text not null check (length(trim(customer_name)) between 1 and 200),
  customer_phone public.phone_e164,
  service text check (length(service) <= 200),
  status text not null default 'pending' check (status in ('pending', 'booked', 'failed', 'unknown')),
  attempts integer not null default 0 check (attempts >= 0),
  claimed_until timestamptz,
  booking_uid text,
  appointment_id uuid references public.appointments (id) on delete set null,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (call_id, start_at)
);
comment on table private.calcom_booking_intents is 'One row per (call, slot) the agent asked to book: recorded before Cal.com is called, settled with the booking, so retries never book twice.';
comment on column private.calcom_booking_intents.status is 'pending: an attempt holds or held the lease; booked: done; failed: Cal.com said no; unknown: Cal.com did not answer (the booking may exist).';
create index calcom_booking_intents_user_id_idx on private.calcom_booking_intents (user_id);
create index calcom_booking_intents_appointment_id_idx on private.calcom_booking_intents (appointment_id);

create trigger calcom_booking_intents_set_updated_at before update on private.calcom_booking_intents
  for each row execute function private.set_updated_at();

create function public.calcom_claim_booking_intent(
  target_user uuid,
  call_id text,
  start_at timestamptz,
  event_type_id bigint,
  customer_name text,
  customer_phone text,
  service text default null,
  lease_seconds integer default 30
) returns table (
  intent_id uuid,
  status text,
  claimed boolean,
  earlier_attempt_uncertain boolean,
  booking_uid text,
  appointment_id uuid
)
language plpgsql
security definer
set search_path = ''
as $$
declare
  intent private.calcom_booking_intents;
begin
  insert into private.calcom_booking_intents (user_id, call_id, start_at, event_type_id, customer_name, customer_phone, service)
  values (target_user, call_id, start_at, event_type_id, customer_name, customer_phone, service)
  on conflict on constraint calcom_booking_intents_call_id_start_at_key do nothing;

  select * into intent
  from private.calcom_booking_intents i
  where i.call_id = calcom_claim_booking_intent.call_id and i.start_at = calcom_claim_booking_intent.start_at
  for update;
  if intent.user_id <> target_user then
    raise exception 'call % is booked for another business', call_id using errcode = '42501';
  end if;

  if intent.status <> 'booked' and (intent.claimed_until is null or intent.claimed_until < now()) then
    update private.calcom_booking_intents i
    set status = 'pending', claimed_until = now() + make_interval(secs => lease_seconds), attempts = i.attempts + 1
    where i.id = intent.id;
    -- An earlier attempt that never settled (lease ran out) or timed out may have reached Cal.com.
    return query select intent.id, intent.status, true, intent.attempts > 0 and intent.status in ('pending', 'unknown'),
                        intent.booking_uid, intent.appointment_id;
  else
    return query select intent.id, intent.status, false, false, intent.booking_uid, intent.appointment_id;
  end if;
end
$$;
comment on function public.calcom_claim_booking_intent(uuid, text, timestamptz, bigint, text, text, text, integer) is 'Records (once) that a call wants a slot and claims the right to book it for a while; says whether it is already booked or held by another attempt, and whether an earlier attempt may have reached Cal.com.';

create function public.calcom_release_booking_intent(intent_id uuid, outcome text, error text)
returns boolean
language sql
security definer
set search_path = ''
as $$
  with released as (
    update private.calcom_booking_intents
    set status = outcome, last_error = left(error, 1000), claimed_until = null
    where id = intent_id and status = 'pending' and outcome in ('failed', 'unknown')
    returning 1
  )
  select exists (select 1 from released)
$$;
comment on function public.calcom_release_booking_intent(uuid, text, text) is 'Settles an attempt that did not book: failed (Cal.com refused) or unknown (no answer; the booking may exist).';

revoke execute on function
  public.calcom_claim_booking_intent(uuid, text, timestamptz, bigint, text, text, text, integer),
  public.calcom_release_booking_intent(uuid, text, text)
from public, anon, authenticated;
grant execute on function
  public.calcom_claim_booking_intent(uuid, text, timestamptz, bigint, text, text, text, integer),
  public.calcom_release_booking_intent(uuid, text, text)
to service_role;
