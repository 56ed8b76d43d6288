-- ============================================================================
-- Owners delete only their manual appointments. A row that carries a Cal.com booking is cancelled
-- through the appointments function (POST /appointments/<id>/cancel), which cancels the booking at
-- Cal.com first; a client's DELETE of it would leave the booking accepted at Cal.com. The guard of
-- 20261125070300 covered updates only; it now refuses such deletes too, with the same 42501
-- (PostgREST: 403) and a message saying what to do instead.
-- ============================================================================

create or replace function private.guard_calcom_appointment_changes()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  -- current_user is the role of the statement: a client writing through PostgREST, not our
  -- functions (service role) or security-definer RPCs.
  if current_user <> 'authenticated' or old.calcom_booking_uid is null then
    return case when tg_op = 'DELETE' then old else new end;
  end if;
  if tg_op = 'DELETE' then
    raise exception 'appointment % is a Cal.com booking: cancel it through appointments/%/cancel instead of deleting it', old.id, old.id
      using errcode = '42501';
  end if;
  if new.start_at is distinct from old.start_at
     or new.end_at is distinct from old.end_at
     or (new.status = 'cancelled') is distinct from (old.status = 'cancelled') then
    raise exception 'appointment % is a Cal.com booking: reschedule or cancel it through the appointments function', old.id
      using errcode = '42501';
  end if;
  return new;
end
$$;
comment on function private.guard_calcom_appointment_changes() is 'Trigger: refuses client changes to the time or cancellation of a Cal.com booking, and client deletes of one, which must be made at Cal.com too.';

create trigger appointments_guard_calcom_deletes before delete on public.appointments
  for each row execute function private.guard_calcom_appointment_changes();
