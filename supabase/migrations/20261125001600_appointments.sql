-- ============================================================================
-- Appointments: jobs booked by the voice agent, by Cal.com, or by hand. Bookings from Cal.com that
-- match no business are kept unattributed (user_id null) for an admin to review.
-- ============================================================================

create table public.appointments (
  id uuid primary key default gen_random_uuid(),
  user_id uuid references auth.users (id) on delete cascade,
  source text not null default 'manual' check (source in ('ai_call', 'calcom', 'manual')),
  status text not null default 'scheduled' check (status in ('scheduled', 'rescheduled', 'cancelled', 'completed', 'no_show')),
  customer_name text not null check (length(trim(customer_name)) between 1 and 200),
  customer_phone public.phone_e164,
  customer_email text check (customer_email ~ '^[^@\s]+@[^@\s]+$'),
  service text check (length(service) <= 200),
  notes text check (length(notes) <= 5000),
  start_at timestamptz not null,
  end_at timestamptz not null,
  time_zone text,
  call_id text references public.calls (call_id) on delete set null,
  calcom_booking_uid text unique,
  calcom_booking_id bigint,
  calcom_event_type_id bigint,
  calcom_organizer jsonb,
  rescheduled_from_uid text,
  cancellation_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (end_at > start_at),
  check (user_id is not null or source = 'calcom')
);
comment on table public.appointments is 'Booked jobs. user_id is null only for Cal.com bookings no business could be matched to (admin review).';
create index appointments_user_id_start_at_idx on public.appointments (user_id, start_at);
create index appointments_unattributed_idx on public.appointments (created_at) where user_id is null;
create index appointments_call_id_idx on public.appointments (call_id);

create trigger appointments_set_updated_at before update on public.appointments for each row execute function private.set_updated_at();

alter table public.appointments enable row level security;

create policy "Users read their own appointments" on public.appointments for select to authenticated
  using (user_id = (select private.effective_user_id()));
create policy "Users create their own appointments" on public.appointments for insert to authenticated
  with check (user_id = (select private.effective_user_id()) and source = 'manual');
create policy "Users update their own appointments" on public.appointments for update to authenticated
  using (user_id = (select private.effective_user_id())) with check (user_id = (select private.effective_user_id()));
create policy "Users delete their own appointments" on public.appointments for delete to authenticated
  using (user_id = (select private.effective_user_id()));
create policy "Admins read every appointment" on public.appointments for select to authenticated
  using ((select private.acting_as_admin()));

revoke insert, update, truncate on public.appointments from anon, authenticated;
revoke delete on public.appointments from anon;
grant insert (user_id, customer_name, customer_phone, customer_email, service, notes, start_at, end_at, time_zone)
  on public.appointments to authenticated;
grant update (status, customer_name, customer_phone, customer_email, service, notes, start_at, end_at, time_zone)
  on public.appointments to authenticated;

create trigger appointments_audit_impersonated_write after insert or update or delete on public.appointments
  for each row execute function private.audit_impersonated_write();
