-- ============================================================================
-- After the voice agent books an appointment, the caller gets one confirmation text from the
-- business's own number, with the time in the business's time zone and how to reschedule or
-- cancel: Cal.com's own links when we have the booking's uid (the booker's /reschedule/<uid> and
-- /booking/<uid>?cancel=true, on the origin of the business's Cal.com booking page), else "reply
-- RESCHEDULE". It is queued in the transaction that records the booking (whichever of the tool
-- call and Cal.com's webhook comes first) through private.queue_sms as a transactional, automatic
-- text keyed on the appointment, so retries and concurrent deliveries queue it once; send-sms's
-- queued route sends it after commit, so the agent's answer never waits for Twilio. An opted-out
-- customer or a used-up allowance leaves a refused message saying why. Owners can turn it off.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- The owner's setting
-- ---------------------------------------------------------------------------

alter table public.profiles add column sms_booking_confirmations boolean not null default true;
comment on column public.profiles.sms_booking_confirmations is 'Whether a caller the voice agent booked gets a confirmation text (the owner''s choice; on by default).';
grant update (sms_booking_confirmations) on public.profiles to authenticated;

-- ---------------------------------------------------------------------------
-- The text
-- ---------------------------------------------------------------------------

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

-- ---------------------------------------------------------------------------
-- Queued with the booking
-- ---------------------------------------------------------------------------

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

create trigger appointments_queue_booking_confirmation
  after insert or update of source, status, customer_phone on public.appointments
  for each row
  when (new.source = 'ai_call' and new.status = 'scheduled' and new.customer_phone is not null and new.user_id is not null)
  execute function private.queue_booking_confirmation();

revoke execute on function
  private.booking_confirmation_text(public.appointments), private.queue_booking_confirmation()
from public, anon, authenticated;
