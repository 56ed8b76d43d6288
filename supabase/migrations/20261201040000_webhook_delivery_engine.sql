-- ============================================================================
-- Outbound webhook delivery engine. The outbox (webhook_queue) stays the immutable record of what
-- happened; each event becomes one delivery per endpoint subscribed to it at that moment
-- (webhook_endpoint_deliveries), and every attempt of a delivery is logged (webhook_deliveries).
--
--   pending --(webhook-dispatcher claims it, until claim_expires_at)--> delivering
--   delivering --(2xx)--> delivered
--   delivering --(failure, attempts left)--> pending at next_attempt_at (private.webhook_retry_delay)
--   delivering --(last attempt failed, 410 Gone, abort-message, payload too large)--> dead
--   delivering --(the worker vanished: claim expired)--> claimed again as it stands
--
-- At least once: the claim is a visibility deadline, not a lock held by a process, so nothing is
-- lost whenever a worker dies; the webhook-id (message_id) is the same on every attempt of one
-- event to one endpoint, so a receiver deduplicates. The dispatcher is kicked through pg_net when
-- deliveries are created and by a cron sweep every minute; overlapping runs are harmless because
-- claims use for update skip locked.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Endpoint state the engine keeps
-- ---------------------------------------------------------------------------

alter table public.webhook_configs
  add column previous_secret text,
  add column previous_secret_expires_at timestamptz,
  add column disabled_at timestamptz,
  add column failing_since timestamptz,
  add column last_success_at timestamptz,
  add constraint webhook_configs_previous_secret_expiry check ((previous_secret is null) = (previous_secret_expires_at is null));

comment on column public.webhook_configs.secret is 'Signing secret (whsec_ + base64 key bytes); Standard Webhooks signatures use the decoded key.';
comment on column public.webhook_configs.previous_secret is 'The secret before the last rotation; it signs too (a second signature) until previous_secret_expires_at.';
comment on column public.webhook_configs.previous_secret_expires_at is 'When the previous secret stops signing: 24 hours after the rotation.';
comment on column public.webhook_configs.disabled_reason is 'Why the engine disabled the endpoint: gone (it answered 410), failing (every delivery failed for 5 days). Cleared when it is enabled again.';
comment on column public.webhook_configs.disabled_at is 'When the engine disabled the endpoint.';
comment on column public.webhook_configs.failing_since is 'First failed attempt since the last success (replays not counted); after 5 days of only failures the endpoint is disabled.';
comment on column public.webhook_configs.last_success_at is 'Last attempt the endpoint answered with 2xx.';

-- The outbox's own delivery columns never did anything: delivery state is per endpoint now.
drop index public.webhook_queue_due_idx;
alter table public.webhook_queue
  drop column status,
  drop column attempts,
  drop column next_attempt_at,
  drop column locked_until,
  drop column last_error;
comment on table public.webhook_queue is 'Outbox of events for the business''s webhooks, written in the transaction that caused them and never changed; dedupe_key makes a repeated event a no-op. Delivery state is in webhook_endpoint_deliveries.';

-- ---------------------------------------------------------------------------
-- Deliveries: one per event per endpoint
-- ---------------------------------------------------------------------------

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

create index webhook_endpoint_deliveries_due_idx on public.webhook_endpoint_deliveries (next_attempt_at) where status = 'pending';
create index webhook_endpoint_deliveries_claimed_idx on public.webhook_endpoint_deliveries (claim_expires_at) where status = 'delivering';
create index webhook_endpoint_deliveries_endpoint_idx on public.webhook_endpoint_deliveries (webhook_config_id, created_at desc);
create index webhook_endpoint_deliveries_user_id_idx on public.webhook_endpoint_deliveries (user_id, created_at desc);

create trigger webhook_endpoint_deliveries_set_updated_at before update on public.webhook_endpoint_deliveries
  for each row execute function private.set_updated_at();

alter table public.webhook_endpoint_deliveries enable row level security;
create policy "Users read their own endpoint deliveries, admins every one" on public.webhook_endpoint_deliveries for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));
-- What is left of the default privileges (20261201000000_api_grants.sql) goes; owners and admins read.
revoke all on public.webhook_endpoint_deliveries from anon, service_role;
revoke truncate, references, trigger on public.webhook_endpoint_deliveries from authenticated;
revoke all on sequence public.webhook_endpoint_deliveries_id_seq from anon, authenticated, service_role;
grant select on public.webhook_endpoint_deliveries to authenticated;

-- The attempt log: each attempt belongs to a delivery, and keeps what the receiver answered.
alter table public.webhook_deliveries
  add column delivery_id bigint not null references public.webhook_endpoint_deliveries (id) on delete cascade,
  add column response_excerpt text check (length(response_excerpt) <= 1024),
  add column replay boolean not null default false;
comment on table public.webhook_deliveries is 'One row per attempt of a delivery (webhook_endpoint_deliveries): when, status code, duration, the start of the response body, error.';
comment on column public.webhook_deliveries.response_excerpt is 'At most the first 1024 characters of the receiver''s response body.';
comment on column public.webhook_deliveries.replay is 'The attempt was a replay asked for by the owner or an admin.';
create index webhook_deliveries_delivery_id_idx on public.webhook_deliveries (delivery_id, created_at);

-- ---------------------------------------------------------------------------
-- Small pure helpers
-- ---------------------------------------------------------------------------

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

create function private.webhook_claim_visibility()
returns interval
language sql
immutable
set search_path = ''
as $$ select interval '45 seconds' $$;
comment on function private.webhook_claim_visibility() is 'How long a claimed delivery stays invisible to other workers: a batch is sent concurrently with a 15 s timeout per request, so a live worker records well before this.';

-- ---------------------------------------------------------------------------
-- Kicking the dispatcher
-- ---------------------------------------------------------------------------

create function private.kick_webhook_dispatcher()
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  project_url text;
  service_role_key text;
begin
  select max(s.decrypted_secret) filter (where s.name = 'project_url'),
         max(s.decrypted_secret) filter (where s.name = 'service_role_key')
  into project_url, service_role_key
  from vault.decrypted_secrets s
  where s.name in ('project_url', 'service_role_key');
  -- Never fail the transaction that wrote the event (a call ending, a booking) over a kick.
  if project_url is null or service_role_key is null then
    raise warning 'webhook-dispatcher not kicked: Vault secrets project_url and service_role_key are required';
    return null;
  end if;
  return net.http_post(
    url := project_url || '/functions/v1/webhook-dispatcher',
    body := '{}'::jsonb,
    headers := jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' || service_role_key),
    timeout_milliseconds := 5000
  );
end
$$;
comment on function private.kick_webhook_dispatcher() is 'Asks the webhook-dispatcher function (pg_net, sent after commit) to deliver what is due. Losing a kick is harmless: the sweep kicks every minute.';

-- ---------------------------------------------------------------------------
-- Fan-out: in the event's own transaction, so an endpoint created later does not get it
-- ---------------------------------------------------------------------------

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

create trigger webhook_queue_fan_out after insert on public.webhook_queue
  referencing new table as new_events
  for each statement execute function private.fan_out_webhook_events();

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

create trigger webhook_endpoint_deliveries_kick after insert on public.webhook_endpoint_deliveries
  referencing new table as new_deliveries
  for each statement execute function private.kick_for_new_deliveries();

-- ---------------------------------------------------------------------------
-- The dispatcher's steps (service role)
-- ---------------------------------------------------------------------------

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

-- ---------------------------------------------------------------------------
-- The minute sweep: anything due or abandoned, whatever happened to its kick
-- ---------------------------------------------------------------------------

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

select cron.schedule('kick-due-webhook-deliveries', '* * * * *', 'select private.kick_due_webhook_deliveries()');

-- ---------------------------------------------------------------------------
-- Privileges
-- ---------------------------------------------------------------------------

revoke execute on function
  private.webhook_retry_delay(integer, double precision), private.webhook_claim_visibility(),
  private.kick_webhook_dispatcher(), private.fan_out_webhook_events(), private.kick_for_new_deliveries(),
  private.kick_due_webhook_deliveries()
from public, anon, authenticated;
revoke execute on function
  public.webhook_claim_deliveries(integer), public.webhook_next_due_in(), public.webhook_record_attempts(uuid, jsonb)
from public, anon, authenticated;
grant execute on function
  public.webhook_claim_deliveries(integer), public.webhook_next_due_in(), public.webhook_record_attempts(uuid, jsonb)
to service_role;
