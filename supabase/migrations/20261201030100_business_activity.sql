-- ============================================================================
-- What counts as a business being active, derived from what is already stored (no write per API
-- request): the owner signing in or keeping a session alive (Auth's users and sessions), calls the
-- receptionist answered, bookings made, and texts exchanged. profiles.last_activity_at is the latest
-- of them, refreshed set-based by the health-scores job.
-- ============================================================================

create function private.business_activity(only_user uuid default null)
returns table (
  user_id uuid,
  last_sign_in_at timestamptz,
  last_call_at timestamptz,
  last_booking_at timestamptz,
  last_message_at timestamptz,
  last_activity_at timestamptz
)
-- plpgsql, so each call is planned with its arguments: one business is a few index probes, not a
-- pass over all of them.
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return query
  select p.id,
         signed_in.at,
         called.at,
         booked.at,
         texted.at,
         greatest(signed_in.at, called.at, booked.at, texted.at)
  from public.profiles p
  left join lateral (
    select greatest(u.last_sign_in_at, (select max(coalesce(s.refreshed_at::timestamptz, s.updated_at, s.created_at))
                                        from auth.sessions s where s.user_id = p.id)) as at
    from auth.users u where u.id = p.id
  ) signed_in on true
  left join lateral (
    select c.started_at as at from public.calls c
    where c.user_id = p.id and c.status = 'ended' and not c.is_demo and c.started_at is not null
    order by c.started_at desc limit 1
  ) called on true
  left join lateral (
    select max(a.created_at) as at from public.appointments a where a.user_id = p.id
  ) booked on true
  left join lateral (
    select m.created_at as at from public.sms_messages m where m.user_id = p.id order by m.created_at desc limit 1
  ) texted on true
  where only_user is null or p.id = only_user;
end
$$;
comment on function private.business_activity(uuid) is 'Per business (all, or one): when the owner last signed in or used a session, the last answered call, booking and text, and the latest of them.';
revoke execute on function private.business_activity(uuid) from public;

create function private.record_business_activity()
returns integer
language sql
security definer
set search_path = ''
as $$
  with changed as (
    update public.profiles p
    set last_activity_at = a.last_activity_at
    from private.business_activity() a
    where a.user_id = p.id and a.last_activity_at is distinct from p.last_activity_at
    returning 1
  )
  select count(*)::integer from changed
$$;
comment on function private.record_business_activity() is 'Sets profiles.last_activity_at from private.business_activity() where it changed; returns how many.';
revoke execute on function private.record_business_activity() from public;

create index appointments_user_id_created_at_idx on public.appointments (user_id, created_at desc);
