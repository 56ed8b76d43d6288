-- ============================================================================
-- Appointments and Cal.com: appointments, the Cal.com OAuth connection and its tokens, the booking
-- intents the voice agent's bookings go through, and the Cal.com booking events that change them.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

-- Appointments: jobs booked by the voice agent, by Cal.com, or by hand. Bookings from Cal.com that
-- match no business are kept unattributed (user_id null) for an admin to review.
create table public.appointments (
  id uuid primary key default gen_random_uuid(),
  user_id uuid default private.effective_user_id() references auth.users (id) on delete cascade,
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
  check (user_id is not null or source = 'calcom'),
  calcom_last_event_at timestamptz
);
comment on table public.appointments is 'Booked jobs. user_id is null only for Cal.com bookings no business could be matched to (admin review).';
comment on column public.appointments.user_id is 'Owner; null only for unattributed Cal.com bookings. Defaults to the effective user for owner inserts.';
comment on column public.appointments.calcom_last_event_at is 'When the newest Cal.com change applied to this row happened; older changes arriving late are ignored.';
alter table public.appointments enable row level security;
revoke all on public.appointments from anon, authenticated, service_role;
grant select, delete on public.appointments to authenticated;
grant update (start_at, end_at, time_zone, status, customer_name, customer_phone, customer_email, service, notes) on public.appointments to authenticated;
grant insert (start_at, end_at, time_zone, user_id, customer_name, customer_phone, customer_email, service, notes) on public.appointments to authenticated;

-- Cal.com connection: the OAuth state that ties a consent round trip to the user who started it,
-- storing the (encrypted) tokens the callback obtains, and refreshing them without two function
-- instances clobbering each other. The tokens are sealed and opened by the functions
-- (AES-256-GCM); SQL only ever sees ciphertext.

-- OAuth states
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

-- Bookings the voice agent makes: the intent (this call wants this slot) is recorded before Cal.com
-- is asked, so a tool call Retell delivers twice books once. One function instance at a time holds
-- an intent (a short lease); a retry of a settled intent gets the settled answer.
create table private.calcom_booking_intents (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  call_id text not null check (length(call_id) between 1 and 200),
  start_at timestamptz not null,
  event_type_id bigint not null,
  customer_name text not null check (length(trim(customer_name)) between 1 and 200),
  customer_phone public.phone_e164,
  service text check (length(service) <= 200),
  status text not null default 'pending' check (status in ('pending', 'booked', 'failed', 'unknown')),
  attempts integer not null default 0 check (attempts >= 0),
  claimed_until timestamptz,
  booking_uid text,
  appointment_id uuid references public.appointments (id) on delete set null,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (call_id, start_at)
);
comment on table private.calcom_booking_intents is 'One row per (call, slot) the agent asked to book: recorded before Cal.com is called, settled with the booking, so retries never book twice.';
comment on column private.calcom_booking_intents.status is 'pending: an attempt holds or held the lease; booked: done; failed: Cal.com said no; unknown: Cal.com did not answer (the booking may exist).';

-- ---------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------

create index appointments_user_id_start_at_idx on public.appointments (user_id, start_at);
create index appointments_unattributed_idx on public.appointments (created_at) where user_id is null;
create index appointments_call_id_idx on public.appointments (call_id);
create index calcom_oauth_states_user_id_idx on private.calcom_oauth_states (user_id);
create index calcom_oauth_states_expires_at_idx on private.calcom_oauth_states (expires_at);
create index calcom_booking_intents_user_id_idx on private.calcom_booking_intents (user_id);
create index calcom_booking_intents_appointment_id_idx on private.calcom_booking_intents (appointment_id);
create index appointments_rescheduled_from_uid_idx on public.appointments (rescheduled_from_uid);
create index appointments_user_id_created_at_idx on public.appointments (user_id, created_at desc);

-- ---------------------------------------------------------------------------
-- Functions
-- ---------------------------------------------------------------------------

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
revoke all on function public.calcom_start_oauth(text, integer) from public, anon, authenticated, service_role;
grant execute on function public.calcom_start_oauth(text, integer) to authenticated;

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
revoke all on function public.calcom_consume_oauth_state(text) from public, anon, authenticated, service_role;
grant execute on function public.calcom_consume_oauth_state(text) to service_role;

create function private.prune_calcom_oauth_states()
returns integer
language sql
set search_path = ''
as $$
  with pruned as (delete from private.calcom_oauth_states where expires_at < now() - interval '1 day' returning 1)
  select count(*)::integer from pruned
$$;
comment on function private.prune_calcom_oauth_states() is 'Deletes OAuth states expired for more than a day; run hourly by cron.';
revoke all on function private.prune_calcom_oauth_states() from public, anon, authenticated, service_role;

-- Who a function acts for
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
revoke all on function public.calcom_acting_user() from public, anon, authenticated, service_role;
grant execute on function public.calcom_acting_user() to authenticated;

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
revoke all on function public.calcom_save_connection(uuid, jsonb, text, text, text, timestamptz, text[]) from public, anon, authenticated, service_role;
grant execute on function public.calcom_save_connection(uuid, jsonb, text, text, text, timestamptz, text[]) to service_role;

-- Refreshing tokens: one instance claims the refresh, the others wait for its result
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
revoke all on function public.calcom_claim_token_refresh(uuid, text, integer) from public, anon, authenticated, service_role;
grant execute on function public.calcom_claim_token_refresh(uuid, text, integer) to service_role;

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
revoke all on function public.calcom_save_refreshed_tokens(uuid, text, text, text, text, timestamptz) from public, anon, authenticated, service_role;
grant execute on function public.calcom_save_refreshed_tokens(uuid, text, text, text, text, timestamptz) to service_role;

create function public.calcom_release_token_refresh(integration_id uuid)
returns void
language sql
security definer
set search_path = ''
as $$ update public.integrations set token_refresh_claimed_until = null where id = integration_id $$;
comment on function public.calcom_release_token_refresh(uuid) is 'Gives up a refresh claim after Cal.com could not be reached, so the next request may try again at once.';
revoke all on function public.calcom_release_token_refresh(uuid) from public, anon, authenticated, service_role;
grant execute on function public.calcom_release_token_refresh(uuid) to service_role;

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
revoke all on function public.calcom_mark_needs_reauth(uuid, text, text) from public, anon, authenticated, service_role;
grant execute on function public.calcom_mark_needs_reauth(uuid, text, text) to service_role;

create function public.calcom_claim_booking_intent(
  target_user uuid,
  call_id text,
  start_at timestamptz,
  event_type_id bigint,
  customer_name text,
  customer_phone text,
  service text default null,
  lease_seconds integer default 30
) returns table (
  intent_id uuid,
  status text,
  claimed boolean,
  earlier_attempt_uncertain boolean,
  booking_uid text,
  appointment_id uuid
)
language plpgsql
security definer
set search_path = ''
as $$
declare
  intent private.calcom_booking_intents;
begin
  insert into private.calcom_booking_intents (user_id, call_id, start_at, event_type_id, customer_name, customer_phone, service)
  values (target_user, call_id, start_at, event_type_id, customer_name, customer_phone, service)
  on conflict on constraint calcom_booking_intents_call_id_start_at_key do nothing;

  select * into intent
  from private.calcom_booking_intents i
  where i.call_id = calcom_claim_booking_intent.call_id and i.start_at = calcom_claim_booking_intent.start_at
  for update;
  if intent.user_id <> target_user then
    raise exception 'call % is booked for another business', call_id using errcode = '42501';
  end if;

  if intent.status <> 'booked' and (intent.claimed_until is null or intent.claimed_until < now()) then
    update private.calcom_booking_intents i
    set status = 'pending', claimed_until = now() + make_interval(secs => lease_seconds), attempts = i.attempts + 1
    where i.id = intent.id;
    -- An earlier attempt that never settled (lease ran out) or timed out may have reached Cal.com.
    return query select intent.id, intent.status, true, intent.attempts > 0 and intent.status in ('pending', 'unknown'),
                        intent.booking_uid, intent.appointment_id;
  else
    return query select intent.id, intent.status, false, false, intent.booking_uid, intent.appointment_id;
  end if;
end
$$;
comment on function public.calcom_claim_booking_intent(uuid, text, timestamptz, bigint, text, text, text, integer) is 'Records (once) that a call wants a slot and claims the right to book it for a while; says whether it is already booked or held by another attempt, and whether an earlier attempt may have reached Cal.com.';
revoke all on function public.calcom_claim_booking_intent(uuid, text, timestamptz, bigint, text, text, text, integer) from public, anon, authenticated, service_role;
grant execute on function public.calcom_claim_booking_intent(uuid, text, timestamptz, bigint, text, text, text, integer) to service_role;

create function public.calcom_release_booking_intent(intent_id uuid, outcome text, error text)
returns boolean
language sql
security definer
set search_path = ''
as $$
  with released as (
    update private.calcom_booking_intents
    set status = outcome, last_error = left(error, 1000), claimed_until = null
    where id = intent_id and status = 'pending' and outcome in ('failed', 'unknown')
    returning 1
  )
  select exists (select 1 from released)
$$;
comment on function public.calcom_release_booking_intent(uuid, text, text) is 'Settles an attempt that did not book: failed (Cal.com refused) or unknown (no answer; the booking may exist).';
revoke all on function public.calcom_release_booking_intent(uuid, text, text) from public, anon, authenticated, service_role;
grant execute on function public.calcom_release_booking_intent(uuid, text, text) to service_role;

-- Attribution
create function private.calcom_booking_owner(organizer jsonb)
returns table (user_id uuid, matched_by text)
language sql
stable
security definer
set search_path = ''
as $$
  select candidate.user_id, candidate.matched_by
  from (
    select i.user_id, 'calcom_user_id' as matched_by, 1 as rank, i.connected_at as seen_at
    from public.integrations i
    where i.provider = 'calcom' and i.external_user_id = organizer ->> 'id'
    union all
    select i.user_id, 'calcom_username', 2, i.connected_at
    from public.integrations i
    where i.provider = 'calcom' and lower(i.external_username) = lower(organizer ->> 'username')
    union all
    select i.user_id, 'calcom_email', 3, i.connected_at
    from public.integrations i
    where i.provider = 'calcom' and lower(i.external_email) = lower(organizer ->> 'email')
    union all
    select p.id, 'profile_email', 4, p.created_at
    from public.profiles p
    where lower(p.email) = lower(organizer ->> 'email')
  ) as candidate
  order by candidate.rank, candidate.seen_at desc nulls last
  limit 1
$$;
comment on function private.calcom_booking_owner(jsonb) is 'The business a Cal.com organizer ({id, username, email}) belongs to: by stored Cal.com user id, then username, then email (connection, then profile); most recent connection wins a tie.';
revoke all on function private.calcom_booking_owner(jsonb) from public, anon, authenticated, service_role;

-- The outbox payload of an appointment event
create function private.appointment_event_payload(appointment public.appointments)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'appointment_id', appointment.id,
    'source', appointment.source,
    'status', appointment.status,
    'customer_name', appointment.customer_name,
    'customer_phone', appointment.customer_phone,
    'customer_email', appointment.customer_email,
    'service', appointment.service,
    'start_at', appointment.start_at,
    'end_at', appointment.end_at,
    'time_zone', appointment.time_zone,
    'call_id', appointment.call_id,
    'calcom_booking_uid', appointment.calcom_booking_uid,
    'rescheduled_from_uid', appointment.rescheduled_from_uid,
    'cancellation_reason', appointment.cancellation_reason
  )
$$;
comment on function private.appointment_event_payload(public.appointments) is 'What a business''s webhook receives about an appointment (appointment_booked, _rescheduled, _cancelled).';
revoke all on function private.appointment_event_payload(public.appointments) from public, anon, authenticated, service_role;

-- The one upsert path
create function private.calcom_apply_booking(change text, event_at timestamptz, booking jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  booking_uid text := booking ->> 'uid';
  previous_uid text := nullif(booking ->> 'reschedule_uid', '');
  organizer jsonb := coalesce(booking -> 'organizer', '{}'::jsonb);
  intent private.calcom_booking_intents;
  existing public.appointments;
  saved public.appointments;
  owner uuid;
  matched_by text;
  next_status text;
  outcome text;
  outbox_event text;
begin
  if change is null or change not in ('created', 'rescheduled', 'cancelled') then
    raise exception 'change must be created, rescheduled or cancelled' using errcode = '22023';
  end if;
  if booking_uid is null or booking ->> 'start_at' is null or booking ->> 'end_at' is null then
    raise exception 'booking needs uid, start_at and end_at' using errcode = '22023';
  end if;

  -- A booking the agent made names its intent in the metadata; the intent says whose it is and
  -- which call made it. The slot must match, so a reschedule (which copies metadata) is not taken
  -- for the original booking.
  if change = 'created' and booking ->> 'intent_id' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    select * into intent
    from private.calcom_booking_intents i
    where i.id = (booking ->> 'intent_id')::uuid and i.start_at = (booking ->> 'start_at')::timestamptz
    for update;
  end if;

  select * into existing from public.appointments a where a.calcom_booking_uid = booking_uid for update;
  if existing.id is null and previous_uid is not null then
    select * into existing from public.appointments a where a.calcom_booking_uid = previous_uid for update;
  end if;
  if existing.id is null and exists (select 1 from public.appointments a where a.rescheduled_from_uid = booking_uid) then
    -- A late event about a booking that was since replaced by a reschedule: the row moved on.
    return jsonb_build_object('outcome', 'superseded');
  end if;
  if existing.calcom_last_event_at > event_at then
    return jsonb_build_object('outcome', 'stale', 'appointment_id', existing.id, 'user_id', existing.user_id);
  end if;

  if existing.user_id is not null then
    owner := existing.user_id;
    matched_by := 'existing';
  elsif intent.id is not null then
    owner := intent.user_id;
    matched_by := 'booking_intent';
  else
    select o.user_id, o.matched_by into owner, matched_by from private.calcom_booking_owner(organizer) o;
  end if;

  next_status := case
    when change = 'cancelled' or booking ->> 'status' in ('cancelled', 'rejected') then 'cancelled'
    when change = 'rescheduled' then 'rescheduled'
    else 'scheduled'
  end;

  if existing.id is null then
    insert into public.appointments (
      user_id, source, status, customer_name, customer_phone, customer_email, service, notes, start_at, end_at,
      time_zone, call_id, calcom_booking_uid, calcom_booking_id, calcom_event_type_id, calcom_organizer,
      rescheduled_from_uid, cancellation_reason, calcom_last_event_at
    ) values (
      owner,
      case when intent.id is not null then 'ai_call' else 'calcom' end,
      next_status,
      coalesce(nullif(trim(booking ->> 'customer_name'), ''), intent.customer_name, 'Cal.com booking'),
      coalesce(intent.customer_phone, booking ->> 'customer_phone'),
      booking ->> 'customer_email',
      coalesce(intent.service, booking ->> 'service'),
      booking ->> 'notes',
      (booking ->> 'start_at')::timestamptz,
      (booking ->> 'end_at')::timestamptz,
      booking ->> 'time_zone',
      (select c.call_id from public.calls c where c.call_id = intent.call_id),
      booking_uid,
      (booking ->> 'booking_id')::bigint,
      (booking ->> 'event_type_id')::bigint,
      nullif(organizer, '{}'::jsonb),
      previous_uid,
      booking ->> 'cancellation_reason',
      event_at
    )
    returning * into saved;
    outcome := 'inserted';
  else
    update public.appointments a set
      user_id = owner,
      source = case when intent.id is not null then 'ai_call' else a.source end,
      status = next_status,
      customer_name = coalesce(nullif(trim(booking ->> 'customer_name'), ''), a.customer_name),
      customer_phone = coalesce(intent.customer_phone, booking ->> 'customer_phone', a.customer_phone),
      customer_email = coalesce(booking ->> 'customer_email', a.customer_email),
      service = coalesce(a.service, intent.service, booking ->> 'service'),
      notes = coalesce(a.notes, booking ->> 'notes'),
      start_at = (booking ->> 'start_at')::timestamptz,
      end_at = (booking ->> 'end_at')::timestamptz,
      time_zone = coalesce(booking ->> 'time_zone', a.time_zone),
      call_id = coalesce(a.call_id, (select c.call_id from public.calls c where c.call_id = intent.call_id)),
      calcom_booking_uid = booking_uid,
      calcom_booking_id = coalesce((booking ->> 'booking_id')::bigint, a.calcom_booking_id),
      calcom_event_type_id = coalesce((booking ->> 'event_type_id')::bigint, a.calcom_event_type_id),
      calcom_organizer = coalesce(nullif(organizer, '{}'::jsonb), a.calcom_organizer),
      rescheduled_from_uid = case when booking_uid = a.calcom_booking_uid then coalesce(previous_uid, a.rescheduled_from_uid)
                                  else a.calcom_booking_uid end,
      cancellation_reason = coalesce(booking ->> 'cancellation_reason', a.cancellation_reason),
      calcom_last_event_at = event_at
    where a.id = existing.id
    returning * into saved;
    outcome := 'updated';
  end if;

  if intent.id is not null then
    update private.calcom_booking_intents i
    set status = 'booked', booking_uid = saved.calcom_booking_uid, appointment_id = saved.id, claimed_until = null, last_error = null
    where i.id = intent.id;
  end if;

  if saved.user_id is null then
    insert into public.ops_alerts (kind, severity, message, details, dedupe_key)
    values ('calcom_unattributed_booking', 'warning',
            'A Cal.com booking matched no business; it is kept unattributed for review.',
            jsonb_build_object('appointment_id', saved.id, 'booking_uid', booking_uid, 'organizer', organizer, 'start_at', saved.start_at),
            'calcom_unattributed_booking:' || booking_uid)
    on conflict (dedupe_key) where resolved_at is null do nothing;
  else
    outbox_event := case saved.status
      when 'cancelled' then 'appointment_cancelled'
      when 'rescheduled' then 'appointment_rescheduled'
      else 'appointment_booked'
    end;
    insert into public.webhook_queue (user_id, event_type, dedupe_key, payload)
    values (saved.user_id, outbox_event, outbox_event || ':' || saved.calcom_booking_uid, private.appointment_event_payload(saved))
    on conflict (dedupe_key) do nothing;
  end if;

  return jsonb_build_object('outcome', outcome, 'appointment_id', saved.id, 'user_id', saved.user_id, 'matched_by', matched_by);
end
$$;
comment on function private.calcom_apply_booking(text, timestamptz, jsonb) is 'Creates or updates the appointment of a Cal.com booking (change: created, rescheduled, cancelled; booking: the normalised shape of functions/_shared/calcom-bookings.ts, plus optional service and notes), attributes it, settles the agent''s booking intent, alerts on unattributed bookings and writes the outbox event.';
revoke all on function private.calcom_apply_booking(text, timestamptz, jsonb) from public, anon, authenticated, service_role;

-- Entry points (service role)
create function public.calcom_ingest_booking_event(event_id text, trigger_event text, event_at timestamptz, booking jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  result jsonb;
begin
  perform private.lock_calcom_booking(booking);
  insert into public.inbound_webhook_events (provider, event_id, event_type)
  values ('calcom', event_id, trigger_event)
  on conflict on constraint inbound_webhook_events_pkey do nothing;
  if not found then
    return jsonb_build_object('outcome', 'duplicate');
  end if;
  result := private.calcom_apply_booking(
    case trigger_event
      when 'BOOKING_CREATED' then 'created'
      when 'BOOKING_RESCHEDULED' then 'rescheduled'
      when 'BOOKING_CANCELLED' then 'cancelled'
    end,
    event_at,
    booking
  );
  update public.inbound_webhook_events e set processed_at = now()
  where e.provider = 'calcom' and e.event_id = calcom_ingest_booking_event.event_id;
  return result;
end
$$;
comment on function public.calcom_ingest_booking_event(text, text, timestamptz, jsonb) is 'Applies one verified Cal.com booking webhook exactly once (event_id: trigger, uid and createdAt).';
revoke all on function public.calcom_ingest_booking_event(text, text, timestamptz, jsonb) from public, anon, authenticated, service_role;
grant execute on function public.calcom_ingest_booking_event(text, text, timestamptz, jsonb) to service_role;

create function public.calcom_apply_booking_change(change text, booking jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.lock_calcom_booking(booking);
  return private.calcom_apply_booking(change, now(), booking);
end
$$;
comment on function public.calcom_apply_booking_change(text, jsonb) is 'Applies a booking change our functions just made at Cal.com (the agent''s booking, a reschedule or cancellation), before Cal.com''s webhook about it arrives.';
revoke all on function public.calcom_apply_booking_change(text, jsonb) from public, anon, authenticated, service_role;
grant execute on function public.calcom_apply_booking_change(text, jsonb) to service_role;

-- Owners delete only their manual appointments. A row that carries a Cal.com booking is cancelled
-- through the appointments function (POST /appointments/<id>/cancel), which cancels the booking at
-- Cal.com first; a client's DELETE of it would leave the booking accepted at Cal.com. The guard
-- refuses such deletes as it refuses changes to what Cal.com owns, with the same 42501
-- (PostgREST: 403) and a message saying what to do instead.
create function private.guard_calcom_appointment_changes()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  -- current_user is the role of the statement: a client writing through PostgREST, not our
  -- functions (service role) or security-definer RPCs.
  if current_user <> 'authenticated' or old.calcom_booking_uid is null then
    return case when tg_op = 'DELETE' then old else new end;
  end if;
  if tg_op = 'DELETE' then
    raise exception 'appointment % is a Cal.com booking: cancel it through appointments/%/cancel instead of deleting it', old.id, old.id
      using errcode = '42501';
  end if;
  if new.start_at is distinct from old.start_at
     or new.end_at is distinct from old.end_at
     or (new.status = 'cancelled') is distinct from (old.status = 'cancelled') then
    raise exception 'appointment % is a Cal.com booking: reschedule or cancel it through the appointments function', old.id
      using errcode = '42501';
  end if;
  return new;
end
$$;
comment on function private.guard_calcom_appointment_changes() is 'Trigger: refuses client changes to the time or cancellation of a Cal.com booking, and client deletes of one, which must be made at Cal.com too.';
revoke all on function private.guard_calcom_appointment_changes() from public, anon, authenticated, service_role;

-- Every error an RPC raises on purpose reaches the caller as a 4xx with a stable code. PostgREST
-- answers SQLSTATE P0002 (no_data_found) and class 55 (object_not_in_prerequisite_state) with 500,
-- so "not found" and "not in a state that allows this" are raised as PT404 and PT409: PostgREST
-- answers a PTxyz SQLSTATE with HTTP status xyz and the code "PTxyz" (PostgREST 12, "Errors",
-- RAISE errors with HTTP status codes). The functions are otherwise unchanged;
-- supabase/tests/rls/rpc_error_statuses.test.sql keeps every raise away from a 5xx.

-- Not found: PT404
create function public.appointment_for_change(appointment_id uuid, action text)
returns table(id uuid, user_id uuid, status text, start_at timestamp with time zone, end_at timestamp with time zone, time_zone text, calcom_booking_uid text)
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
    raise exception 'no appointment % of yours', appointment_id using errcode = 'PT404';
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
revoke all on function public.appointment_for_change(uuid, text) from public, anon, authenticated, service_role;
grant execute on function public.appointment_for_change(uuid, text) to authenticated;

-- Changes to the same Cal.com booking run one at a time. Our function's reschedule and Cal.com's
-- BOOKING_RESCHEDULED about it (or a cancellation racing a reschedule) could otherwise both miss
-- the row the other is moving and both insert it, and one would fail on the unique booking uid.
-- Both entry points take a transaction lock on the booking's uid and, for a reschedule, the uid
-- it replaces (in a fixed order, so two of them never wait on each other).
create function private.lock_calcom_booking(booking jsonb)
returns void
language sql
set search_path = ''
as $$
  select pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('calcom_booking:' || uid, 0))
  from (
    select distinct uid
    from unnest(array[booking ->> 'uid', nullif(booking ->> 'reschedule_uid', '')]) as uids(uid)
    where uid is not null
    order by uid
  ) as ordered
$$;
comment on function private.lock_calcom_booking(jsonb) is 'Waits for, then holds until commit, the locks of a booking''s uid and the uid it replaces, in uid order.';
revoke all on function private.lock_calcom_booking(jsonb) from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------

create policy "Users create their own appointments" on public.appointments for insert to authenticated
  with check (user_id = (select private.effective_user_id()) and source = 'manual');

create policy "Users update their own appointments" on public.appointments for update to authenticated
  using (user_id = (select private.effective_user_id())) with check (user_id = (select private.effective_user_id()));

create policy "Users delete their own appointments" on public.appointments for delete to authenticated
  using (user_id = (select private.effective_user_id()));

create policy "Users read their own appointments, admins every one" on public.appointments for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

-- ---------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------

create trigger appointments_set_updated_at before update on public.appointments for each row execute function private.set_updated_at();

create trigger appointments_audit_impersonated_write after insert or update or delete on public.appointments
  for each row execute function private.audit_impersonated_write();

create trigger calcom_oauth_states_audit_impersonated_write after insert on private.calcom_oauth_states
  for each row execute function private.audit_impersonated_write();

create trigger calcom_booking_intents_set_updated_at before update on private.calcom_booking_intents
  for each row execute function private.set_updated_at();

create trigger appointments_guard_calcom_changes before update on public.appointments
  for each row execute function private.guard_calcom_appointment_changes();

create trigger appointments_guard_calcom_deletes before delete on public.appointments
  for each row execute function private.guard_calcom_appointment_changes();

create trigger appointments_call_id_same_owner before insert or update of call_id, user_id on public.appointments
  for each row execute function private.refuse_reference_to_other_owner('appointments_call_id_fkey');
