-- ============================================================================
-- Technician tracking: a business shares a link (token) with its customer, who sees where the
-- technician is. Owners manage sessions and points; anyone with the token reads that one session.
-- ============================================================================

create table public.tracking_sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  token text not null unique default encode(extensions.gen_random_bytes(18), 'hex'),
  appointment_id uuid references public.appointments (id) on delete set null,
  technician_name text check (length(technician_name) <= 100),
  status text not null default 'active' check (status in ('active', 'arrived', 'ended')),
  expires_at timestamptz not null default now() + interval '12 hours',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.tracking_sessions is 'Shareable live-location sessions for a technician on the way to a job.';
create index tracking_sessions_user_id_idx on public.tracking_sessions (user_id, created_at desc);
create index tracking_sessions_appointment_id_idx on public.tracking_sessions (appointment_id);

create table public.tracking_points (
  id bigint generated always as identity primary key,
  session_id uuid not null references public.tracking_sessions (id) on delete cascade,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  latitude double precision not null check (latitude between -90 and 90),
  longitude double precision not null check (longitude between -180 and 180),
  recorded_at timestamptz not null default now()
);
comment on table public.tracking_points is 'Positions reported during a tracking session.';
create index tracking_points_session_id_recorded_at_idx on public.tracking_points (session_id, recorded_at desc);
create index tracking_points_user_id_idx on public.tracking_points (user_id);

create trigger tracking_sessions_set_updated_at before update on public.tracking_sessions for each row execute function private.set_updated_at();

alter table public.tracking_sessions enable row level security;
alter table public.tracking_points enable row level security;

create policy "Users read their own tracking sessions" on public.tracking_sessions for select to authenticated
  using (user_id = (select private.effective_user_id()));
create policy "Users start their own tracking sessions" on public.tracking_sessions for insert to authenticated
  with check (user_id = (select private.effective_user_id()));
create policy "Users update their own tracking sessions" on public.tracking_sessions for update to authenticated
  using (user_id = (select private.effective_user_id())) with check (user_id = (select private.effective_user_id()));
create policy "Users read their own tracking points" on public.tracking_points for select to authenticated
  using (user_id = (select private.effective_user_id()));
create policy "Users add points to their own sessions" on public.tracking_points for insert to authenticated
  with check (
    user_id = (select private.effective_user_id())
    and session_id in (select id from public.tracking_sessions where user_id = (select private.effective_user_id()) and status <> 'ended')
  );

revoke insert, update, delete, truncate on public.tracking_sessions, public.tracking_points from anon, authenticated;
grant insert (user_id, appointment_id, technician_name, expires_at) on public.tracking_sessions to authenticated;
grant update (status, technician_name) on public.tracking_sessions to authenticated;
grant insert (session_id, user_id, latitude, longitude, recorded_at) on public.tracking_points to authenticated;

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
grant execute on function public.tracking_session_by_token(text) to anon, authenticated;
