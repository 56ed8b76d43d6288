-- ============================================================================
-- Integrations: a business's connection to Cal.com. OAuth tokens are stored encrypted by the
-- functions (AES-256-GCM) and are not even selectable by the owner: column privileges leave them out.
-- ============================================================================

create table public.integrations (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  provider text not null check (provider in ('calcom')),
  status text not null default 'connected' check (status in ('connected', 'needs_reauth', 'disconnected')),
  external_user_id text,
  external_username text,
  external_email text,
  time_zone text,
  default_event_type_id bigint,
  booking_url text check (booking_url ~ '^https?://'),
  scopes text[] not null default '{}',
  access_token_encrypted text,
  refresh_token_encrypted text,
  token_key_id text,
  token_expires_at timestamptz,
  connected_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (user_id, provider)
);
comment on table public.integrations is 'Connections to outside tools (Cal.com). Tokens are encrypted and never readable by clients.';
comment on column public.integrations.token_key_id is 'Which encryption key sealed the tokens, so keys can rotate.';
create index integrations_provider_external_user_id_idx on public.integrations (provider, external_user_id);
create index integrations_provider_external_username_idx on public.integrations (provider, lower(external_username));

create trigger integrations_set_updated_at before update on public.integrations for each row execute function private.set_updated_at();

alter table public.integrations enable row level security;

create policy "Users read their own integrations" on public.integrations for select to authenticated
  using (user_id = (select private.effective_user_id()));
create policy "Admins read every integration" on public.integrations for select to authenticated
  using ((select private.acting_as_admin()));

revoke all on public.integrations from anon, authenticated;
grant select (
  id, user_id, provider, status, external_user_id, external_username, external_email, time_zone,
  default_event_type_id, booking_url, scopes, token_expires_at, connected_at, created_at, updated_at
) on public.integrations to authenticated;
