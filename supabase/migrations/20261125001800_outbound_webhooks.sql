-- ============================================================================
-- Outbound webhooks: the endpoints a business configures (Zapier and the like), the outbox of events
-- to deliver to them, and the log of delivery attempts. Events are written to the outbox in the same
-- transaction as the change they describe.
-- ============================================================================

create table public.webhook_configs (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  url text not null check (url ~ '^https://[^\s/$.?#].[^\s]*$' and length(url) <= 2000),
  description text check (length(description) <= 200),
  events text[] not null default '{call_ended,lead_created,appointment_booked}'
    check (events <@ array['call_ended', 'lead_created', 'appointment_booked', 'appointment_rescheduled', 'appointment_cancelled', 'sms_received']
           and cardinality(events) > 0),
  secret text not null default 'whsec_' || encode(extensions.gen_random_bytes(24), 'base64'),
  active boolean not null default true,
  disabled_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.webhook_configs is 'Endpoints a business wants its events sent to, and which events; signed with the per-endpoint secret.';
create index webhook_configs_user_id_idx on public.webhook_configs (user_id);

create table public.webhook_queue (
  id bigint generated always as identity primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  event_type text not null,
  dedupe_key text not null unique,
  payload jsonb not null,
  status text not null default 'pending' check (status in ('pending', 'processing', 'delivered', 'failed', 'dead')),
  attempts integer not null default 0 check (attempts >= 0),
  next_attempt_at timestamptz not null default now(),
  locked_until timestamptz,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.webhook_queue is 'Outbox of events for the business''s webhooks; dedupe_key makes a repeated event a no-op.';
create index webhook_queue_due_idx on public.webhook_queue (next_attempt_at) where status in ('pending', 'failed');
create index webhook_queue_user_id_idx on public.webhook_queue (user_id, created_at desc);

create table public.webhook_deliveries (
  id bigint generated always as identity primary key,
  queue_id bigint not null references public.webhook_queue (id) on delete cascade,
  webhook_config_id uuid references public.webhook_configs (id) on delete set null,
  user_id uuid not null references auth.users (id) on delete cascade,
  attempt integer not null check (attempt > 0),
  status_code integer,
  error text,
  duration_ms integer,
  created_at timestamptz not null default now()
);
comment on table public.webhook_deliveries is 'One row per delivery attempt of an outbox event to an endpoint.';
create index webhook_deliveries_queue_id_idx on public.webhook_deliveries (queue_id);
create index webhook_deliveries_webhook_config_id_idx on public.webhook_deliveries (webhook_config_id, created_at desc);
create index webhook_deliveries_user_id_idx on public.webhook_deliveries (user_id, created_at desc);

create trigger webhook_configs_set_updated_at before update on public.webhook_configs for each row execute function private.set_updated_at();
create trigger webhook_queue_set_updated_at before update on public.webhook_queue for each row execute function private.set_updated_at();

alter table public.webhook_configs enable row level security;
alter table public.webhook_queue enable row level security;
alter table public.webhook_deliveries enable row level security;

create policy "Users read their own webhooks" on public.webhook_configs for select to authenticated
  using (user_id = (select private.effective_user_id()));
create policy "Users add their own webhooks" on public.webhook_configs for insert to authenticated
  with check (user_id = (select private.effective_user_id()));
create policy "Users change their own webhooks" on public.webhook_configs for update to authenticated
  using (user_id = (select private.effective_user_id())) with check (user_id = (select private.effective_user_id()));
create policy "Users remove their own webhooks" on public.webhook_configs for delete to authenticated
  using (user_id = (select private.effective_user_id()));
create policy "Admins read every webhook" on public.webhook_configs for select to authenticated
  using ((select private.acting_as_admin()));

create policy "Users read their own outbox" on public.webhook_queue for select to authenticated
  using (user_id = (select private.effective_user_id()));
create policy "Admins read every outbox event" on public.webhook_queue for select to authenticated
  using ((select private.acting_as_admin()));
create policy "Users read their own deliveries" on public.webhook_deliveries for select to authenticated
  using (user_id = (select private.effective_user_id()));
create policy "Admins read every delivery" on public.webhook_deliveries for select to authenticated
  using ((select private.acting_as_admin()));

revoke insert, update, truncate on public.webhook_configs from anon, authenticated;
revoke delete on public.webhook_configs from anon;
grant insert (user_id, url, description, events, active) on public.webhook_configs to authenticated;
grant update (url, description, events, active) on public.webhook_configs to authenticated;
revoke insert, update, delete, truncate on public.webhook_queue, public.webhook_deliveries from anon, authenticated;

create trigger webhook_configs_audit_impersonated_write after insert or update or delete on public.webhook_configs
  for each row execute function private.audit_impersonated_write();
