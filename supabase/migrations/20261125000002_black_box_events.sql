-- ============================================================================
-- Black-box events: what the frontend reports about a user's session (wizard steps, errors seen),
-- so support can replay what happened. Written by the signed-in user, read by that user.
-- ============================================================================

create table public.black_box_events (
  id bigint generated always as identity primary key,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  event_type text not null check (event_type ~ '^[a-z][a-z0-9_.:-]{0,63}$'),
  payload jsonb not null default '{}'::jsonb check (jsonb_typeof(payload) = 'object'),
  created_at timestamptz not null default now()
);

comment on table public.black_box_events is 'Client-side events a user''s frontend reports (wizard steps, errors), for support replay.';
comment on column public.black_box_events.event_type is 'Lower-case dotted name, e.g. wizard.step_completed.';

create index black_box_events_user_id_created_at_idx on public.black_box_events (user_id, created_at desc);

alter table public.black_box_events enable row level security;

create policy "Users read their own black-box events"
  on public.black_box_events for select to authenticated
  using (user_id = (select auth.uid()));

create policy "Users record their own black-box events"
  on public.black_box_events for insert to authenticated
  with check (user_id = (select auth.uid()));

revoke update, delete, truncate on public.black_box_events from anon, authenticated;
