-- ============================================================================
-- Changes to the same Cal.com booking run one at a time. Our function's reschedule and Cal.com's
-- BOOKING_RESCHEDULED about it (or a cancellation racing a reschedule) could otherwise both miss
-- the row the other is moving and both insert it, and one would fail on the unique booking uid.
-- Both entry points now take a transaction lock on the booking's uid and, for a reschedule, the uid
-- it replaces (in a fixed order, so two of them never wait on each other).
-- ============================================================================

create function private.lock_calcom_booking(booking jsonb)
returns void
language sql
set search_path = ''
as $$
  select pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('calcom_booking:' || uid, 0))
  from (
    select distinct uid
    from unnest(array[booking ->> 'uid', nullif(booking ->> 'reschedule_uid', '')]) as uids(uid)
    where uid is not null
    order by uid
  ) as ordered
$$;
comment on function private.lock_calcom_booking(jsonb) is 'Waits for, then holds until commit, the locks of a booking''s uid and the uid it replaces, in uid order.';
revoke execute on function private.lock_calcom_booking(jsonb) from public, anon, authenticated;

create or replace function public.calcom_ingest_booking_event(event_id text, trigger_event text, event_at timestamptz, booking jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  result jsonb;
begin
  perform private.lock_calcom_booking(booking);
  insert into public.inbound_webhook_events (provider, event_id, event_type)
  values ('calcom', event_id, trigger_event)
  on conflict on constraint inbound_webhook_events_pkey do nothing;
  if not found then
    return jsonb_build_object('outcome', 'duplicate');
  end if;
  result := private.calcom_apply_booking(
    case trigger_event
      when 'BOOKING_CREATED' then 'created'
      when 'BOOKING_RESCHEDULED' then 'rescheduled'
      when 'BOOKING_CANCELLED' then 'cancelled'
    end,
    event_at,
    booking
  );
  update public.inbound_webhook_events e set processed_at = now()
  where e.provider = 'calcom' and e.event_id = calcom_ingest_booking_event.event_id;
  return result;
end
$$;

create or replace function public.calcom_apply_booking_change(change text, booking jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.lock_calcom_booking(booking);
  return private.calcom_apply_booking(change, now(), booking);
end
$$;
