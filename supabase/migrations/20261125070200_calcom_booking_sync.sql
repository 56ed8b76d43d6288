-- ============================================================================
-- Cal.com bookings into appointments: one upsert path for every way a booking changes (Cal.com's
-- webhooks, the agent's bookings, reschedules and cancellations made through our API), idempotent
-- and safe against out-of-order delivery. Each booking is attributed to a business by the stored
-- Cal.com user id, then username, then email; a booking nobody matches is kept unattributed and
-- an operator is alerted. Attributed changes go to the outbox in the same transaction.
-- ============================================================================

alter table public.appointments add column calcom_last_event_at timestamptz;
comment on column public.appointments.calcom_last_event_at is 'When the newest Cal.com change applied to this row happened; older changes arriving late are ignored.';

create index profiles_lower_email_idx on public.profiles (lower(email));
create index appointments_rescheduled_from_uid_idx on public.appointments (rescheduled_from_uid);

-- ---------------------------------------------------------------------------
-- Attribution
-- ---------------------------------------------------------------------------

create function private.calcom_booking_owner(organizer jsonb)
returns table (user_id uuid, matched_by text)
language sql
stable
security definer
set search_path = ''
as $$
  select candidate.user_id, candidate.matched_by
  from (
    select i.user_id, 'calcom_user_id' as matched_by, 1 as rank, i.connected_at as seen_at
    from public.integrations i
    where i.provider = 'calcom' and i.external_user_id = organizer ->> 'id'
    union all
    select i.user_id, 'calcom_username', 2, i.connected_at
    from public.integrations i
    where i.provider = 'calcom' and lower(i.external_username) = lower(organizer ->> 'username')
    union all
    select i.user_id, 'calcom_email', 3, i.connected_at
    from public.integrations i
    where i.provider = 'calcom' and lower(i.external_email) = lower(organizer ->> 'email')
    union all
    select p.id, 'profile_email', 4, p.created_at
    from public.profiles p
    where lower(p.email) = lower(organizer ->> 'email')
  ) as candidate
  order by candidate.rank, candidate.seen_at desc nulls last
  limit 1
$$;
comment on function private.calcom_booking_owner(jsonb) is 'The business a Cal.com organizer ({id, username, email}) belongs to: by stored Cal.com user id, then username, then email (connection, then profile); most recent connection wins a tie.';

-- ---------------------------------------------------------------------------
-- The outbox payload of an appointment event
-- ---------------------------------------------------------------------------

create function private.appointment_event_payload(appointment public.appointments)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'appointment_id', appointment.id,
    'source', appointment.source,
    'status', appointment.status,
    'customer_name', appointment.customer_name,
    'customer_phone', appointment.customer_phone,
    'customer_email', appointment.customer_email,
    'service', appointment.service,
    'start_at', appointment.start_at,
    'end_at', appointment.end_at,
    'time_zone', appointment.time_zone,
    'call_id', appointment.call_id,
    'calcom_booking_uid', appointment.calcom_booking_uid,
    'rescheduled_from_uid', appointment.rescheduled_from_uid,
    'cancellation_reason', appointment.cancellation_reason
  )
$$;
comment on function private.appointment_event_payload(public.appointments) is 'What a business''s webhook receives about an appointment (appointment_booked, _rescheduled, _cancelled).';

-- ---------------------------------------------------------------------------
-- The one upsert path
-- ---------------------------------------------------------------------------

create function private.calcom_apply_booking(change text, event_at timestamptz, booking jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  booking_uid text := booking ->> 'uid';
  previous_uid text := nullif(booking ->> 'reschedule_uid', '');
  organizer jsonb := coalesce(booking -> 'organizer', '{}'::jsonb);
  intent private.calcom_booking_intents;
  existing public.appointments;
  saved public.appointments;
  owner uuid;
  matched_by text;
  next_status text;
  outcome text;
  outbox_event text;
begin
  if change is null or change not in ('created', 'rescheduled', 'cancelled') then
    raise exception 'change must be created, rescheduled or cancelled' using errcode = '22023';
  end if;
  if booking_uid is null or booking ->> 'start_at' is null or booking ->> 'end_at' is null then
    raise exception 'booking needs uid, start_at and end_at' using errcode = '22023';
  end if;

  -- A booking the agent made names its intent in the metadata; the intent says whose it is and
  -- which call made it. The slot must match, so a reschedule (which copies metadata) is not taken
  -- for the original booking.
  if change = 'created' and booking ->> 'intent_id' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    select * into intent
    from private.calcom_booking_intents i
    where i.id = (booking ->> 'intent_id')::uuid and i.start_at = (booking ->> 'start_at')::timestamptz
    for update;
  end if;

  select * into existing from public.appointments a where a.calcom_booking_uid = booking_uid for update;
  if existing.id is null and previous_uid is not null then
    select * into existing from public.appointments a where a.calcom_booking_uid = previous_uid for update;
  end if;
  if existing.id is null and exists (select 1 from public.appointments a where a.rescheduled_from_uid = booking_uid) then
    -- A late event about a booking that was since replaced by a reschedule: the row moved on.
    return jsonb_build_object('outcome', 'superseded');
  end if;
  if existing.calcom_last_event_at > event_at then
    return jsonb_build_object('outcome', 'stale', 'appointment_id', existing.id, 'user_id', existing.user_id);
  end if;

  if existing.user_id is not null then
    owner := existing.user_id;
    matched_by := 'existing';
  elsif intent.id is not null then
    owner := intent.user_id;
    matched_by := 'booking_intent';
  else
    select o.user_id, o.matched_by into owner, matched_by from private.calcom_booking_owner(organizer) o;
  end if;

  next_status := case
    when change = 'cancelled' or booking ->> 'status' in ('cancelled', 'rejected') then 'cancelled'
    when change = 'rescheduled' then 'rescheduled'
    else 'scheduled'
  end;

  if existing.id is null then
    insert into public.appointments (
      user_id, source, status, customer_name, customer_phone, customer_email, service, notes, start_at, end_at,
      time_zone, call_id, calcom_booking_uid, calcom_booking_id, calcom_event_type_id, calcom_organizer,
      rescheduled_from_uid, cancellation_reason, calcom_last_event_at
    ) values (
      owner,
      case when intent.id is not null then 'ai_call' else 'calcom' end,
      next_status,
      coalesce(nullif(trim(booking ->> 'customer_name'), ''), intent.customer_name, 'Cal.com booking'),
      coalesce(intent.customer_phone, booking ->> 'customer_phone'),
      booking ->> 'customer_email',
      coalesce(intent.service, booking ->> 'service'),
      booking ->> 'notes',
      (booking ->> 'start_at')::timestamptz,
      (booking ->> 'end_at')::timestamptz,
      booking ->> 'time_zone',
      (select c.call_id from public.calls c where c.call_id = intent.call_id),
      booking_uid,
      (booking ->> 'booking_id')::bigint,
      (booking ->> 'event_type_id')::bigint,
      nullif(organizer, '{}'::jsonb),
      previous_uid,
      booking ->> 'cancellation_reason',
      event_at
    )
    returning * into saved;
    outcome := 'inserted';
  else
    update public.appointments a set
      user_id = owner,
      source = case when intent.id is not null then 'ai_call' else a.source end,
      status = next_status,
      customer_name = coalesce(nullif(trim(booking ->> 'customer_name'), ''), a.customer_name),
      customer_phone = coalesce(intent.customer_phone, booking ->> 'customer_phone', a.customer_phone),
      customer_email = coalesce(booking ->> 'customer_email', a.customer_email),
      service = coalesce(a.service, intent.service, booking ->> 'service'),
      notes = coalesce(a.notes, booking ->> 'notes'),
      start_at = (booking ->> 'start_at')::timestamptz,
      end_at = (booking ->> 'end_at')::timestamptz,
      time_zone = coalesce(booking ->> 'time_zone', a.time_zone),
      call_id = coalesce(a.call_id, (select c.call_id from public.calls c where c.call_id = intent.call_id)),
      calcom_booking_uid = booking_uid,
      calcom_booking_id = coalesce((booking ->> 'booking_id')::bigint, a.calcom_booking_id),
      calcom_event_type_id = coalesce((booking ->> 'event_type_id')::bigint, a.calcom_event_type_id),
      calcom_organizer = coalesce(nullif(organizer, '{}'::jsonb), a.calcom_organizer),
      rescheduled_from_uid = case when booking_uid = a.calcom_booking_uid then coalesce(previous_uid, a.rescheduled_from_uid)
                                  else a.calcom_booking_uid end,
      cancellation_reason = coalesce(booking ->> 'cancellation_reason', a.cancellation_reason),
      calcom_last_event_at = event_at
    where a.id = existing.id
    returning * into saved;
    outcome := 'updated';
  end if;

  if intent.id is not null then
    update private.calcom_booking_intents i
    set status = 'booked', booking_uid = saved.calcom_booking_uid, appointment_id = saved.id, claimed_until = null, last_error = null
    where i.id = intent.id;
  end if;

  if saved.user_id is null then
    insert into public.ops_alerts (kind, severity, message, details, dedupe_key)
    values ('calcom_unattributed_booking', 'warning',
            'A Cal.com booking matched no business; it is kept unattributed for review.',
            jsonb_build_object('appointment_id', saved.id, 'booking_uid', booking_uid, 'organizer', organizer, 'start_at', saved.start_at),
            'calcom_unattributed_booking:' || booking_uid)
    on conflict (dedupe_key) where resolved_at is null do nothing;
  else
    outbox_event := case saved.status
      when 'cancelled' then 'appointment_cancelled'
      when 'rescheduled' then 'appointment_rescheduled'
      else 'appointment_booked'
    end;
    insert into public.webhook_queue (user_id, event_type, dedupe_key, payload)
    values (saved.user_id, outbox_event, outbox_event || ':' || saved.calcom_booking_uid, private.appointment_event_payload(saved))
    on conflict (dedupe_key) do nothing;
  end if;

  return jsonb_build_object('outcome', outcome, 'appointment_id', saved.id, 'user_id', saved.user_id, 'matched_by', matched_by);
end
$$;
comment on function private.calcom_apply_booking(text, timestamptz, jsonb) is 'Creates or updates the appointment of a Cal.com booking (change: created, rescheduled, cancelled; booking: the normalised shape of functions/_shared/calcom-bookings.ts, plus optional service and notes), attributes it, settles the agent''s booking intent, alerts on unattributed bookings and writes the outbox event.';

-- ---------------------------------------------------------------------------
-- Entry points (service role)
-- ---------------------------------------------------------------------------

create function public.calcom_ingest_booking_event(event_id text, trigger_event text, event_at timestamptz, booking jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  result jsonb;
begin
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
comment on function public.calcom_ingest_booking_event(text, text, timestamptz, jsonb) is 'Applies one verified Cal.com booking webhook exactly once (event_id: trigger, uid and createdAt).';

create function public.calcom_apply_booking_change(change text, booking jsonb)
returns jsonb
language sql
security definer
set search_path = ''
as $$ select private.calcom_apply_booking(change, now(), booking) $$;
comment on function public.calcom_apply_booking_change(text, jsonb) is 'Applies a booking change our functions just made at Cal.com (the agent''s booking, a reschedule or cancellation), before Cal.com''s webhook about it arrives.';

revoke execute on function
  private.calcom_booking_owner(jsonb),
  private.appointment_event_payload(public.appointments),
  private.calcom_apply_booking(text, timestamptz, jsonb)
from public, anon, authenticated;
revoke execute on function
  public.calcom_ingest_booking_event(text, text, timestamptz, jsonb),
  public.calcom_apply_booking_change(text, jsonb)
from public, anon, authenticated;
grant execute on function
  public.calcom_ingest_booking_event(text, text, timestamptz, jsonb),
  public.calcom_apply_booking_change(text, jsonb)
to service_role;
