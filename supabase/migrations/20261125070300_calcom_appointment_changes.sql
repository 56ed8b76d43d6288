-- ============================================================================
-- Owners change their appointments through RLS, except the time and the cancellation of a booking
-- that lives in Cal.com: those go through the appointments function, which changes the booking at
-- Cal.com first, so the two never disagree.
-- ============================================================================

create function private.guard_calcom_appointment_changes()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  -- current_user is the role of the statement: a client writing through PostgREST, not our
  -- functions (service role) or security-definer RPCs.
  if current_user = 'authenticated' and old.calcom_booking_uid is not null and (
       new.start_at is distinct from old.start_at
       or new.end_at is distinct from old.end_at
       or (new.status = 'cancelled') is distinct from (old.status = 'cancelled')
     ) then
    raise exception 'appointment % is a Cal.com booking: reschedule or cancel it through the appointments function', old.id
      using errcode = '42501';
  end if;
  return new;
end
$$;
comment on function private.guard_calcom_appointment_changes() is 'Trigger: refuses client changes to the time or cancellation of a Cal.com booking, which must be made at Cal.com too.';

revoke execute on function private.guard_calcom_appointment_changes() from public;

create trigger appointments_guard_calcom_changes before update on public.appointments
  for each row execute function private.guard_calcom_appointment_changes();

create function public.appointment_for_change(appointment_id uuid, action text)
returns table (
  id uuid,
  user_id uuid,
  status text,
  start_at timestamptz,
  end_at timestamptz,
  time_zone text,
  calcom_booking_uid text
)
language plpgsql
security definer
set search_path = ''
as $$
declare
  owner uuid := private.effective_user_id();
  impersonated uuid := private.impersonated_user_id();
begin
  if action is null or action not in ('reschedule', 'cancel') then
    raise exception 'action must be reschedule or cancel' using errcode = '22023';
  end if;
  return query
    select a.id, a.user_id, a.status, a.start_at, a.end_at, a.time_zone, a.calcom_booking_uid
    from public.appointments a
    where a.id = appointment_id and a.user_id = owner;
  if not found then
    raise exception 'no appointment % of yours', appointment_id using errcode = 'P0002';
  end if;
  -- The change itself is written by the function with the service role, where the impersonation
  -- trigger cannot see the admin: record it here, as the admin, for the user.
  if impersonated is not null then
    perform private.write_audit('impersonation.appointment_' || action, impersonated,
      jsonb_build_object('session_id', private.request_header('x-impersonation-session')), 'appointments', appointment_id::text);
  end if;
end
$$;
comment on function public.appointment_for_change(uuid, text) is 'The caller''s (or impersonated user''s) own appointment they are about to reschedule or cancel (admins act only while impersonating); audits the request when impersonating.';

revoke execute on function public.appointment_for_change(uuid, text) from public, anon;
grant execute on function public.appointment_for_change(uuid, text) to authenticated;
