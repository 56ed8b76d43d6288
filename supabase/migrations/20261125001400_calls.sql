-- ============================================================================
-- Calls and what they produce: the call lifecycle, recordings and transcripts, the business's
-- customers (keyed by caller phone) and leads. Written by the Retell webhooks (service role); the
-- owner reads them, and may annotate customers and triage leads.
-- ============================================================================

create table public.customers (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  phone public.phone_e164 not null,
  name text check (length(name) <= 200),
  email text check (email ~ '^[^@\s]+@[^@\s]+$'),
  notes text check (length(notes) <= 5000),
  total_calls integer not null default 0 check (total_calls >= 0),
  first_seen_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  sms_opted_out_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (user_id, phone)
);
comment on table public.customers is 'People who called or texted a business, one row per business and phone number.';

create table public.calls (
  call_id text primary key,
  user_id uuid references auth.users (id) on delete cascade,
  agent_id text,
  direction text not null default 'inbound' check (direction in ('inbound', 'outbound')),
  from_number text,
  to_number text,
  status text not null default 'registered'
    check (status in ('registered', 'refused', 'ongoing', 'ended', 'not_connected', 'error')),
  refusal_reason text check (refusal_reason in ('unknown_number', 'subscription_inactive', 'over_cap')),
  started_at timestamptz,
  ended_at timestamptz,
  duration_ms integer check (duration_ms >= 0),
  disconnection_reason text,
  transferred boolean not null default false,
  analyzed_at timestamptz,
  is_demo boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.calls is 'Every call Retell told us about, including calls refused before connecting, by Retell call id.';
create index calls_user_id_started_at_idx on public.calls (user_id, started_at desc);

create table public.call_recordings (
  id uuid primary key default gen_random_uuid(),
  call_id text not null unique references public.calls (call_id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  recording_url text,
  transcript text,
  transcript_object jsonb,
  summary text,
  sentiment text check (sentiment in ('Negative', 'Positive', 'Neutral', 'Unknown')),
  call_successful boolean,
  analysis jsonb,
  duration_seconds integer check (duration_seconds >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.call_recordings is 'Recording link, transcript and call analysis of each ended call (the dashboard''s black box).';
create index call_recordings_user_id_created_at_idx on public.call_recordings (user_id, created_at desc);

create table public.leads (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  call_id text unique references public.calls (call_id) on delete set null,
  customer_id uuid references public.customers (id) on delete set null,
  name text,
  phone public.phone_e164,
  email text,
  summary text,
  service_needed text,
  urgency text check (urgency in ('low', 'normal', 'high', 'emergency')),
  status text not null default 'new' check (status in ('new', 'contacted', 'booked', 'won', 'lost')),
  flagged boolean not null default false,
  flag_reason text check (length(flag_reason) <= 500),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.leads is 'Prospective jobs captured from calls; the owner triages them (status, flag).';
create index leads_user_id_created_at_idx on public.leads (user_id, created_at desc);
create index leads_customer_id_idx on public.leads (customer_id);

create trigger customers_set_updated_at before update on public.customers for each row execute function private.set_updated_at();
create trigger calls_set_updated_at before update on public.calls for each row execute function private.set_updated_at();
create trigger call_recordings_set_updated_at before update on public.call_recordings for each row execute function private.set_updated_at();
create trigger leads_set_updated_at before update on public.leads for each row execute function private.set_updated_at();

alter table public.customers enable row level security;
alter table public.calls enable row level security;
alter table public.call_recordings enable row level security;
alter table public.leads enable row level security;

create policy "Users read their own customers" on public.customers for select to authenticated
  using (user_id = (select private.effective_user_id()));
create policy "Users annotate their own customers" on public.customers for update to authenticated
  using (user_id = (select private.effective_user_id())) with check (user_id = (select private.effective_user_id()));
create policy "Admins read every customer" on public.customers for select to authenticated
  using ((select private.acting_as_admin()));

create policy "Users read their own calls" on public.calls for select to authenticated
  using (user_id = (select private.effective_user_id()));
create policy "Admins read every call" on public.calls for select to authenticated
  using ((select private.acting_as_admin()));

create policy "Users read their own call recordings" on public.call_recordings for select to authenticated
  using (user_id = (select private.effective_user_id()));
create policy "Admins read every call recording" on public.call_recordings for select to authenticated
  using ((select private.acting_as_admin()));

create policy "Users read their own leads" on public.leads for select to authenticated
  using (user_id = (select private.effective_user_id()));
create policy "Users triage their own leads" on public.leads for update to authenticated
  using (user_id = (select private.effective_user_id())) with check (user_id = (select private.effective_user_id()));
create policy "Admins read every lead" on public.leads for select to authenticated
  using ((select private.acting_as_admin()));

revoke insert, update, delete, truncate on public.customers, public.calls, public.call_recordings, public.leads from anon, authenticated;
grant update (name, email, notes) on public.customers to authenticated;
grant update (status, flagged, flag_reason) on public.leads to authenticated;

create trigger customers_audit_impersonated_write after update on public.customers
  for each row execute function private.audit_impersonated_write();
create trigger leads_audit_impersonated_write after update on public.leads
  for each row execute function private.audit_impersonated_write();
