-- ============================================================================
-- Calls: customers, calls, recordings and leads; the inbound lookup Retell's inbound webhook asks,
-- the call events that record a call and bill it (unbilled-call rules, block lists, spam credits), the
-- voice agent's tool invocations.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

-- Calls and what they produce: the call lifecycle, recordings and transcripts, the business's
-- customers (keyed by caller phone) and leads. Written by the Retell webhooks (service role); the
-- owner reads them, and may annotate customers and triage leads.
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
alter table public.customers enable row level security;
revoke all on public.customers from anon, authenticated, service_role;
grant select on public.customers to authenticated;
grant update (name, email, notes) on public.customers to authenticated;

create table public.calls (
  call_id text primary key,
  user_id uuid references auth.users (id) on delete cascade,
  agent_id text,
  direction text not null default 'inbound' check (direction in ('inbound', 'outbound')),
  from_number text,
  to_number text,
  status text not null default 'registered'
    check (status in ('registered', 'refused', 'ongoing', 'ended', 'not_connected', 'error')),
  refusal_reason text check (refusal_reason in ('unknown_number', 'subscription_inactive', 'over_cap', 'blocked')),
  started_at timestamptz,
  ended_at timestamptz,
  duration_ms integer check (duration_ms >= 0),
  disconnection_reason text,
  transferred boolean not null default false,
  analyzed_at timestamptz,
  is_demo boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  agent_version integer check (agent_version >= 0)
);
comment on table public.calls is 'Every call Retell told us about, including calls refused before connecting, by Retell call id.';
comment on column public.calls.agent_version is 'The version of agent_id that answered (Retell''s call.agent_version); a rollout compares versions by it.';
comment on column public.calls.refusal_reason is 'Why the call was not served: unknown_number, subscription_inactive, over_cap (message only), blocked (the caller is on a block list; the agent ended the call at once). Refused calls are never billed.';
alter table public.calls enable row level security;
revoke all on public.calls from anon, authenticated, service_role;
grant select on public.calls to authenticated;

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
alter table public.call_recordings enable row level security;
revoke all on public.call_recordings from anon, authenticated, service_role;
grant select on public.call_recordings to authenticated;

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
alter table public.leads enable row level security;
revoke all on public.leads from anon, authenticated, service_role;
grant select on public.leads to authenticated;
grant update (status, flagged, flag_reason) on public.leads to authenticated;

-- Tool calls the voice agent makes during a call (check availability, book an appointment).
-- Retell may retry a tool call; each (call, tool, arguments) runs once and its first result is
-- replayed to every retry. Written by the retell-tools function (service role); admins read.
create table public.tool_invocations (
  call_id text not null,
  tool_name text not null check (tool_name ~ '^[A-Za-z0-9_-]{1,64}$'),
  args_hash text not null check (args_hash ~ '^[0-9a-f]{64}$'),
  args jsonb not null,
  user_id uuid references auth.users (id) on delete cascade,
  result jsonb,
  attempts integer not null default 1 check (attempts > 0),
  claimed_at timestamptz not null default now(),
  completed_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (call_id, tool_name, args_hash),
  check ((result is null) = (completed_at is null))
);
comment on table public.tool_invocations is 'One row per distinct tool call of a call (same tool, same arguments): who runs it, and the result every retry gets.';
comment on column public.tool_invocations.args_hash is 'SHA-256 (hex) of the arguments as jsonb text, which orders keys the same way whatever order they were sent in.';
comment on column public.tool_invocations.claimed_at is 'When a request last took the call over to run it; another request may take over once the claim is stale.';
alter table public.tool_invocations enable row level security;
revoke all on public.tool_invocations from anon, authenticated, service_role;
grant select on public.tool_invocations to authenticated;

-- Failed tool runs
create table private.tool_run_failures (
  id bigint generated always as identity primary key,
  call_id text not null,
  tool_name text not null,
  failed_at timestamptz not null default now()
);
comment on table private.tool_run_failures is 'One row per tool run that failed (its claim given back by release_tool_invocation); the rollout comparison counts them per agent version.';

-- Fair billing: calls worth nothing to the business are not billed, by rules that are data.
--   * blocked callers (a global list kept by operators, a per-business list kept by the owner)
--     are answered with call_disposition = "blocked" and recorded as refused ('blocked'): no
--     usage row, nothing billed;
--   * an empty call (shorter than the empty_call threshold with no caller speech, or ended for
--     inactivity before the caller said anything) gets its usage_calls row with 0 minutes and
--     unbilled_reason 'empty_call';
--   * repeated short calls from one number within a window make it a suspected robocaller of
--     that business, which the owner can put on the block list;
--   * an owner marks a call as spam within the spam_credit window: the row's minutes become 0
--     (credited_minutes keeps what they were) in the statement that gives them back to the
--     counters, once; an unusual share of credited calls raises an operator alert.
-- Every "not billed" lives in the ledger rows themselves, so reconciliation's sum(plan_minutes)
-- and count(*) of usage_calls recompute the same counters without knowing these rules.

-- Rules
create table public.billing_rules (
  rule text primary key check (rule in ('empty_call', 'short_call', 'robocall', 'spam_credit', 'unusual_credit')),
  threshold numeric not null check (threshold >= 0),
  within interval check (within > interval '0'),
  min_count integer check (min_count >= 1),
  description text not null,
  updated_at timestamptz not null default now()
);
comment on table public.billing_rules is 'The thresholds of the unbilled-call rules, one row per rule; owners read them, admins change them through admin_update_billing_rule().';
comment on column public.billing_rules.threshold is 'empty_call, short_call: seconds; robocall: short calls from one number; spam_credit: unused (0); unusual_credit: share of the calls (0..1).';
comment on column public.billing_rules.within is 'The window the rule looks back over (robocall, spam_credit, unusual_credit).';
comment on column public.billing_rules.min_count is 'unusual_credit: the fewest credited calls in the window before the share counts.';
alter table public.billing_rules enable row level security;
revoke all on public.billing_rules from anon, authenticated, service_role;
grant select on public.billing_rules to authenticated;

-- Block lists and suspected robocallers
create table public.caller_blocks (
  id bigint generated always as identity primary key,
  user_id uuid references auth.users (id) on delete cascade default private.effective_user_id(),
  phone text not null check (phone ~ '^\+[1-9][0-9]{6,14}$'),
  note text check (length(note) <= 500),
  created_at timestamptz not null default now()
);
comment on table public.caller_blocks is 'Callers answered with call_disposition = "blocked" and never billed: user_id null for the operators'' global list, else the business''s own list.';
alter table public.caller_blocks enable row level security;
revoke all on public.caller_blocks from anon, authenticated, service_role;
grant select, delete on public.caller_blocks to authenticated;
grant insert (user_id, phone, note) on public.caller_blocks to authenticated;
revoke all on sequence public.caller_blocks_id_seq from anon, authenticated, service_role;

create table public.suspected_robocallers (
  user_id uuid not null references auth.users (id) on delete cascade,
  phone text not null,
  short_calls integer not null check (short_calls >= 1),
  first_seen_at timestamptz not null,
  last_seen_at timestamptz not null,
  primary key (user_id, phone)
);
comment on table public.suspected_robocallers is 'Numbers that called a business with repeated short calls (the robocall rule); the owner confirms one by adding it to caller_blocks.';
alter table public.suspected_robocallers enable row level security;
revoke all on public.suspected_robocallers from anon, authenticated, service_role;
grant select on public.suspected_robocallers to authenticated;

-- ---------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------

create index calls_user_id_started_at_idx on public.calls (user_id, started_at desc);
create index call_recordings_user_id_created_at_idx on public.call_recordings (user_id, created_at desc);
create index leads_user_id_created_at_idx on public.leads (user_id, created_at desc);
create index leads_customer_id_idx on public.leads (customer_id);
create index tool_invocations_user_id_idx on public.tool_invocations (user_id, created_at desc);
-- Dashboard read models (the old /dashboard-stats, /api/dashboard/stats, stats-enhanced and
-- /api/analytics routes): one RPC each, one round trip. The business variants run as the caller
-- under RLS for the effective user (the caller, or the user an admin impersonates); the admin
-- variant reads across businesses through the admin policies.
-- A call's time is when it started, or when we first heard of it if it never started.
create index calls_occurred_at_idx on public.calls ((coalesce(started_at, created_at)));
comment on index public.calls_occurred_at_idx is 'Calls by time across businesses, for the admin dashboard.';
create index calls_user_id_occurred_at_idx on public.calls (user_id, (coalesce(started_at, created_at)));
comment on index public.calls_user_id_occurred_at_idx is 'A business''s calls by time, for its dashboard and analytics.';
-- The error share is computed over the master's recent calls.
create index calls_agent_id_ended_at_idx on public.calls (agent_id, ended_at desc) where ended_at is not null;
-- The rollout comparison reads one agent's calls per version since a stage began.
create index calls_agent_id_version_ended_at_idx on public.calls (agent_id, agent_version, ended_at) where ended_at is not null;
create index tool_run_failures_call_id_idx on private.tool_run_failures (call_id);
create unique index caller_blocks_business_phone_key on public.caller_blocks (user_id, phone) where user_id is not null;
create unique index caller_blocks_global_phone_key on public.caller_blocks (phone) where user_id is null;
-- A business's robocall check counts its calls from one number.
create index calls_user_id_from_number_started_at_idx on public.calls (user_id, from_number, started_at);

-- ---------------------------------------------------------------------------
-- Views and functions
-- ---------------------------------------------------------------------------

-- The inbound webhook's one round trip. Retell asks, while the caller hears ringing, who a number
-- belongs to; public.inbound_call_context answers with the business, its Cal.com connection, its
-- agent and whether it may take the call, and records a refused call. public.inbound_sms_context
-- answers the same question for an SMS and stores the message in its conversation.
-- Called by the retell-inbound function with the service role only.

-- Lookup
create function private.business_for_number(business_number text, usage_kind text)
returns table (
  user_id uuid,
  business jsonb,
  agent jsonb,
  allowed boolean,
  usage_reason text,
  period_start timestamptz
)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return query
  select n.user_id, n.business, n.agent, d.reason in ('ok', 'overage'), d.reason, n.period_start
  from private.inbound_numbers n
  cross join lateral (select case usage_kind when 'call' then n.call_usage when 'sms' then n.sms_usage end as reason) as d
  where n.phone_number = business_number;
end
$$;
comment on function private.business_for_number(text, text) is 'The business a phone number belongs to (private.inbound_numbers: profile fields the agent needs, Cal.com state, Retell agent) and whether it may take a call or SMS now; no row for an unknown number.';
revoke all on function private.business_for_number(text, text) from public, anon, authenticated, service_role;

-- The lookups

-- The refusal rule, in plpgsql: a one-expression SQL function with its own search_path is planned
-- on every call, a plpgsql one evaluates its cached expression.
create function private.refusal_reason(user_id uuid, allowed boolean, usage_reason text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
begin
  return case
    when user_id is null then 'unknown_number'
    when allowed then null
    when usage_reason = 'over_cap' then 'over_cap'
    else 'subscription_inactive'
  end;
end
$$;
comment on function private.refusal_reason(uuid, boolean, text) is 'Why an inbound call or SMS gets message-only service (calls.refusal_reason), or null when the business may take it.';
revoke all on function private.refusal_reason(uuid, boolean, text) from public, anon, authenticated, service_role;

create function public.inbound_call_context(to_number text, from_number text default null, call_id text default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  match record;
begin
  -- The per-call work: one statement. An unknown number still yields a row (user_id null). A
  -- caller on the business's block list or the operators' global one (caller_blocks) is refused
  -- as blocked before any usage rule: never billed, no operator alert.
  select n.user_id, n.business, n.agent, n.failover_agent, n.period_start,
         case when n.user_id is not null and exists (select 1 from public.caller_blocks b
                           where b.phone = inbound_call_context.from_number and (b.user_id = n.user_id or b.user_id is null))
                then 'blocked'
              else private.refusal_reason(n.user_id, n.call_usage in ('ok', 'overage'), n.call_usage) end as refusal
  into match
  from (select inbound_call_context.to_number as number) as called
  left join private.inbound_numbers n on n.phone_number = called.number;

  if match.refusal is not null then
    -- Recorded now so a refused call is never lost; later call events for the same id keep
    -- status 'refused' (Retell sends no call id on some deliveries: then the events record it from
    -- the metadata we answer with).
    if inbound_call_context.call_id is not null then
      insert into public.calls (call_id, user_id, direction, from_number, to_number, status, refusal_reason)
      values (inbound_call_context.call_id, match.user_id, 'inbound', inbound_call_context.from_number,
              inbound_call_context.to_number, 'refused', match.refusal)
      on conflict on constraint calls_pkey do nothing;
    end if;
    perform private.raise_refusal_alert(match.refusal, 'call', match.user_id, inbound_call_context.to_number, match.period_start);
  end if;
  return jsonb_build_object(
    'user_id', match.user_id,
    'refusal_reason', match.refusal,
    'business', match.business,
    'agent', match.agent,
    'failover_agent', match.failover_agent
  );
end
$$;
comment on function public.inbound_call_context(text, text, text) is 'Everything the inbound call webhook needs in one round trip: the business behind to_number (E.164), its agent, failover_agent while its master is unhealthy, and refusal_reason (unknown_number, blocked, subscription_inactive, over_cap, or null); records refused calls.';
revoke all on function public.inbound_call_context(text, text, text) from public, anon, authenticated, service_role;
grant execute on function public.inbound_call_context(text, text, text) to service_role;

-- Call lifecycle: Retell's call events (call_started, call_ended, call_analyzed, transfer_*) applied
-- by public.record_call_event in one transaction each. Events may arrive twice and in any order:
-- every field keeps the first non-empty value it received, the status only moves forward, and the
-- effects of a call's end (billable usage, recording, customer, outbox) happen once per call.

-- Pure helpers
create function private.call_status_rank(status text)
returns integer
language sql
immutable
set search_path = ''
as $$
  select case status
    when 'registered' then 0
    when 'ongoing' then 1
    when 'ended' then 2
    when 'not_connected' then 2
    when 'error' then 2
    -- A refused call (message-only service) stays refused whatever happens next.
    when 'refused' then 3
    else 0
  end
$$;
comment on function private.call_status_rank(text) is 'Order of call statuses: a call event never moves a call to a lower rank (ended never back to ongoing).';
revoke all on function private.call_status_rank(text) from public, anon, authenticated, service_role;

create function private.later_call_status(current_status text, reported_status text)
returns text
language sql
immutable
set search_path = ''
as $$
  select case when private.call_status_rank(reported_status) > private.call_status_rank(current_status)
              then reported_status else current_status end
$$;
comment on function private.later_call_status(text, text) is 'The status a call has after an event reports reported_status: the later of the two (ties keep the current one).';
revoke all on function private.later_call_status(text, text) from public, anon, authenticated, service_role;

create function private.analysis_says_lead(analysis jsonb)
returns boolean
language sql
immutable
set search_path = ''
as $$
  -- The agent's post-call analysis decides: custom_analysis_data.is_lead when it says yes or no,
  -- otherwise a named service_needed. Voicemails are never leads.
  select case
    when lower(coalesce(analysis ->> 'in_voicemail', 'false')) = 'true' then false
    when lower(analysis -> 'custom_analysis_data' ->> 'is_lead') in ('true', 'yes') then true
    when lower(analysis -> 'custom_analysis_data' ->> 'is_lead') in ('false', 'no') then false
    else coalesce(trim(analysis -> 'custom_analysis_data' ->> 'service_needed'), '') <> ''
  end
$$;
comment on function private.analysis_says_lead(jsonb) is 'Whether a call''s analysis (Retell call_analysis) makes the caller a lead: custom_analysis_data.is_lead if given, else a non-empty service_needed; never a voicemail.';
revoke all on function private.analysis_says_lead(jsonb) from public, anon, authenticated, service_role;

-- Retell call events with values no column can hold are refused with 22023 and a message naming the
-- field (PostgREST: 400), never an overflow or "timestamp out of range" deep in the function:
-- timestamps must be milliseconds since the epoch within 2000-01-01 .. 2100-01-01, a reported
-- duration a whole number of milliseconds up to a day (Retell ends calls at 2 hours at most), and a
-- duration derived from the timestamps is kept only when it is one. retell-webhook checks the same
-- bounds before calling (packages/shared/src/retell-payloads.ts); this keeps the SQL total for any
-- caller.

-- Timestamps
create function private.epoch_ms(value jsonb)
returns timestamptz
language plpgsql
immutable
set search_path = ''
as $$
declare
  ms numeric;
begin
  if jsonb_typeof(value) is distinct from 'number' then
    return null;
  end if;
  ms := (value #>> '{}')::numeric;
  -- 946684800000 = 2000-01-01, 4102444800000 = 2100-01-01 (UTC).
  if ms < 946684800000 or ms >= 4102444800000 then
    raise exception 'a Retell timestamp must be milliseconds since the epoch between 2000 and 2100, not %', value
      using errcode = '22023';
  end if;
  return to_timestamp(ms / 1000);
end
$$;
comment on function private.epoch_ms(jsonb) is 'A Retell timestamp (milliseconds since the epoch, as JSON) as timestamptz; null when absent or not a number; 22023 outside 2000..2100.';
revoke all on function private.epoch_ms(jsonb) from public, anon, authenticated, service_role;

-- The call's end applies the unbilled-call rules (billing_rules): a call answered as blocked
-- (metadata refusal_reason 'blocked', from our inbound answer) is refused and never billed; an
-- empty call gets its usage row with 0 minutes and unbilled_reason 'empty_call'; a short call
-- counts towards the robocall rule; a caller the business could not fully serve earns a text-back
-- (see the SMS area), whose id the answer carries while it is still to be sent.
create function public.record_call_event(event text, call jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  this_call_id text := call ->> 'call_id';
  -- A version Retell reports must be a whole non-negative number; anything else is left unrecorded.
  reported_version integer := case when call ->> 'agent_version' ~ '^[0-9]{1,9}$' then (call ->> 'agent_version')::integer end;
  call_direction text := case when call ->> 'direction' = 'outbound' then 'outbound' else 'inbound' end;
  -- Numbers arrive normalised to E.164 (or null) from the function.
  business_number text := case when call_direction = 'outbound' then call ->> 'from_number' else call ->> 'to_number' end;
  caller_number text := case when call_direction = 'outbound' then call ->> 'to_number' else call ->> 'from_number' end;
  refusal text := case when call -> 'metadata' ->> 'refusal_reason' in ('unknown_number', 'subscription_inactive', 'over_cap', 'blocked')
                       then call -> 'metadata' ->> 'refusal_reason' end;
  reported_call_status text := case when call ->> 'call_status' in ('ended', 'not_connected', 'error')
                                    then call ->> 'call_status' end;
  reported_status text;
  started timestamptz := private.epoch_ms(call -> 'start_timestamp');
  ended timestamptz := private.epoch_ms(call -> 'end_timestamp');
  -- A duration Retell reports must fit the column and be a call's (at most a day); one derived
  -- from the timestamps is kept only when it is.
  reported_duration numeric := case when jsonb_typeof(call -> 'duration_ms') = 'number' then (call ->> 'duration_ms')::numeric end;
  duration integer;
  analysis jsonb := case when jsonb_typeof(call -> 'call_analysis') = 'object' then call -> 'call_analysis' end;
  custom jsonb := coalesce(call -> 'call_analysis' -> 'custom_analysis_data', '{}'::jsonb);
  owner uuid;
  saved public.calls;
  first_end boolean := false;
  customer_id uuid;
  lead_id uuid;
  unbilled text;
begin
  if this_call_id is null or event is null then
    raise exception 'a call event needs an event name and call.call_id' using errcode = '22023';
  end if;
  reported_status := case
    when refusal is not null then 'refused'
    when event in ('call_ended', 'call_analyzed') then coalesce(reported_call_status, 'ended')
    when event in ('call_started', 'transfer_started', 'transfer_bridged', 'transfer_cancelled', 'transfer_ended') then 'ongoing'
    else 'registered'
  end;
  if reported_duration is not null and (reported_duration <> trunc(reported_duration) or reported_duration not between 0 and 86400000) then
    raise exception 'call.duration_ms must be a whole number of milliseconds from 0 to 86400000 (a day), not %', reported_duration
      using errcode = '22023';
  end if;
  duration := coalesce(reported_duration::integer,
                       case when ended >= started and ended - started <= interval '1 day'
                            then (extract(epoch from ended - started) * 1000)::integer end);

  -- The business: the one the call was first recorded for, else the owner of the number.
  select c.user_id into owner from public.calls c where c.call_id = this_call_id;
  if owner is null then
    select a.user_id into owner from public.agents a where a.phone_number = business_number;
  end if;

  insert into public.calls as c (
    call_id, user_id, agent_id, agent_version, direction, from_number, to_number, status, refusal_reason,
    started_at, ended_at, duration_ms, disconnection_reason, transferred, analyzed_at
  ) values (
    this_call_id, owner, call ->> 'agent_id', reported_version, call_direction, call ->> 'from_number', call ->> 'to_number',
    reported_status, refusal, started, ended, duration, call ->> 'disconnection_reason',
    event = 'transfer_bridged' or coalesce(call ->> 'disconnection_reason' = 'call_transfer', false),
    case when event = 'call_analyzed' then now() end
  )
  on conflict (call_id) do update set
    user_id = coalesce(c.user_id, excluded.user_id),
    agent_id = coalesce(c.agent_id, excluded.agent_id),
    agent_version = coalesce(c.agent_version, excluded.agent_version),
    from_number = coalesce(c.from_number, excluded.from_number),
    to_number = coalesce(c.to_number, excluded.to_number),
    status = private.later_call_status(c.status, excluded.status),
    refusal_reason = coalesce(c.refusal_reason, excluded.refusal_reason),
    started_at = coalesce(c.started_at, excluded.started_at),
    ended_at = coalesce(c.ended_at, excluded.ended_at),
    duration_ms = coalesce(c.duration_ms, excluded.duration_ms),
    disconnection_reason = coalesce(c.disconnection_reason, excluded.disconnection_reason),
    transferred = c.transferred or excluded.transferred,
    analyzed_at = coalesce(c.analyzed_at, excluded.analyzed_at)
  -- Only when the event adds something: a redelivery leaves the row (and updated_at) as it was.
  where (c.user_id, c.agent_id, c.agent_version, c.from_number, c.to_number, c.status, c.refusal_reason, c.started_at, c.ended_at,
         c.duration_ms, c.disconnection_reason, c.transferred, c.analyzed_at)
        is distinct from
        (coalesce(c.user_id, excluded.user_id), coalesce(c.agent_id, excluded.agent_id), coalesce(c.agent_version, excluded.agent_version),
         coalesce(c.from_number, excluded.from_number), coalesce(c.to_number, excluded.to_number),
         private.later_call_status(c.status, excluded.status), coalesce(c.refusal_reason, excluded.refusal_reason),
         coalesce(c.started_at, excluded.started_at), coalesce(c.ended_at, excluded.ended_at),
         coalesce(c.duration_ms, excluded.duration_ms), coalesce(c.disconnection_reason, excluded.disconnection_reason),
         c.transferred or excluded.transferred, coalesce(c.analyzed_at, excluded.analyzed_at));
  select * into saved from public.calls c where c.call_id = this_call_id;

  if saved.user_id is null or event not in ('call_ended', 'call_analyzed') then
    return jsonb_build_object('call_id', this_call_id, 'user_id', saved.user_id, 'status', saved.status, 'first_end', false, 'lead_id', null);
  end if;

  -- ---- The call's end, once per call (call_analyzed carries everything call_ended does, so
  -- whichever arrives first does it) ----
  insert into public.inbound_webhook_events (provider, event_id, event_type, processed_at)
  values ('retell', 'call_ended:' || this_call_id, 'call_ended', now())
  on conflict (provider, event_id) do nothing
  returning true into first_end;
  first_end := coalesce(first_end, false);

  if first_end then
    -- Billable usage: connected calls the business was served (not refused, not a demo). The
    -- charging trigger on usage_calls moves the period counters.
    -- An empty call keeps its row (the call happened) with 0 minutes and the rule that says so.
    if saved.duration_ms > 0 and saved.status <> 'refused' and not saved.is_demo then
      unbilled := private.unbilled_call_reason(saved.duration_ms, saved.disconnection_reason, call);
      insert into public.usage_calls (user_id, call_id, duration_seconds, billable_minutes, unbilled_reason, occurred_at)
      values (saved.user_id, this_call_id, round(saved.duration_ms / 1000.0)::integer,
              case when unbilled is null then ceil(saved.duration_ms / 60000.0)::integer else 0 end,
              unbilled, coalesce(saved.ended_at, now()))
      on conflict (call_id) do nothing;
      if saved.direction = 'inbound' and caller_number is not null then
        perform private.note_robocaller(saved.user_id, caller_number);
      end if;
    end if;

    if caller_number ~ '^\+[1-9][0-9]{6,14}$' then
      insert into public.customers as cu (user_id, phone, total_calls, first_seen_at, last_seen_at)
      values (saved.user_id, caller_number, 1, coalesce(saved.started_at, now()), coalesce(saved.started_at, now()))
      on conflict (user_id, phone) do update set
        total_calls = cu.total_calls + 1,
        first_seen_at = least(cu.first_seen_at, excluded.first_seen_at),
        last_seen_at = greatest(cu.last_seen_at, excluded.last_seen_at);
    end if;

    insert into public.webhook_queue (user_id, event_type, dedupe_key, payload)
    values (saved.user_id, 'call_ended', 'call_ended:' || this_call_id, jsonb_build_object(
      'call_id', this_call_id, 'direction', saved.direction, 'from_number', saved.from_number, 'to_number', saved.to_number,
      'status', saved.status, 'started_at', saved.started_at, 'ended_at', saved.ended_at,
      'duration_seconds', round(coalesce(saved.duration_ms, 0) / 1000.0)::integer,
      'disconnection_reason', saved.disconnection_reason, 'transferred', saved.transferred,
      'recording_url', call ->> 'recording_url'))
    on conflict (dedupe_key) do nothing;
  end if;

  -- Recording, transcript and analysis: first non-empty value of each wins.
  insert into public.call_recordings as r (
    call_id, user_id, recording_url, transcript, transcript_object, duration_seconds,
    summary, sentiment, call_successful, analysis
  ) values (
    this_call_id, saved.user_id, call ->> 'recording_url', call ->> 'transcript',
    case when jsonb_typeof(call -> 'transcript_object') = 'array' then call -> 'transcript_object' end,
    round(saved.duration_ms / 1000.0)::integer,
    analysis ->> 'call_summary',
    case when analysis ->> 'user_sentiment' in ('Negative', 'Positive', 'Neutral', 'Unknown') then analysis ->> 'user_sentiment' end,
    case when jsonb_typeof(analysis -> 'call_successful') = 'boolean' then (analysis ->> 'call_successful')::boolean end,
    analysis
  )
  on conflict (call_id) do update set
    recording_url = coalesce(r.recording_url, excluded.recording_url),
    transcript = coalesce(r.transcript, excluded.transcript),
    transcript_object = coalesce(r.transcript_object, excluded.transcript_object),
    duration_seconds = coalesce(r.duration_seconds, excluded.duration_seconds),
    summary = coalesce(r.summary, excluded.summary),
    sentiment = coalesce(r.sentiment, excluded.sentiment),
    call_successful = coalesce(r.call_successful, excluded.call_successful),
    analysis = coalesce(r.analysis, excluded.analysis)
  where (r.recording_url is null and excluded.recording_url is not null)
     or (r.transcript is null and excluded.transcript is not null)
     or (r.transcript_object is null and excluded.transcript_object is not null)
     or (r.duration_seconds is null and excluded.duration_seconds is not null)
     or (r.summary is null and excluded.summary is not null)
     or (r.sentiment is null and excluded.sentiment is not null)
     or (r.call_successful is null and excluded.call_successful is not null)
     or (r.analysis is null and excluded.analysis is not null);

  -- ---- A lead, when the analysis says so (once per call: leads.call_id is unique) ----
  if analysis is not null and private.analysis_says_lead(analysis) and caller_number ~ '^\+[1-9][0-9]{6,14}$' then
    select cu.id into customer_id from public.customers cu where cu.user_id = saved.user_id and cu.phone = caller_number;
    insert into public.leads (user_id, call_id, customer_id, name, phone, email, summary, service_needed, urgency)
    values (
      saved.user_id, this_call_id, customer_id,
      nullif(trim(custom ->> 'customer_name'), ''),
      caller_number,
      case when custom ->> 'customer_email' ~ '^[^@\s]+@[^@\s]+$' then custom ->> 'customer_email' end,
      analysis ->> 'call_summary',
      nullif(trim(custom ->> 'service_needed'), ''),
      case
        when lower(custom ->> 'urgency') in ('low', 'normal', 'high', 'emergency') then lower(custom ->> 'urgency')
        when lower(custom ->> 'is_emergency') = 'true' then 'emergency'
        else 'normal'
      end
    )
    on conflict (call_id) do nothing
    returning id into lead_id;

    if lead_id is not null then
      update public.customers cu set name = nullif(trim(custom ->> 'customer_name'), '')
      where cu.id = customer_id and cu.name is null and nullif(trim(custom ->> 'customer_name'), '') is not null;
      insert into public.webhook_queue (user_id, event_type, dedupe_key, payload)
      select l.user_id, 'lead_created', 'lead_created:' || this_call_id, jsonb_build_object(
        'lead_id', l.id, 'call_id', l.call_id, 'name', l.name, 'phone', l.phone, 'email', l.email,
        'service_needed', l.service_needed, 'urgency', l.urgency, 'summary', l.summary, 'created_at', l.created_at)
      from public.leads l where l.id = lead_id
      on conflict (dedupe_key) do nothing;
    end if;
  end if;

  -- ---- A text-back to a caller the business could not fully serve (once per caller and day) ----
  perform private.queue_call_text_back(saved, analysis);

  return jsonb_build_object('call_id', this_call_id, 'user_id', saved.user_id, 'status', saved.status,
                            'first_end', first_end, 'lead_id', lead_id);
end
$$;
comment on function public.record_call_event(text, jsonb) is 'Applies one Retell call event (call object with numbers in E.164) in one transaction: upserts the call (monotonic status), and at its end records usage (by the unbilled-call rules), recording, customer, outbox call_ended, and a lead (outbox lead_created) when the analysis says so, and queues the text-back a caller earns. Idempotent in any order. Values no column can hold are refused with 22023.';
revoke all on function public.record_call_event(text, jsonb) from public, anon, authenticated, service_role;
grant execute on function public.record_call_event(text, jsonb) to service_role;

-- Claim, then complete
create function public.claim_tool_invocation(call_id text, tool_name text, args jsonb, business_number text default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  hash text := encode(sha256(convert_to(claim_tool_invocation.args::text, 'UTF8')), 'hex');
  owner uuid;
  business_time_zone text;
  claimed boolean;
  stored public.tool_invocations;
begin
  select c.user_id into owner from public.calls c where c.call_id = claim_tool_invocation.call_id;
  if owner is null then
    select a.user_id into owner from public.agents a where a.phone_number = claim_tool_invocation.business_number;
  end if;
  select p.time_zone into business_time_zone from public.profiles p where p.id = owner;

  -- A request that died mid-run leaves a stale claim; a retry after 15 seconds takes it over.
  insert into public.tool_invocations as t (call_id, tool_name, args_hash, args, user_id)
  values (claim_tool_invocation.call_id, claim_tool_invocation.tool_name, hash, claim_tool_invocation.args, owner)
  on conflict on constraint tool_invocations_pkey do update
    set attempts = t.attempts + 1, claimed_at = now()
    where t.result is null and t.claimed_at < now() - interval '15 seconds'
  returning true into claimed;

  if coalesce(claimed, false) then
    return jsonb_build_object('state', 'claimed', 'args_hash', hash, 'user_id', owner,
                              'time_zone', coalesce(business_time_zone, 'America/New_York'));
  end if;
  select * into stored from public.tool_invocations t
  where t.call_id = claim_tool_invocation.call_id and t.tool_name = claim_tool_invocation.tool_name and t.args_hash = hash;
  return jsonb_build_object('state', case when stored.result is null then 'running' else 'done' end,
                            'args_hash', hash, 'user_id', owner, 'result', stored.result);
end
$$;
comment on function public.claim_tool_invocation(text, text, jsonb, text) is 'Before running a tool: state claimed (run it; with the business''s user_id and time_zone), done (replay result) or running (another request is on it).';
revoke all on function public.claim_tool_invocation(text, text, jsonb, text) from public, anon, authenticated, service_role;
grant execute on function public.claim_tool_invocation(text, text, jsonb, text) to service_role;

create function public.complete_tool_invocation(call_id text, tool_name text, args_hash text, result jsonb)
returns jsonb
language sql
security definer
set search_path = ''
as $$
  with completed as (
    update public.tool_invocations t
    set result = complete_tool_invocation.result, completed_at = now()
    where t.call_id = complete_tool_invocation.call_id and t.tool_name = complete_tool_invocation.tool_name
      and t.args_hash = complete_tool_invocation.args_hash and t.result is null
    returning t.result
  )
  select coalesce(
    (select c.result from completed c),
    (select t.result from public.tool_invocations t
     where t.call_id = complete_tool_invocation.call_id and t.tool_name = complete_tool_invocation.tool_name
       and t.args_hash = complete_tool_invocation.args_hash)
  )
$$;
comment on function public.complete_tool_invocation(text, text, text, jsonb) is 'Stores a tool''s result unless one is stored already, and returns the stored one: the first result wins.';
revoke all on function public.complete_tool_invocation(text, text, text, jsonb) from public, anon, authenticated, service_role;
grant execute on function public.complete_tool_invocation(text, text, text, jsonb) to service_role;

-- Demo calls: a visitor of the website asks our demo agent to call them. The demo-call function
-- rate-limits the request (public.consume_rate_limit), places the call with Retell and records it
-- here; its call events then complete the row like any other call's.
create function public.record_demo_call(call_id text, from_number text, to_number text, agent_id text default null)
returns void
language sql
security definer
set search_path = ''
as $$
  -- Call events may have recorded the call already: then it is only marked as a demo.
  insert into public.calls as c (call_id, agent_id, direction, from_number, to_number, status, is_demo)
  values (record_demo_call.call_id, record_demo_call.agent_id, 'outbound', record_demo_call.from_number,
          record_demo_call.to_number, 'registered', true)
  on conflict (call_id) do update set is_demo = true where not c.is_demo
$$;
comment on function public.record_demo_call(text, text, text, text) is 'Records an outbound demo call placed for a website visitor (calls.is_demo); idempotent.';
revoke all on function public.record_demo_call(text, text, text, text) from public, anon, authenticated, service_role;
grant execute on function public.record_demo_call(text, text, text, text) to service_role;

-- Telling operators a call or text was refused. The inbound lookups raise the alert once per
-- business, usage kind and billing period (the owner hears of the cap from the usage warnings).
-- SMS caps and call-minute caps have separate alerts.
create function private.raise_refusal_alert(refusal text, usage_kind text, user_id uuid, business_number text, period_start timestamptz)
returns void
language sql
security definer
set search_path = ''
as $$
  insert into public.ops_alerts (kind, severity, message, user_id, details, dedupe_key)
  select v.kind, 'warning', v.message, raise_refusal_alert.user_id,
         jsonb_build_object('phone_number', business_number, 'period_start', period_start), v.dedupe_key
  from (values
    ('over_cap', 'call', 'usage_cap_reached',
     'A business used all its call minutes: callers only get their message taken until it tops up or the period renews.',
     'usage_cap_reached:' || raise_refusal_alert.user_id || ':' || coalesce(period_start::text, 'none')),
    ('over_cap', 'sms', 'sms_cap_reached',
     'A business used all its SMS: texts are kept, and the agent only takes messages until it tops up or the period renews.',
     'sms_cap_reached:' || raise_refusal_alert.user_id || ':' || coalesce(period_start::text, 'none')),
    ('unknown_number', 'call', 'unknown_inbound_number', 'A call reached a number that belongs to no business.',
     'unknown_inbound_number:' || coalesce(business_number, 'none')),
    ('unknown_number', 'sms', 'unknown_inbound_number', 'An SMS reached a number that belongs to no business.',
     'unknown_inbound_number:' || coalesce(business_number, 'none'))
  ) as v(refusal, usage_kind, kind, message, dedupe_key)
  where v.refusal = raise_refusal_alert.refusal and v.usage_kind = raise_refusal_alert.usage_kind
  on conflict (dedupe_key) where resolved_at is null do nothing
$$;
comment on function private.raise_refusal_alert(text, text, uuid, text, timestamptz) is 'Tells operators (ops_alerts) that a business reached its call or SMS cap this period, or that an unknown number is in use; deduplicated while the alert is open.';
revoke all on function private.raise_refusal_alert(text, text, uuid, text, timestamptz) from public, anon, authenticated, service_role;

-- A tool run that fails (Cal.com down, a timeout) gives its claim back at once, so Retell's retry,
-- or the caller asking again, runs the tool again instead of hearing "still working on that" until
-- the claim goes stale.
create function public.release_tool_invocation(call_id text, tool_name text, args_hash text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  with released as (
    delete from public.tool_invocations t
    where t.call_id = release_tool_invocation.call_id
      and t.tool_name = release_tool_invocation.tool_name
      and t.args_hash = release_tool_invocation.args_hash
      and t.result is null
    returning t.call_id, t.tool_name
  )
  insert into private.tool_run_failures (call_id, tool_name)
  select r.call_id, r.tool_name from released r;
end
$$;
comment on function public.release_tool_invocation(text, text, text) is 'After a failed tool run: removes its unfinished claim so the next request runs the tool again, and records the failure for the rollout comparison.';
revoke all on function public.release_tool_invocation(text, text, text) from public, anon, authenticated, service_role;
grant execute on function public.release_tool_invocation(text, text, text) to service_role;

create function private.billing_rule(name text)
returns public.billing_rules
language sql
stable
security definer
set search_path = ''
as $$ select * from public.billing_rules r where r.rule = billing_rule.name $$;
comment on function private.billing_rule(text) is 'One billing rule''s row, for the SQL that applies it.';
revoke all on function private.billing_rule(text) from public, anon, authenticated, service_role;

create function public.admin_update_billing_rule(rule text, threshold numeric default null, within interval default null, min_count integer default null)
returns public.billing_rules
language plpgsql
security definer
set search_path = ''
as $$
declare
  before public.billing_rules;
  after public.billing_rules;
begin
  perform private.assert_admin();
  select * into before from public.billing_rules r where r.rule = admin_update_billing_rule.rule for update;
  if not found then
    raise exception 'no billing rule %', coalesce(admin_update_billing_rule.rule, 'null') using errcode = 'PT404';
  end if;
  if admin_update_billing_rule.rule = 'unusual_credit' and admin_update_billing_rule.threshold > 1 then
    raise exception 'unusual_credit is a share of the calls, from 0 to 1' using errcode = '22023';
  end if;
  update public.billing_rules r
  set threshold = coalesce(admin_update_billing_rule.threshold, r.threshold),
      within = coalesce(admin_update_billing_rule.within, r.within),
      min_count = coalesce(admin_update_billing_rule.min_count, r.min_count),
      updated_at = now()
  where r.rule = admin_update_billing_rule.rule
  returning * into after;
  perform private.write_audit('billing_rules.update', null,
    jsonb_build_object('before', to_jsonb(before), 'after', to_jsonb(after)), 'billing_rules', after.rule);
  return after;
end
$$;
comment on function public.admin_update_billing_rule(text, numeric, interval, integer) is 'Admins change one billing rule''s threshold, window or minimum count (null keeps a value), audited with before and after; PT404 for an unknown rule, 22023 (or 23514) for a value out of range.';
revoke all on function public.admin_update_billing_rule(text, numeric, interval, integer) from public, anon, authenticated, service_role;
grant execute on function public.admin_update_billing_rule(text, numeric, interval, integer) to authenticated;

-- The rules, applied at the call's end (record_call_event)
create function private.caller_spoke(call jsonb)
returns boolean
language sql
immutable
set search_path = ''
as $$
  -- transcript_object holds the utterances with their role; the plain transcript has
  -- "Agent: ..." / "User: ..." lines. Neither means nobody was heard.
  select case
    when jsonb_typeof(call -> 'transcript_object') = 'array' then exists (
      select 1 from jsonb_array_elements(call -> 'transcript_object') u
      where u ->> 'role' = 'user' and btrim(coalesce(u ->> 'content', '')) <> '')
    else coalesce(call ->> 'transcript', '') ~ '(^|\n)\s*User:\s*\S'
  end
$$;
comment on function private.caller_spoke(jsonb) is 'Whether the caller said anything in a Retell call object''s transcript (transcript_object, else the transcript text).';
revoke all on function private.caller_spoke(jsonb) from public, anon, authenticated, service_role;

create function private.unbilled_call_reason(duration_ms integer, disconnection_reason text, call jsonb)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select case
    when not private.caller_spoke(call)
         and (duration_ms < (select r.threshold * 1000 from public.billing_rules r where r.rule = 'empty_call')
              or disconnection_reason = 'inactivity')
      then 'empty_call'
  end
$$;
comment on function private.unbilled_call_reason(integer, text, jsonb) is 'The unbilled_reason of an ended call by the rules (empty_call), or null when it is billed.';
revoke all on function private.unbilled_call_reason(integer, text, jsonb) from public, anon, authenticated, service_role;

create function private.note_robocaller(target_user uuid, caller text)
returns void
language sql
security definer
set search_path = ''
as $$
  with rules as (
    select (select r.threshold * 1000 from public.billing_rules r where r.rule = 'short_call') as short_ms,
           r.threshold as calls, r.within
    from public.billing_rules r where r.rule = 'robocall'
  ),
  short_calls as (
    select count(*)::integer as n, min(c.started_at) as first_at, max(c.started_at) as last_at
    from public.calls c, rules
    where c.user_id = target_user and c.from_number = caller
      and c.started_at > now() - rules.within and c.duration_ms < rules.short_ms
  )
  insert into public.suspected_robocallers (user_id, phone, short_calls, first_seen_at, last_seen_at)
  select target_user, caller, s.n, s.first_at, s.last_at
  from short_calls s, rules
  where s.n >= rules.calls
  on conflict (user_id, phone) do update set
    short_calls = excluded.short_calls,
    last_seen_at = greatest(suspected_robocallers.last_seen_at, excluded.last_seen_at)
$$;
comment on function private.note_robocaller(uuid, text) is 'Marks caller as a suspected robocaller of the business when the robocall rule''s count of short calls within its window is reached.';
revoke all on function private.note_robocaller(uuid, text) from public, anon, authenticated, service_role;

-- An owner marks a call as spam within the spam_credit window (billing_rules): in one
-- transaction its usage_calls row gives up its minutes (billable, plan and top-up minutes 0,
-- credited_minutes what they were, unbilled_reason 'spam') and the counters get them back: plan
-- minutes to the period's counter when the call is in the current period, top-up minutes to the
-- credits. The row lock makes a second mark, concurrent or later, find the call credited and give
-- nothing back. No percentage cap: a business that credits an unusual share of its calls
-- (unusual_credit) raises an operator alert instead.
create function public.mark_call_spam(call_id text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  owner_id uuid := private.effective_user_id();
  usage public.usage_calls;
  credit_window interval := (select r.within from public.billing_rules r where r.rule = 'spam_credit');
  unusual public.billing_rules := private.billing_rule('unusual_credit');
  credited integer;
  calls integer;
begin
  if owner_id is null then
    raise exception 'Sign in to mark calls' using errcode = '42501';
  end if;
  -- Concurrent marks of one call queue here; the second sees the first one's credit.
  select * into usage from public.usage_calls u
  where u.call_id = mark_call_spam.call_id and u.user_id = owner_id
  for update;
  if not found then
    raise exception 'no billed call % of this business', coalesce(mark_call_spam.call_id, 'null') using errcode = 'PT404';
  end if;
  -- Credited before, or never billed (an empty call): nothing to give back.
  if usage.unbilled_reason is not null then
    return jsonb_build_object('call_id', usage.call_id, 'credited_minutes', 0, 'unbilled_reason', usage.unbilled_reason, 'already_credited', true);
  end if;
  if usage.occurred_at < now() - credit_window then
    raise exception 'a call can be marked as spam within % of its end', credit_window using errcode = 'PT409';
  end if;

  update public.usage_calls u
  set unbilled_reason = 'spam', credited_minutes = u.billable_minutes, credited_at = now(),
      billable_minutes = 0, plan_minutes = 0, topup_minutes = 0
  where u.id = usage.id;
  update public.usage_limits l
  set call_minutes_used = l.call_minutes_used - case when usage.occurred_at >= l.period_start and usage.occurred_at < l.period_end
                                                     then usage.plan_minutes else 0 end,
      topup_call_minutes = l.topup_call_minutes + usage.topup_minutes,
      cap_reached_at = private.call_cap_reached_at(
        l.call_minutes_used - case when usage.occurred_at >= l.period_start and usage.occurred_at < l.period_end
                                   then usage.plan_minutes else 0 end,
        l.call_minutes_allowance, l.topup_call_minutes + usage.topup_minutes, l.cap_reached_at)
  where l.user_id = owner_id;
  perform private.write_audit('usage_calls.mark_spam', owner_id,
    jsonb_build_object('call_id', usage.call_id, 'credited_minutes', usage.billable_minutes,
                       'plan_minutes', usage.plan_minutes, 'topup_minutes', usage.topup_minutes),
    'usage_calls', usage.id::text);

  select count(*) filter (where u.unbilled_reason = 'spam'), count(*) into credited, calls
  from public.usage_calls u
  where u.user_id = owner_id and u.occurred_at > now() - unusual.within;
  if credited >= unusual.min_count and credited >= unusual.threshold * calls then
    insert into public.ops_alerts (kind, severity, message, user_id, details, dedupe_key)
    values ('unusual_spam_credits', 'warning',
            'A business marked an unusual share of its calls as spam: check the calls and its block list.',
            owner_id, jsonb_build_object('credited_calls', credited, 'calls', calls, 'within', unusual.within::text),
            'unusual_spam_credits:' || owner_id)
    on conflict (dedupe_key) where resolved_at is null do nothing;
  end if;
  return jsonb_build_object('call_id', usage.call_id, 'credited_minutes', usage.billable_minutes, 'unbilled_reason', 'spam', 'already_credited', false);
end
$$;
comment on function public.mark_call_spam(text) is 'The owner (or an admin acting for them) marks a billed call as spam within the spam_credit window: its minutes go back to the counters once, audited; {call_id, credited_minutes, unbilled_reason, already_credited}. PT404 for no such call of the business, PT409 past the window; an unusual share of credits raises an unusual_spam_credits ops alert.';
revoke all on function public.mark_call_spam(text) from public, anon, authenticated, service_role;
grant execute on function public.mark_call_spam(text) to authenticated;

-- The inbound lookup is one planner-friendly statement, because a caller hears ringing while it
-- runs (a SQL function with its own search_path is planned afresh on every call, never inlined):
--   * private.usage_decision is the usage rule, one expression over the subscription and period
--     rows the caller has read; usage_check, the SMS sends and the lookups all use it;
--   * private.inbound_numbers says what a number's business answers with (profile fields, Cal.com
--     state, agent, failover agent, the usage decisions), reading each table once; the planner
--     inlines it into the statement that reads it, with the block lists (caller_blocks) beside it;
--   * the lookups are plpgsql functions whose per-call work is one statement over that view, so
--     PostgreSQL keeps its plan for the session. Refused calls are recorded and alerts raised by
--     the statements that run only when a call is refused.
-- A function of rows the caller has already read, so that each caller reads every table once, in
-- its own statement; plpgsql evaluates the one expression from its cached plan.
create function private.usage_decision(kind text, subscription public.subscriptions, limits public.usage_limits, overage_policy text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
begin
  return case
    when subscription.user_id is null then 'no_subscription'
    -- past_due keeps the receptionist answering while Stripe retries the charge; unpaid or
    -- canceled (Stripe's final states after failed retries) stop it.
    when subscription.status not in ('active', 'trialing', 'past_due') then 'subscription_inactive'
    when limits.user_id is null then 'no_subscription'
    when kind = 'call' and (limits.call_minutes_allowance - limits.call_minutes_used > 0 or limits.topup_call_minutes > 0) then 'ok'
    when kind = 'sms' and (limits.sms_allowance - limits.sms_used > 0 or limits.topup_sms > 0) then 'ok'
    when overage_policy = 'allow' then 'overage'
    else 'over_cap'
  end;
end
$$;
comment on function private.usage_decision(text, public.subscriptions, public.usage_limits, text) is 'The usage rule: whether a business with this subscription and these period counters (null when it has none) may take another call (kind = call) or send another SMS (kind = sms), as ok (allowance or top-up credits left), overage (both used, the plan''s overage_policy allows it), over_cap, subscription_inactive or no_subscription. Allowed exactly when ok or overage.';
revoke all on function private.usage_decision(text, public.subscriptions, public.usage_limits, text) from public, anon, authenticated, service_role;

-- What a number answers with
create view private.inbound_numbers with (security_invoker = true) as
select
  a.phone_number,
  a.user_id,
  jsonb_build_object(
    'business_name', p.business_name,
    'transfer_number', p.transfer_number,
    'agent_tone', p.agent_tone,
    'schedule_summary', p.schedule_summary,
    'standard_fee', p.standard_fee,
    'emergency_fee', p.emergency_fee,
    'time_zone', p.time_zone,
    'calendar_status', i.status,
    'booking_url', i.booking_url
  ) as business,
  jsonb_build_object('model', a.model, 'retell_agent_id', a.retell_agent_id, 'retell_agent_version', a.retell_agent_version) as agent,
  -- While the usual agent is unhealthy (master-agent-health), the agent a call goes to instead: a
  -- shared business's, its industry's fallback agent; a dedicated one's, the master (at the
  -- version its numbers are on) when healthy, else the fallback. Otherwise null.
  case
    when a.model = 'shared' and not m.healthy and m.fallback_agent_id is not null
      then jsonb_build_object('agent_id', m.fallback_agent_id)
    when a.model = 'dedicated' and not d.healthy
      then case when m.healthy then jsonb_strip_nulls(jsonb_build_object('agent_id', m.retell_agent_id, 'agent_version', m.retell_agent_version))
                when m.fallback_agent_id is not null then jsonb_build_object('agent_id', m.fallback_agent_id) end
  end as failover_agent,
  private.usage_decision('call', s, l, pl.overage_policy) as call_usage,
  private.usage_decision('sms', s, l, pl.overage_policy) as sms_usage,
  l.period_start
from public.agents a
join public.profiles p on p.id = a.user_id
left join public.subscriptions s on s.user_id = a.user_id
left join public.usage_limits l on l.user_id = a.user_id
left join public.plans pl on pl.id = s.plan
left join public.integrations i on i.user_id = a.user_id and i.provider = 'calcom'
left join public.master_agents m on m.industry = p.industry
left join public.dedicated_agent_health d on d.user_id = a.user_id and a.model = 'dedicated';
comment on view private.inbound_numbers is 'Per business number (agents.phone_number, unique): the business (profile fields the agent needs, Cal.com state), its Retell agent, the failover agent while its industry''s master is unhealthy, and whether it may take a call or an SMS now (private.usage_decision). Each table read once; the planner inlines the view and computes only the columns read.';
revoke all on private.inbound_numbers from anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------

create policy "Users annotate their own customers" on public.customers for update to authenticated
  using (user_id = (select private.effective_user_id())) with check (user_id = (select private.effective_user_id()));

create policy "Users triage their own leads" on public.leads for update to authenticated
  using (user_id = (select private.effective_user_id())) with check (user_id = (select private.effective_user_id()));

create policy "Admins read tool invocations" on public.tool_invocations for select to authenticated
  using ((select private.acting_as_admin()));

create policy "Users read their own call recordings, admins every one" on public.call_recordings for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

create policy "Users read their own calls, admins every one" on public.calls for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

create policy "Users read their own customers, admins every one" on public.customers for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

create policy "Users read their own leads, admins every one" on public.leads for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

create policy "Signed-in users read the billing rules" on public.billing_rules for select to authenticated using (true);

create policy "Owners read their blocked callers, admins every one" on public.caller_blocks for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

create policy "Owners block callers for their business, admins for anyone" on public.caller_blocks for insert to authenticated
  with check (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

create policy "Owners unblock their callers, admins any" on public.caller_blocks for delete to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

create policy "Owners read their suspected robocallers, admins every one" on public.suspected_robocallers for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

-- ---------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------

create trigger customers_set_updated_at before update on public.customers for each row execute function private.set_updated_at();

create trigger calls_set_updated_at before update on public.calls for each row execute function private.set_updated_at();

create trigger call_recordings_set_updated_at before update on public.call_recordings for each row execute function private.set_updated_at();

create trigger leads_set_updated_at before update on public.leads for each row execute function private.set_updated_at();

create trigger customers_audit_impersonated_write after update on public.customers
  for each row execute function private.audit_impersonated_write();

create trigger leads_audit_impersonated_write after update on public.leads
  for each row execute function private.audit_impersonated_write();

-- One trigger per foreign key between owner tables
create trigger call_recordings_call_id_same_owner before insert or update of call_id, user_id on public.call_recordings
  for each row execute function private.refuse_reference_to_other_owner('call_recordings_call_id_fkey');

create trigger leads_call_id_same_owner before insert or update of call_id, user_id on public.leads
  for each row execute function private.refuse_reference_to_other_owner('leads_call_id_fkey');

create trigger leads_customer_id_same_owner before insert or update of customer_id, user_id on public.leads
  for each row execute function private.refuse_reference_to_other_owner('leads_customer_id_fkey');

create trigger caller_blocks_audit_impersonated_write after insert or delete on public.caller_blocks
  for each row execute function private.audit_impersonated_write();

-- ---------------------------------------------------------------------------
-- Seed data
-- ---------------------------------------------------------------------------

insert into public.billing_rules (rule, threshold, within, min_count, description) values
  ('empty_call', 10, null, null, 'A call shorter than this many seconds with no caller speech in the transcript, or ended for inactivity before the caller spoke, is not billed.'),
  ('short_call', 30, null, null, 'A call shorter than this many seconds counts towards the robocall rule.'),
  ('robocall', 3, interval '1 hour', null, 'This many short calls from one number within the window make it a suspected robocaller of the business, which the owner can block.'),
  ('spam_credit', 0, interval '7 days', null, 'An owner can mark a call as spam within this window of its end: its minutes are credited back once.'),
  ('unusual_credit', 0.25, interval '30 days', 4, 'Operators are alerted when a business credits at least min_count calls and this share of its calls within the window.');
