-- ============================================================================
-- Outbound webhooks: the business's endpoints, the outbox events are written to in the transaction
-- that caused them, per-endpoint deliveries the webhook-dispatcher function sends and retries, the
-- endpoint safety checks and the owner's actions (test, replay, rotate secret).
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

-- Outbound webhooks: the endpoints a business configures (Zapier and the like), the outbox of events
-- to deliver to them, and the log of delivery attempts. Events are written to the outbox in the same
-- transaction as the change they describe.
create table public.webhook_configs (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default private.effective_user_id() references auth.users (id) on delete cascade,
  url text not null check (url ~ '^https?://[^\s/$.?#].[^\s]*$' and length(url) <= 2000),
  description text check (length(description) <= 200),
  events text[] not null default '{call_ended,lead_created,appointment_booked}'
    check (events <@ array['call_ended', 'lead_created', 'appointment_booked', 'appointment_rescheduled', 'appointment_cancelled', 'sms_received']
           and cardinality(events) > 0),
  secret text not null default 'whsec_' || encode(extensions.gen_random_bytes(24), 'base64'),
  active boolean not null default true,
  disabled_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  previous_secret text,
  previous_secret_expires_at timestamptz,
  disabled_at timestamptz,
  failing_since timestamptz,
  last_success_at timestamptz,
  constraint webhook_configs_previous_secret_expiry check ((previous_secret is null) = (previous_secret_expires_at is null))
);
comment on table public.webhook_configs is 'Endpoints a business wants its events sent to, and which events; signed with the per-endpoint secret.';
comment on column public.webhook_configs.user_id is 'Owner; defaults to the effective user (the caller, or the user an admin impersonates).';
comment on column public.webhook_configs.secret is 'Signing secret (whsec_ + base64 key bytes); Standard Webhooks signatures use the decoded key.';
comment on column public.webhook_configs.previous_secret is 'The secret before the last rotation; it signs too (a second signature) until previous_secret_expires_at.';
comment on column public.webhook_configs.previous_secret_expires_at is 'When the previous secret stops signing: 24 hours after the rotation.';
comment on column public.webhook_configs.disabled_reason is 'Why the engine disabled the endpoint: gone (it answered 410), failing (every delivery failed for 5 days). Cleared when it is enabled again.';
comment on column public.webhook_configs.disabled_at is 'When the engine disabled the endpoint.';
comment on column public.webhook_configs.failing_since is 'First failed attempt since the last success (replays not counted); after 5 days of only failures the endpoint is disabled.';
comment on column public.webhook_configs.last_success_at is 'Last attempt the endpoint answered with 2xx.';
alter table public.webhook_configs enable row level security;
revoke all on public.webhook_configs from anon, authenticated, service_role;
grant select, delete on public.webhook_configs to authenticated;
grant insert (user_id, url, description, events, active) on public.webhook_configs to authenticated;
grant update (url, description, events, active) on public.webhook_configs to authenticated;

create table public.webhook_queue (
  id bigint generated always as identity primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  event_type text not null,
  dedupe_key text not null unique,
  payload jsonb not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.webhook_queue is 'Outbox of events for the business''s webhooks, written in the transaction that caused them and never changed; dedupe_key makes a repeated event a no-op. Delivery state is in webhook_endpoint_deliveries.';
alter table public.webhook_queue enable row level security;
revoke all on public.webhook_queue from anon, authenticated, service_role;
grant select on public.webhook_queue to authenticated;
revoke all on sequence public.webhook_queue_id_seq from anon, authenticated, service_role;

-- Deliveries: one per event per endpoint
create table public.webhook_endpoint_deliveries (
  id bigint generated always as identity primary key,
  event_id bigint not null references public.webhook_queue (id) on delete cascade,
  webhook_config_id uuid not null references public.webhook_configs (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  message_id text not null unique default 'msg_' || replace(gen_random_uuid()::text, '-', ''),
  status text not null default 'pending' check (status in ('pending', 'delivering', 'delivered', 'dead')),
  attempts integer not null default 0 check (attempts >= 0),
  next_attempt_at timestamptz not null default now(),
  claim_id uuid,
  claim_expires_at timestamptz,
  replay boolean not null default false,
  last_status_code integer,
  last_error text,
  dead_reason text check (dead_reason in ('attempts_exhausted', 'gone', 'aborted', 'payload_too_large', 'unsafe_target')),
  delivered_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (event_id, webhook_config_id),
  constraint webhook_endpoint_deliveries_claim check ((status = 'delivering') = (claim_id is not null) and (claim_id is null) = (claim_expires_at is null)),
  constraint webhook_endpoint_deliveries_dead_reason check ((status = 'dead') = (dead_reason is not null))
);
comment on table public.webhook_endpoint_deliveries is 'One delivery of an outbox event to one endpoint, with its state (pending, delivering under a claim, delivered, dead); its attempts are in webhook_deliveries.';
comment on column public.webhook_endpoint_deliveries.message_id is 'The webhook-id header: the same on every attempt and replay, so the receiver can deduplicate.';
comment on column public.webhook_endpoint_deliveries.attempts is 'Attempts recorded so far (a claim whose worker vanished is not one).';
comment on column public.webhook_endpoint_deliveries.claim_expires_at is 'Visibility deadline: after it, another worker may claim the delivery again.';
comment on column public.webhook_endpoint_deliveries.replay is 'Requested again by the owner or an admin: one more attempt, not retried and not counted towards auto-disable.';
comment on column public.webhook_endpoint_deliveries.dead_reason is 'Why a delivery stopped: attempts_exhausted, gone (410), aborted (webhook-delivery: abort-message), payload_too_large, unsafe_target.';
alter table public.webhook_endpoint_deliveries enable row level security;
revoke all on public.webhook_endpoint_deliveries from anon, authenticated, service_role;
grant select on public.webhook_endpoint_deliveries to authenticated;
revoke all on sequence public.webhook_endpoint_deliveries_id_seq from anon, authenticated, service_role;

create table public.webhook_deliveries (
  id bigint generated always as identity primary key,
  queue_id bigint not null references public.webhook_queue (id) on delete cascade,
  webhook_config_id uuid references public.webhook_configs (id) on delete set null,
  user_id uuid not null references auth.users (id) on delete cascade,
  attempt integer not null check (attempt > 0),
  status_code integer,
  error text,
  duration_ms integer,
  created_at timestamptz not null default now(),
  delivery_id bigint not null references public.webhook_endpoint_deliveries (id) on delete cascade,
  response_excerpt text check (length(response_excerpt) <= 1024),
  replay boolean not null default false
);
comment on table public.webhook_deliveries is 'One row per attempt of a delivery (webhook_endpoint_deliveries): when, status code, duration, the start of the response body, error.';
comment on column public.webhook_deliveries.response_excerpt is 'At most the first 1024 characters of the receiver''s response body.';
comment on column public.webhook_deliveries.replay is 'The attempt was a replay asked for by the owner or an admin.';
alter table public.webhook_deliveries enable row level security;
revoke all on public.webhook_deliveries from anon, authenticated, service_role;
grant select on public.webhook_deliveries to authenticated;
revoke all on sequence public.webhook_deliveries_id_seq from anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------

create index webhook_configs_user_id_idx on public.webhook_configs (user_id);
create index webhook_queue_user_id_idx on public.webhook_queue (user_id, created_at desc);
create index webhook_deliveries_queue_id_idx on public.webhook_deliveries (queue_id);
create index webhook_deliveries_webhook_config_id_idx on public.webhook_deliveries (webhook_config_id, created_at desc);
create index webhook_deliveries_user_id_idx on public.webhook_deliveries (user_id, created_at desc);
create index webhook_endpoint_deliveries_due_idx on public.webhook_endpoint_deliveries (next_attempt_at) where status = 'pending';
create index webhook_endpoint_deliveries_claimed_idx on public.webhook_endpoint_deliveries (claim_expires_at) where status = 'delivering';
create index webhook_endpoint_deliveries_endpoint_idx on public.webhook_endpoint_deliveries (webhook_config_id, created_at desc);
create index webhook_endpoint_deliveries_user_id_idx on public.webhook_endpoint_deliveries (user_id, created_at desc);
create index webhook_deliveries_delivery_id_idx on public.webhook_deliveries (delivery_id, created_at);

-- ---------------------------------------------------------------------------
-- Functions
-- ---------------------------------------------------------------------------

-- Small pure helpers
create function private.webhook_retry_delay(failed_attempt integer, jitter double precision)
returns interval
language sql
immutable
set search_path = ''
as $$
  select (array[interval '5 seconds', interval '5 minutes', interval '30 minutes', interval '2 hours', interval '5 hours',
                interval '10 hours', interval '14 hours', interval '20 hours', interval '24 hours'])[failed_attempt]
         * (0.9 + 0.2 * least(greatest(jitter, 0), 1))
$$;
comment on function private.webhook_retry_delay(integer, double precision) is 'Delay after the nth failed attempt (the first attempt is immediate): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h, each within ±10 % by jitter in [0, 1]; null after the 10th attempt (dead letter).';
revoke all on function private.webhook_retry_delay(integer, double precision) from public, anon, authenticated, service_role;

create function private.webhook_claim_visibility()
returns interval
language sql
immutable
set search_path = ''
as $$ select interval '45 seconds' $$;
comment on function private.webhook_claim_visibility() is 'How long a claimed delivery stays invisible to other workers: a batch is sent concurrently with a 15 s timeout per request, so a live worker records well before this.';
revoke all on function private.webhook_claim_visibility() from public, anon, authenticated, service_role;

-- Kicking the dispatcher
create function private.kick_webhook_dispatcher()
returns bigint
language sql
security definer
set search_path = ''
as $$ select private.call_function('webhook-dispatcher') $$;
comment on function private.kick_webhook_dispatcher() is 'Asks the webhook-dispatcher function to deliver what is due. Losing a kick is harmless: the sweep kicks every minute.';
revoke all on function private.kick_webhook_dispatcher() from public, anon, authenticated, service_role;

-- Fan-out: in the event's own transaction, so an endpoint created later does not get it
create function private.fan_out_webhook_events()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.webhook_endpoint_deliveries (event_id, webhook_config_id, user_id)
  select e.id, c.id, e.user_id
  from new_events e
  join public.webhook_configs c on c.user_id = e.user_id and c.active and e.event_type = any (c.events);
  return null;
end
$$;
comment on function private.fan_out_webhook_events() is 'Trigger: one delivery per new outbox event per active endpoint of its business subscribed to its type.';
revoke all on function private.fan_out_webhook_events() from public, anon, authenticated, service_role;

create function private.kick_for_new_deliveries()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if exists (select 1 from new_deliveries) then
    perform private.kick_webhook_dispatcher();
  end if;
  return null;
end
$$;
comment on function private.kick_for_new_deliveries() is 'Trigger: one dispatcher kick per statement that created deliveries, however many.';
revoke all on function private.kick_for_new_deliveries() from public, anon, authenticated, service_role;

-- The dispatcher's steps (service role)
create function public.webhook_claim_deliveries(max_deliveries integer)
returns table (
  delivery_id bigint, claim_id uuid, message_id text, attempt integer, replay boolean, url text,
  secrets text[], body text
)
language plpgsql
security definer
set search_path = ''
as $$
declare
  claim uuid := gen_random_uuid();
begin
  return query
  with due as (
    select d.id from public.webhook_endpoint_deliveries d
    join public.webhook_configs c on c.id = d.webhook_config_id
    where c.active
      and ((d.status = 'pending' and d.next_attempt_at <= now())
           or (d.status = 'delivering' and d.claim_expires_at < now()))
    order by d.next_attempt_at
    limit least(greatest(max_deliveries, 1), 500)
    for update of d skip locked
  ), claimed as (
    update public.webhook_endpoint_deliveries d
    set status = 'delivering', claim_id = claim, claim_expires_at = now() + private.webhook_claim_visibility()
    from due where d.id = due.id
    returning d.*
  )
  select cl.id, claim, cl.message_id, cl.attempts + 1, cl.replay, c.url,
         array_remove(array[c.secret, case when c.previous_secret_expires_at > now() then c.previous_secret end], null),
         jsonb_build_object('type', e.event_type, 'timestamp', to_char(e.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                            'data', e.payload)::text
  from claimed cl
  join public.webhook_configs c on c.id = cl.webhook_config_id
  join public.webhook_queue e on e.id = cl.event_id
  order by cl.next_attempt_at;
end
$$;
comment on function public.webhook_claim_deliveries(integer) is 'webhook-dispatcher: claims up to max_deliveries (at most 500) due deliveries of active endpoints (pending and due, or claimed by a worker whose deadline passed) with for update skip locked, and returns what sending needs: the webhook-id, the attempt number, the URL, the secrets that sign now (current first) and the envelope {type, timestamp, data}.';
revoke all on function public.webhook_claim_deliveries(integer) from public, anon, authenticated, service_role;
grant execute on function public.webhook_claim_deliveries(integer) to service_role;

create function public.webhook_next_due_in()
returns double precision
language sql
stable
security definer
set search_path = ''
as $$
  select greatest(extract(epoch from min(d.next_attempt_at) - now()), 0)::double precision
  from public.webhook_endpoint_deliveries d
  join public.webhook_configs c on c.id = d.webhook_config_id
  where d.status = 'pending' and c.active
$$;
comment on function public.webhook_next_due_in() is 'webhook-dispatcher: seconds until the next pending delivery of an active endpoint is due (0 when one is due now), or null when none is pending; lets a run wait for a 5-second retry instead of leaving it to the minute sweep.';
revoke all on function public.webhook_next_due_in() from public, anon, authenticated, service_role;
grant execute on function public.webhook_next_due_in() to service_role;

create function public.webhook_record_attempts(claim uuid, results jsonb)
returns table (webhook_config_id uuid, user_id uuid, url text, disabled_reason text, owner_email text)
language plpgsql
security definer
set search_path = ''
as $$
declare
  -- The results this claim still may record, with what the next steps need. A worker whose claim
  -- expired and was taken over records nothing: the new claim decides.
  accepted jsonb;
begin
  -- results: [{delivery_id, status_code, error, duration_ms, response_excerpt, retry_after_seconds,
  --            outcome: delivered | failed | gone | aborted | payload_too_large | unsafe_target}]
  select coalesce(jsonb_agg(to_jsonb(r) || jsonb_build_object(
           'config_id', d.webhook_config_id, 'owner_id', d.user_id, 'event_id', d.event_id,
           'attempt', d.attempts + 1, 'was_replay', d.replay)), '[]'::jsonb)
  into accepted
  from jsonb_to_recordset(results) as r(
    delivery_id bigint, status_code integer, error text, duration_ms integer, response_excerpt text,
    retry_after_seconds integer, outcome text)
  join public.webhook_endpoint_deliveries d on d.id = r.delivery_id
  where d.claim_id = claim and d.status = 'delivering'
    and r.outcome in ('delivered', 'failed', 'gone', 'aborted', 'payload_too_large', 'unsafe_target');

  insert into public.webhook_deliveries (queue_id, webhook_config_id, user_id, attempt, status_code, error, duration_ms,
                                         response_excerpt, delivery_id, replay)
  select a.event_id, a.config_id, a.owner_id, a.attempt, a.status_code, left(a.error, 1000), a.duration_ms,
         left(a.response_excerpt, 1024), a.delivery_id, a.was_replay
  from jsonb_to_recordset(accepted) as a(
    delivery_id bigint, status_code integer, error text, duration_ms integer, response_excerpt text,
    event_id bigint, config_id uuid, owner_id uuid, attempt integer, was_replay boolean);

  update public.webhook_endpoint_deliveries d
  set attempts = a.attempt, claim_id = null, claim_expires_at = null,
      last_status_code = a.status_code, last_error = left(a.error, 1000),
      status = case when a.outcome = 'delivered' then 'delivered'
                    when a.outcome <> 'failed' or a.was_replay or next.delay is null then 'dead'
                    else 'pending' end,
      dead_reason = case when a.outcome = 'delivered' then null
                         when a.outcome <> 'failed' then a.outcome
                         when a.was_replay or next.delay is null then 'attempts_exhausted' end,
      delivered_at = case when a.outcome = 'delivered' then now() else d.delivered_at end,
      next_attempt_at = case when a.outcome = 'failed' and not a.was_replay and next.delay is not null
                             then now() + next.delay else d.next_attempt_at end,
      replay = false
  from jsonb_to_recordset(accepted) as a(
    delivery_id bigint, status_code integer, error text, retry_after_seconds integer, outcome text,
    attempt integer, was_replay boolean)
  cross join lateral (
    -- 429 and 503 say when to come back (at most a day); anything else follows the schedule.
    select case when a.status_code in (429, 503) and a.retry_after_seconds is not null and private.webhook_retry_delay(a.attempt, 0) is not null
                then make_interval(secs => least(greatest(a.retry_after_seconds, 1), 86400))
                else private.webhook_retry_delay(a.attempt, random()) end as delay
  ) as next
  where d.id = a.delivery_id and d.claim_id = claim;

  -- Endpoint health, from this batch's regular attempts (replays never count).
  update public.webhook_configs c
  set last_success_at = case when h.any_success then now() else c.last_success_at end,
      failing_since = case when h.any_success then null else coalesce(c.failing_since, now()) end
  from (
    select a.config_id, bool_or(a.outcome = 'delivered') as any_success
    from jsonb_to_recordset(accepted) as a(config_id uuid, outcome text, was_replay boolean)
    where not a.was_replay group by a.config_id
  ) as h
  where c.id = h.config_id;

  -- 410 Gone (the receiver's own word, replay or not), or five days of nothing but failures: the
  -- endpoint is disabled (once: it must be active).
  return query
  with batch as (
    select a.config_id, bool_or(a.outcome = 'gone') as gone, bool_or(not a.was_replay) as regular
    from jsonb_to_recordset(accepted) as a(config_id uuid, outcome text, was_replay boolean)
    group by a.config_id
  ), disabled as (
    update public.webhook_configs c
    set active = false, disabled_at = now(), disabled_reason = case when b.gone then 'gone' else 'failing' end
    from batch b
    where c.id = b.config_id and c.active
      and (b.gone or (b.regular and c.failing_since <= now() - interval '5 days'))
    returning c.id, c.user_id, c.url, c.disabled_reason
  ), alerted as (
    insert into public.ops_alerts (kind, severity, message, user_id, details, dedupe_key)
    select 'webhook_endpoint_disabled', 'warning',
           'Webhook endpoint disabled (' || d.disabled_reason || '): ' || d.url, d.user_id,
           jsonb_build_object('webhook_config_id', d.id, 'url', d.url, 'reason', d.disabled_reason),
           'webhook_endpoint_disabled:' || d.id
    from disabled d
    on conflict (dedupe_key) where resolved_at is null do nothing
  )
  select d.id, d.user_id, d.url, d.disabled_reason, u.email::text
  from disabled d join auth.users u on u.id = d.user_id;
end
$$;
comment on function public.webhook_record_attempts(uuid, jsonb) is 'webhook-dispatcher: records a batch''s attempts under its claim (attempt log, next state: delivered, retry at the scheduled time or Retry-After, dead letter) and endpoint health; disables endpoints that answered 410 or failed for 5 days with an ops alert. Returns the endpoints it just disabled, so their owners are emailed once.';
revoke all on function public.webhook_record_attempts(uuid, jsonb) from public, anon, authenticated, service_role;
grant execute on function public.webhook_record_attempts(uuid, jsonb) to service_role;

-- The minute sweep: anything due or abandoned, whatever happened to its kick
create function private.kick_due_webhook_deliveries()
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  if exists (
    select 1 from public.webhook_endpoint_deliveries d
    join public.webhook_configs c on c.id = d.webhook_config_id
    where c.active
      and ((d.status = 'pending' and d.next_attempt_at <= now()) or (d.status = 'delivering' and d.claim_expires_at < now()))
  ) then
    perform private.kick_webhook_dispatcher();
    return true;
  end if;
  return false;
end
$$;
comment on function private.kick_due_webhook_deliveries() is 'Kicks the dispatcher when any delivery is due or was abandoned by its worker. Run every minute by cron; overlapping runs are harmless because claims are exclusive.';
revoke all on function private.kick_due_webhook_deliveries() from public, anon, authenticated, service_role;

-- Safety of webhook targets (SSRF). An endpoint saved through the Data API must be https and name a
-- public host: no loopback, private, link-local (169.254.169.254), multicast or reserved address
-- literal, no localhost or internal names. SQL cannot resolve DNS, so names are resolved, and
-- every address checked again, by webhook-dispatcher right before each delivery (DNS can change)
-- and by the webhooks function when it saves an endpoint.
--
-- The column check itself also allows http: the functions (service role) save and deliver to plain
-- http://127.0.0.1 only when WEBHOOK_ALLOW_LOOPBACK_TARGETS is set, which only the local stack does.
create function private.non_public_address(address inet)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select case when family(address) = 4 then
    address <<= any (array['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12',
                          '192.0.0.0/24', '192.0.2.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24',
                          '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4']::inet[])
  else
    address <<= any (array['::/128', '::1/128', '::ffff:0:0/96', '64:ff9b::/96', '100::/64', '2001:db8::/32',
                          'fc00::/7', 'fe80::/10', 'ff00::/8']::inet[])
  end
$$;
comment on function private.non_public_address(inet) is 'True for addresses a webhook must never reach: loopback, private, carrier-grade NAT, link-local (cloud metadata), documentation, benchmarking, multicast, reserved, unspecified, and the IPv6 equivalents (unique local, link-local, multicast, NAT64, and every IPv4-mapped address).';
revoke all on function private.non_public_address(inet) from public, anon, authenticated, service_role;

create function private.webhook_url_problem(url text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  parts text[] := regexp_match(url, '^([a-zA-Z][a-zA-Z0-9+.-]*)://([^/?#]*@)?(\[[^\]/]*\]|[^/?#:@]*)(:[0-9]{1,5})?([/?#].*)?$');
  host text := lower(parts[3]);
  address inet;
begin
  if parts is null then
    return 'is not a URL';
  elsif lower(parts[1]) <> 'https' then
    return 'must use https';
  elsif parts[2] is not null then
    return 'must not carry a user name or password';
  elsif host = '' then
    return 'has no host';
  elsif host = 'localhost' or host ~ '\.(localhost|local|internal|localdomain|home\.arpa)\.?$' or host !~ '\.' and host !~ '^\[' then
    return 'must name a public host';
  elsif host ~ '^[0-9.]+$' or host ~ '^0x' or host ~ '^\[' then
    -- An address literal; numeric forms other than dotted quads (2130706433, 0x7f.1) are refused outright.
    begin
      address := trim(both '[]' from host)::inet;
    exception when invalid_text_representation then
      return 'has an address that is not a plain IPv4 or IPv6 literal';
    end;
    if host !~ '^\[' and host !~ '^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$' then
      return 'has an address that is not a plain IPv4 or IPv6 literal';
    elsif private.non_public_address(address) then
      return 'points at a private, loopback, link-local or reserved address';
    end if;
  end if;
  return null;
end
$$;
comment on function private.webhook_url_problem(text) is 'Why a URL may not be a webhook endpoint saved through the Data API (not https, credentials, no public host, a non-public address literal), or null when it may. Names are resolved and checked at delivery.';
revoke all on function private.webhook_url_problem(text) from public, anon, authenticated, service_role;

create function private.refuse_unsafe_webhook_url()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  problem text := private.webhook_url_problem(new.url);
begin
  -- Owners and admins write through the Data API as authenticated (the request's role, which a
  -- security definer function does not change); the functions (service role) check targets
  -- themselves, with DNS and the loopback setting.
  -- A missing url is left to its not-null constraint.
  if current_setting('role', true) in ('anon', 'authenticated') and problem is not null and new.url is not null then
    raise exception 'webhook url %', problem using errcode = '23514';
  end if;
  return new;
end
$$;
comment on function private.refuse_unsafe_webhook_url() is 'Trigger: refuses a webhook endpoint saved through the Data API whose URL private.webhook_url_problem() refuses (check_violation).';
revoke all on function private.refuse_unsafe_webhook_url() from public, anon, authenticated, service_role;

-- What owners and admins do with their webhook endpoints, as RPCs (reads are plain tables under
-- RLS: webhook_configs, webhook_endpoint_deliveries, webhook_deliveries): send a test event,
-- replay one delivery or every failed one in a time range, rotate the signing secret, and enable
-- an endpoint the engine disabled. Each is allowed to the endpoint's owner (or an admin
-- impersonating them) and to an admin, and is audited.
create function private.webhook_endpoint_of_caller(endpoint uuid)
returns public.webhook_configs
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  found_endpoint public.webhook_configs;
begin
  select * into found_endpoint from public.webhook_configs c
  where c.id = endpoint and (c.user_id = private.effective_user_id() or private.acting_as_admin());
  -- Someone else's endpoint is answered like a missing one: its existence is not the caller's business.
  if found_endpoint.id is null then
    raise exception 'no webhook endpoint %', endpoint using errcode = 'PT404';
  end if;
  return found_endpoint;
end
$$;
comment on function private.webhook_endpoint_of_caller(uuid) is 'The endpoint, when the caller owns it (or impersonates its owner) or is an admin; PT404 otherwise.';
revoke all on function private.webhook_endpoint_of_caller(uuid) from public, anon, authenticated, service_role;

-- Test event
create function public.send_test_webhook(endpoint uuid)
returns table (delivery_id bigint, message_id text)
language plpgsql
security definer
set search_path = ''
as $$
declare
  target public.webhook_configs := private.webhook_endpoint_of_caller(endpoint);
  event_id bigint;
begin
  if not target.active then
    raise exception 'the webhook endpoint is disabled (%); enable it first', coalesce(target.disabled_reason, 'by its owner')
      using errcode = 'PT409';
  end if;
  -- No endpoint subscribes to webhook.test, so the fan-out adds nothing: the test goes to this one.
  insert into public.webhook_queue (user_id, event_type, dedupe_key, payload)
  values (target.user_id, 'webhook.test', 'webhook.test:' || gen_random_uuid(),
          jsonb_build_object('webhook_config_id', target.id, 'message', 'Test event sent from the dashboard'))
  returning id into event_id;
  perform private.write_audit('webhook.test_sent', target.user_id, jsonb_build_object('event_id', event_id),
                              'webhook_configs', target.id::text);
  return query
  insert into public.webhook_endpoint_deliveries as d (event_id, webhook_config_id, user_id)
  values (event_id, target.id, target.user_id)
  returning d.id, d.message_id;
end
$$;
comment on function public.send_test_webhook(uuid) is 'Sends a webhook.test event to one active endpoint, delivered and logged like any other. Returns its delivery id and webhook-id.';
revoke all on function public.send_test_webhook(uuid) from public, anon, authenticated, service_role;
grant execute on function public.send_test_webhook(uuid) to authenticated;

-- Replays: same webhook-id, the current secret, one attempt, not counted towards auto-disable
create function public.replay_webhook_delivery(delivery bigint)
returns public.webhook_endpoint_deliveries
language plpgsql
security definer
set search_path = ''
as $$
declare
  target public.webhook_endpoint_deliveries;
  endpoint public.webhook_configs;
begin
  select * into target from public.webhook_endpoint_deliveries d where d.id = delivery for update;
  if target.id is null then
    raise exception 'no webhook delivery %', delivery using errcode = 'PT404';
  end if;
  endpoint := private.webhook_endpoint_of_caller(target.webhook_config_id);
  if target.status not in ('delivered', 'dead') then
    raise exception 'the delivery is still % and will be attempted again by itself', target.status using errcode = 'PT409';
  end if;
  update public.webhook_endpoint_deliveries d
  set status = 'pending', dead_reason = null, replay = true, next_attempt_at = now()
  where d.id = delivery
  returning * into target;
  perform private.write_audit('webhook.delivery_replayed', endpoint.user_id,
    jsonb_build_object('delivery_id', delivery, 'message_id', target.message_id), 'webhook_endpoint_deliveries', delivery::text);
  perform private.kick_webhook_dispatcher();
  return target;
end
$$;
comment on function public.replay_webhook_delivery(bigint) is 'Sends a delivered or dead delivery once more (same webhook-id, signed with the current secret); the attempt does not count towards auto-disable.';
revoke all on function public.replay_webhook_delivery(bigint) from public, anon, authenticated, service_role;
grant execute on function public.replay_webhook_delivery(bigint) to authenticated;

create function public.replay_failed_webhook_deliveries(endpoint uuid, created_from timestamptz, created_to timestamptz)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  target public.webhook_configs := private.webhook_endpoint_of_caller(endpoint);
  replayed integer;
begin
  if created_from is null or created_to is null or created_to <= created_from then
    raise exception 'give a time range whose end is after its start' using errcode = '22023';
  end if;
  update public.webhook_endpoint_deliveries d
  set status = 'pending', dead_reason = null, replay = true, next_attempt_at = now()
  where d.webhook_config_id = target.id and d.status = 'dead'
    and d.created_at >= created_from and d.created_at < created_to;
  get diagnostics replayed = row_count;
  perform private.write_audit('webhook.deliveries_replayed', target.user_id,
    jsonb_build_object('from', created_from, 'to', created_to, 'count', replayed), 'webhook_configs', target.id::text);
  if replayed > 0 then
    perform private.kick_webhook_dispatcher();
  end if;
  return replayed;
end
$$;
comment on function public.replay_failed_webhook_deliveries(uuid, timestamptz, timestamptz) is 'Replays every dead delivery of an endpoint created in [created_from, created_to); returns how many.';
revoke all on function public.replay_failed_webhook_deliveries(uuid, timestamptz, timestamptz) from public, anon, authenticated, service_role;
grant execute on function public.replay_failed_webhook_deliveries(uuid, timestamptz, timestamptz) to authenticated;

-- Secret rotation: both secrets sign for 24 hours
create function public.rotate_webhook_secret(endpoint uuid)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  target public.webhook_configs := private.webhook_endpoint_of_caller(endpoint);
  new_secret text := 'whsec_' || encode(extensions.gen_random_bytes(24), 'base64');
begin
  update public.webhook_configs c
  set previous_secret = c.secret, previous_secret_expires_at = now() + interval '24 hours', secret = new_secret
  where c.id = target.id;
  perform private.write_audit('webhook.secret_rotated', target.user_id, '{}'::jsonb, 'webhook_configs', target.id::text);
  return new_secret;
end
$$;
comment on function public.rotate_webhook_secret(uuid) is 'Gives the endpoint a new signing secret and returns it; the old one keeps signing (a second signature) for 24 hours so the receiver can switch over.';
revoke all on function public.rotate_webhook_secret(uuid) from public, anon, authenticated, service_role;
grant execute on function public.rotate_webhook_secret(uuid) to authenticated;

-- Enabling an endpoint again
create function private.reset_webhook_endpoint_health()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.disabled_reason := null;
  new.disabled_at := null;
  new.failing_since := null;
  return new;
end
$$;
comment on function private.reset_webhook_endpoint_health() is 'Trigger: an endpoint made active again (the owner''s update of active) starts with a clean bill of health; its pending deliveries resume.';
revoke all on function private.reset_webhook_endpoint_health() from public, anon, authenticated, service_role;

create function private.kick_when_webhook_enabled()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.kick_webhook_dispatcher();
  update public.ops_alerts set resolved_at = now()
  where dedupe_key = 'webhook_endpoint_disabled:' || new.id and resolved_at is null;
  return null;
end
$$;
comment on function private.kick_when_webhook_enabled() is 'Trigger: delivers what waited while the endpoint was disabled, and resolves its disabled alert.';
revoke all on function private.kick_when_webhook_enabled() from public, anon, authenticated, service_role;

-- Webhook health check, every 15 minutes: the failure rate of delivery attempts over the last hour
-- per endpoint and overall. Above the threshold an ops alert opens (one per endpoint, one overall,
-- deduplicated while open); it is resolved when the rate recovers. Replays are not counted.
create function private.check_webhook_health(failure_threshold numeric default 0.5, min_attempts integer default 5)
returns integer
language sql
security definer
set search_path = ''
as $$
  -- One row per endpoint with attempts in the window, and one for all of them (endpoint null).
  with health as (
    select g.webhook_config_id as endpoint, max(g.user_id::text)::uuid as user_id, count(*)::integer as attempts,
           (count(*) filter (where g.status_code is null or g.status_code not between 200 and 299))::integer as failures,
           case when grouping(g.webhook_config_id) = 1 then 'webhook_failure_rate'
                else 'webhook_endpoint_failing:' || g.webhook_config_id end as dedupe_key
    from public.webhook_deliveries g
    where g.created_at > now() - interval '1 hour' and not g.replay and g.webhook_config_id is not null
    group by grouping sets ((g.webhook_config_id), ())
  ), failing as (
    select * from health h where h.attempts >= min_attempts and h.failures > failure_threshold * h.attempts
  ), opened as (
    insert into public.ops_alerts (kind, severity, message, user_id, details, dedupe_key)
    select case when f.endpoint is null then 'webhook_failure_rate' else 'webhook_endpoint_failing' end,
           case when f.endpoint is null then 'critical' else 'warning' end,
           format('%s of %s webhook attempts failed in the last hour%s', f.failures, f.attempts,
                  case when f.endpoint is null then ' (all endpoints)' else '' end),
           f.user_id,
           jsonb_build_object('webhook_config_id', f.endpoint, 'attempts', f.attempts, 'failures', f.failures,
                              'threshold', failure_threshold),
           f.dedupe_key
    from failing f
    on conflict (dedupe_key) where resolved_at is null do nothing
    returning 1
  ), resolved as (
    -- Recovered: below the threshold now, or nothing attempted in the window.
    update public.ops_alerts a set resolved_at = now()
    where a.resolved_at is null and a.kind in ('webhook_failure_rate', 'webhook_endpoint_failing')
      and a.dedupe_key not in (select f.dedupe_key from failing f)
    returning 1
  )
  select count(*)::integer from opened
$$;
comment on function private.check_webhook_health(numeric, integer) is 'Opens an ops alert for each endpoint, and for all endpoints together, whose attempts in the last hour (at least min_attempts, replays excluded) failed more often than failure_threshold; resolves those that recovered. Returns how many it opened. Run by the webhook-health-check job.';
revoke all on function private.check_webhook_health(numeric, integer) from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------

create policy "Users add their own webhooks" on public.webhook_configs for insert to authenticated
  with check (user_id = (select private.effective_user_id()));

create policy "Users change their own webhooks" on public.webhook_configs for update to authenticated
  using (user_id = (select private.effective_user_id())) with check (user_id = (select private.effective_user_id()));

create policy "Users remove their own webhooks" on public.webhook_configs for delete to authenticated
  using (user_id = (select private.effective_user_id()));

create policy "Users read their own webhooks, admins every one" on public.webhook_configs for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

create policy "Users read their own webhook deliveries, admins every one" on public.webhook_deliveries for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

create policy "Users read their own outbox events, admins every one" on public.webhook_queue for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

create policy "Users read their own endpoint deliveries, admins every one" on public.webhook_endpoint_deliveries for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

-- ---------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------

create trigger webhook_configs_set_updated_at before update on public.webhook_configs for each row execute function private.set_updated_at();

create trigger webhook_queue_set_updated_at before update on public.webhook_queue for each row execute function private.set_updated_at();

create trigger webhook_configs_audit_impersonated_write after insert or update or delete on public.webhook_configs
  for each row execute function private.audit_impersonated_write();

create trigger webhook_deliveries_queue_id_same_owner before insert or update of queue_id, user_id on public.webhook_deliveries
  for each row execute function private.refuse_reference_to_other_owner('webhook_deliveries_queue_id_fkey');

create trigger webhook_deliveries_webhook_config_id_same_owner before insert or update of webhook_config_id, user_id on public.webhook_deliveries
  for each row execute function private.refuse_reference_to_other_owner('webhook_deliveries_webhook_config_id_fkey');

create trigger webhook_endpoint_deliveries_set_updated_at before update on public.webhook_endpoint_deliveries
  for each row execute function private.set_updated_at();

create trigger webhook_queue_fan_out after insert on public.webhook_queue
  referencing new table as new_events
  for each statement execute function private.fan_out_webhook_events();

create trigger webhook_endpoint_deliveries_kick after insert on public.webhook_endpoint_deliveries
  referencing new table as new_deliveries
  for each statement execute function private.kick_for_new_deliveries();

create trigger webhook_configs_refuse_unsafe_url before insert or update of url on public.webhook_configs
  for each row execute function private.refuse_unsafe_webhook_url();

create trigger webhook_configs_reset_health_when_enabled before update of active on public.webhook_configs
  for each row when (new.active and not old.active)
  execute function private.reset_webhook_endpoint_health();

create trigger webhook_configs_kick_when_enabled after update of active on public.webhook_configs
  for each row when (new.active and not old.active)
  execute function private.kick_when_webhook_enabled();

-- The delivery engine's foreign keys between owner tables keep to one business, like every other
-- (private.refuse_reference_to_other_owner): a delivery names an event and an endpoint of its own business, and an attempt
-- a delivery of its own business.
create trigger webhook_endpoint_deliveries_event_id_same_owner before insert or update of event_id, user_id on public.webhook_endpoint_deliveries
  for each row execute function private.refuse_reference_to_other_owner('webhook_endpoint_deliveries_event_id_fkey');

create trigger webhook_endpoint_deliveries_webhook_config_id_same_owner before insert or update of webhook_config_id, user_id on public.webhook_endpoint_deliveries
  for each row execute function private.refuse_reference_to_other_owner('webhook_endpoint_deliveries_webhook_config_id_fkey');

create trigger webhook_deliveries_delivery_id_same_owner before insert or update of delivery_id, user_id on public.webhook_deliveries
  for each row execute function private.refuse_reference_to_other_owner('webhook_deliveries_delivery_id_fkey');
