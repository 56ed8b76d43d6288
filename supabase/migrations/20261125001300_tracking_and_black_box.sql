-- ============================================================================
-- Tracking and black box: technician tracking sessions and points shared by link, and the events a
-- user's frontend reports for support replay.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

-- Black-box events: what the frontend reports about a user's session (wizard steps, errors seen),
-- so support can replay what happened. Written by the signed-in user, read by that user.
create table public.black_box_events (
  id bigint generated always as identity primary key,
  user_id uuid not null default private.effective_user_id() references auth.users (id) on delete cascade,
  event_type text not null check (event_type ~ '^[a-z][a-z0-9_.:-]{0,63}$'),
  payload jsonb not null default '{}'::jsonb check (jsonb_typeof(payload) = 'object'),
  created_at timestamptz not null default now()
);
comment on table public.black_box_events is 'Client-side events a user''s frontend reports (wizard steps, errors), for support replay.';
comment on column public.black_box_events.event_type is 'Lower-case dotted name, e.g. wizard.step_completed.';
alter table public.black_box_events enable row level security;
revoke all on public.black_box_events from anon, authenticated, service_role;
grant select, insert on public.black_box_events to authenticated;
revoke all on sequence public.black_box_events_id_seq from anon, authenticated, service_role;

-- Technician tracking: a business shares a link (token) with its customer, who sees where the
-- technician is. Owners manage sessions and points; anyone with the token reads that one session.
create table public.tracking_sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default private.effective_user_id() references auth.users (id) on delete cascade,
  token text not null unique default encode(extensions.gen_random_bytes(18), 'hex'),
  appointment_id uuid references public.appointments (id) on delete set null,
  technician_name text check (length(technician_name) <= 100),
  status text not null default 'active' check (status in ('active', 'arrived', 'ended')),
  expires_at timestamptz not null default now() + interval '12 hours',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.tracking_sessions is 'Shareable live-location sessions for a technician on the way to a job.';
comment on column public.tracking_sessions.user_id is 'Owner; defaults to the effective user (the caller, or the user an admin impersonates).';
alter table public.tracking_sessions enable row level security;
revoke all on public.tracking_sessions from anon, authenticated, service_role;
grant select on public.tracking_sessions to authenticated;
grant insert (user_id, appointment_id, technician_name, expires_at) on public.tracking_sessions to authenticated;
grant update (technician_name, status) on public.tracking_sessions to authenticated;

create table public.tracking_points (
  id bigint generated always as identity primary key,
  session_id uuid not null references public.tracking_sessions (id) on delete cascade,
  user_id uuid not null default private.effective_user_id() references auth.users (id) on delete cascade,
  latitude double precision not null check (latitude between -90 and 90),
  longitude double precision not null check (longitude between -180 and 180),
  recorded_at timestamptz not null default now()
);
comment on table public.tracking_points is 'Positions reported during a tracking session.';
comment on column public.tracking_points.user_id is 'Owner; defaults to the effective user (the caller, or the user an admin impersonates).';
alter table public.tracking_points enable row level security;
revoke all on public.tracking_points from anon, authenticated, service_role;
grant select on public.tracking_points to authenticated;
grant insert (session_id, user_id, latitude, longitude, recorded_at) on public.tracking_points to authenticated;
revoke all on sequence public.tracking_points_id_seq from anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------

create index black_box_events_user_id_created_at_idx on public.black_box_events (user_id, created_at desc);
create index tracking_sessions_user_id_idx on public.tracking_sessions (user_id, created_at desc);
create index tracking_sessions_appointment_id_idx on public.tracking_sessions (appointment_id);
create index tracking_points_session_id_recorded_at_idx on public.tracking_points (session_id, recorded_at desc);
create index tracking_points_user_id_idx on public.tracking_points (user_id);

-- ---------------------------------------------------------------------------
-- Functions
-- ---------------------------------------------------------------------------

create function public.tracking_session_by_token(session_token text)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'status', s.status,
    'technician_name', s.technician_name,
    'business_name', p.business_name,
    'expires_at', s.expires_at,
    'points', coalesce((
      select jsonb_agg(jsonb_build_object('latitude', t.latitude, 'longitude', t.longitude, 'recorded_at', t.recorded_at) order by t.recorded_at desc)
      from (select * from public.tracking_points where session_id = s.id order by recorded_at desc limit 50) t
    ), '[]'::jsonb)
  )
  from public.tracking_sessions s
  join public.profiles p on p.id = s.user_id
  where s.token = session_token and s.expires_at > now()
$$;
comment on function public.tracking_session_by_token(text) is 'What a customer with the link sees: status, technician, business and the latest 50 positions; null if unknown or expired.';
revoke all on function public.tracking_session_by_token(text) from public, anon, authenticated, service_role;
grant execute on function public.tracking_session_by_token(text) to anon, authenticated;

-- ---------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------

create policy "Users start their own tracking sessions" on public.tracking_sessions for insert to authenticated
  with check (user_id = (select private.effective_user_id()));

create policy "Users update their own tracking sessions" on public.tracking_sessions for update to authenticated
  using (user_id = (select private.effective_user_id())) with check (user_id = (select private.effective_user_id()));

create policy "Users add points to their own sessions" on public.tracking_points for insert to authenticated
  with check (
    user_id = (select private.effective_user_id())
    and session_id in (select id from public.tracking_sessions where user_id = (select private.effective_user_id()) and status <> 'ended')
  );

create policy "Users record their own black-box events" on public.black_box_events for insert to authenticated
  with check (user_id = (select private.effective_user_id()));

create policy "Users read their own black-box events, admins every one" on public.black_box_events for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

create policy "Users read their own tracking points, admins every one" on public.tracking_points for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

create policy "Users read their own tracking sessions, admins every one" on public.tracking_sessions for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

-- ---------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------

create trigger tracking_sessions_set_updated_at before update on public.tracking_sessions for each row execute function private.set_updated_at();

-- Every write an impersonating admin can make is audited for both the admin and the user.
create trigger black_box_events_audit_impersonated_write after insert on public.black_box_events
  for each row execute function private.audit_impersonated_write();

create trigger tracking_sessions_audit_impersonated_write after insert or update on public.tracking_sessions
  for each row execute function private.audit_impersonated_write();

create trigger tracking_points_audit_impersonated_write after insert on public.tracking_points
  for each row execute function private.audit_impersonated_write();

create trigger tracking_sessions_appointment_id_same_owner before insert or update of appointment_id, user_id on public.tracking_sessions
  for each row execute function private.refuse_reference_to_other_owner('tracking_sessions_appointment_id_fkey');

create trigger tracking_points_session_id_same_owner before insert or update of session_id, user_id on public.tracking_points
  for each row execute function private.refuse_reference_to_other_owner('tracking_points_session_id_fkey');
