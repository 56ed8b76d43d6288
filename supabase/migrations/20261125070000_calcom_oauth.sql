-- ============================================================================
-- Cal.com connection: the OAuth state that ties a consent round trip to the user who started it,
-- storing the (encrypted) tokens the callback obtains, and refreshing them without two function
-- instances clobbering each other. The tokens are sealed and opened by the functions
-- (AES-256-GCM); SQL only ever sees ciphertext.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- OAuth states
-- ---------------------------------------------------------------------------

create table private.calcom_oauth_states (
  id uuid primary key default gen_random_uuid(),
  state_hash text not null unique check (state_hash ~ '^[0-9a-f]{64}$'),
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz,
  check (expires_at > created_at)
);
comment on table private.calcom_oauth_states is 'One row per Cal.com consent round trip: the SHA-256 of the state we sent, the user it belongs to, single use and short-lived. The state itself is never stored.';
comment on column private.calcom_oauth_states.user_id is 'The business being connected (the effective user: an impersonating admin connects for the user).';
create index calcom_oauth_states_user_id_idx on private.calcom_oauth_states (user_id);
create index calcom_oauth_states_expires_at_idx on private.calcom_oauth_states (expires_at);

create trigger calcom_oauth_states_audit_impersonated_write after insert on private.calcom_oauth_states
  for each row execute function private.audit_impersonated_write();

create function public.calcom_start_oauth(state_hash text, ttl_seconds integer default 600)
returns timestamptz
language plpgsql
security definer
set search_path = ''
as $$
declare
  owner uuid := private.effective_user_id();
  expires timestamptz;
begin
  if owner is null then
    raise exception 'sign in to connect Cal.com' using errcode = '42501';
  end if;
  if ttl_seconds not between 60 and 1800 then
    raise exception 'ttl_seconds must be between 60 and 1800' using errcode = '22023';
  end if;
  insert into private.calcom_oauth_states (state_hash, user_id, expires_at)
  values (calcom_start_oauth.state_hash, owner, now() + make_interval(secs => ttl_seconds))
  returning expires_at into expires;
  return expires;
end
$$;
comment on function public.calcom_start_oauth(text, integer) is 'Records the hash of a new OAuth state for the calling (or impersonated) user; returns when it expires.';

create function public.calcom_consume_oauth_state(state_hash text)
returns table (user_id uuid, problem text)
language sql
security definer
set search_path = ''
as $$
  with consumed as (
    update private.calcom_oauth_states s
    set used_at = now()
    where s.state_hash = calcom_consume_oauth_state.state_hash and s.used_at is null and s.expires_at > now()
    returning s.user_id
  )
  select consumed.user_id, null::text from consumed
  union all
  select null::uuid,
         coalesce((select case when s.used_at is not null then 'already_used' else 'expired' end
                   from private.calcom_oauth_states s
                   where s.state_hash = calcom_consume_oauth_state.state_hash), 'unknown')
  where not exists (select 1 from consumed)
$$;
comment on function public.calcom_consume_oauth_state(text) is 'Uses up an OAuth state once: returns its user, or why it cannot be used (unknown, expired, already_used).';

create function private.prune_calcom_oauth_states()
returns integer
language sql
set search_path = ''
as $$
  with pruned as (delete from private.calcom_oauth_states where expires_at < now() - interval '1 day' returning 1)
  select count(*)::integer from pruned
$$;
comment on function private.prune_calcom_oauth_states() is 'Deletes OAuth states expired for more than a day; run hourly by cron.';

revoke execute on function private.prune_calcom_oauth_states() from public;

select cron.schedule('prune-calcom-oauth-states', '23 * * * *', 'select private.prune_calcom_oauth_states()');

-- ---------------------------------------------------------------------------
-- Who a function acts for
-- ---------------------------------------------------------------------------

create function public.calcom_acting_user()
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  acting uuid := private.effective_user_id();
begin
  if acting is null then
    raise exception 'not signed in' using errcode = '42501';
  end if;
  return acting;
end
$$;
comment on function public.calcom_acting_user() is 'The user a request acts for (the caller, or the user an admin impersonates); lets a function check a JWT through PostgREST.';

-- ---------------------------------------------------------------------------
-- Storing a connection
-- ---------------------------------------------------------------------------

create index integrations_provider_external_email_idx on public.integrations (provider, lower(external_email));

alter table public.integrations add column token_refresh_claimed_until timestamptz;
comment on column public.integrations.token_refresh_claimed_until is 'Set while one function instance refreshes the tokens; others wait for its result instead of refreshing too.';

create function public.calcom_save_connection(
  target_user uuid,
  account jsonb,
  access_token_encrypted text,
  refresh_token_encrypted text,
  token_key_id text,
  token_expires_at timestamptz,
  scopes text[]
) returns uuid
language sql
security definer
set search_path = ''
as $$
  insert into public.integrations as i (
    user_id, provider, status, external_user_id, external_username, external_email, time_zone,
    default_event_type_id, booking_url, scopes, access_token_encrypted, refresh_token_encrypted,
    token_key_id, token_expires_at, token_refresh_claimed_until, connected_at
  ) values (
    target_user, 'calcom', 'connected', account ->> 'external_user_id', account ->> 'external_username',
    account ->> 'external_email', account ->> 'time_zone', (account ->> 'default_event_type_id')::bigint,
    account ->> 'booking_url', scopes, access_token_encrypted, refresh_token_encrypted, token_key_id,
    token_expires_at, null, now()
  )
  on conflict (user_id, provider) do update set
    status = excluded.status,
    external_user_id = excluded.external_user_id,
    external_username = excluded.external_username,
    external_email = excluded.external_email,
    time_zone = excluded.time_zone,
    default_event_type_id = excluded.default_event_type_id,
    booking_url = excluded.booking_url,
    scopes = excluded.scopes,
    access_token_encrypted = excluded.access_token_encrypted,
    refresh_token_encrypted = excluded.refresh_token_encrypted,
    token_key_id = excluded.token_key_id,
    token_expires_at = excluded.token_expires_at,
    token_refresh_claimed_until = null,
    connected_at = excluded.connected_at
  returning i.id
$$;
comment on function public.calcom_save_connection(uuid, jsonb, text, text, text, timestamptz, text[]) is 'Creates or replaces a business''s Cal.com connection: the account (external_user_id, external_username, external_email, time_zone, default_event_type_id, booking_url) and the sealed tokens.';

-- ---------------------------------------------------------------------------
-- Refreshing tokens: one instance claims the refresh, the others wait for its result
-- ---------------------------------------------------------------------------

create function public.calcom_claim_token_refresh(integration_id uuid, seen_refresh_token text, lease_seconds integer default 30)
returns boolean
language sql
security definer
set search_path = ''
as $$
  with claimed as (
    update public.integrations
    set token_refresh_claimed_until = now() + make_interval(secs => lease_seconds)
    where id = integration_id
      and refresh_token_encrypted = seen_refresh_token
      and status = 'connected'
      and (token_refresh_claimed_until is null or token_refresh_claimed_until < now())
    returning 1
  )
  select exists (select 1 from claimed)
$$;
comment on function public.calcom_claim_token_refresh(uuid, text, integer) is 'Claims the right to refresh a connection''s tokens for a while, if nobody holds it and the refresh token is still the one the caller read.';

create function public.calcom_save_refreshed_tokens(
  integration_id uuid,
  seen_refresh_token text,
  access_token_encrypted text,
  refresh_token_encrypted text,
  token_key_id text,
  token_expires_at timestamptz
) returns boolean
language sql
security definer
set search_path = ''
as $$
  with saved as (
    update public.integrations i
    set access_token_encrypted = calcom_save_refreshed_tokens.access_token_encrypted,
        refresh_token_encrypted = calcom_save_refreshed_tokens.refresh_token_encrypted,
        token_key_id = calcom_save_refreshed_tokens.token_key_id,
        token_expires_at = calcom_save_refreshed_tokens.token_expires_at,
        token_refresh_claimed_until = null
    where i.id = integration_id and i.refresh_token_encrypted = seen_refresh_token
    returning 1
  )
  select exists (select 1 from saved)
$$;
comment on function public.calcom_save_refreshed_tokens(uuid, text, text, text, text, timestamptz) is 'Stores refreshed tokens only if the refresh token is still the one that was refreshed (compare-and-swap); false means another writer won.';

create function public.calcom_release_token_refresh(integration_id uuid)
returns void
language sql
security definer
set search_path = ''
as $$ update public.integrations set token_refresh_claimed_until = null where id = integration_id $$;
comment on function public.calcom_release_token_refresh(uuid) is 'Gives up a refresh claim after Cal.com could not be reached, so the next request may try again at once.';

create function public.calcom_mark_needs_reauth(integration_id uuid, seen_refresh_token text, reason text)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
  owner uuid;
begin
  update public.integrations
  set status = 'needs_reauth', token_refresh_claimed_until = null
  where id = integration_id and refresh_token_encrypted = seen_refresh_token and status = 'connected'
  returning user_id into owner;
  if owner is null then
    return false;
  end if;
  insert into public.ops_alerts (kind, severity, message, user_id, details, dedupe_key)
  values ('calcom_needs_reauth', 'warning', 'Cal.com refused the stored refresh token; the business must reconnect Cal.com.',
          owner, jsonb_build_object('integration_id', integration_id, 'reason', reason), 'calcom_needs_reauth:' || owner)
  on conflict (dedupe_key) where resolved_at is null do nothing;
  return true;
end
$$;
comment on function public.calcom_mark_needs_reauth(uuid, text, text) is 'Marks a connection as needing a new consent (Cal.com refused its refresh token) and alerts operators once.';

-- ---------------------------------------------------------------------------
-- Grants: the state is started by a signed-in user; everything else is the functions' (service role)
-- ---------------------------------------------------------------------------

revoke execute on function
  public.calcom_start_oauth(text, integer),
  public.calcom_consume_oauth_state(text),
  public.calcom_acting_user(),
  public.calcom_save_connection(uuid, jsonb, text, text, text, timestamptz, text[]),
  public.calcom_claim_token_refresh(uuid, text, integer),
  public.calcom_save_refreshed_tokens(uuid, text, text, text, text, timestamptz),
  public.calcom_release_token_refresh(uuid),
  public.calcom_mark_needs_reauth(uuid, text, text)
from public, anon, authenticated;
grant execute on function public.calcom_start_oauth(text, integer), public.calcom_acting_user() to authenticated;
grant execute on function
  public.calcom_consume_oauth_state(text),
  public.calcom_save_connection(uuid, jsonb, text, text, text, timestamptz, text[]),
  public.calcom_claim_token_refresh(uuid, text, integer),
  public.calcom_save_refreshed_tokens(uuid, text, text, text, text, timestamptz),
  public.calcom_release_token_refresh(uuid),
  public.calcom_mark_needs_reauth(uuid, text, text)
to service_role;
