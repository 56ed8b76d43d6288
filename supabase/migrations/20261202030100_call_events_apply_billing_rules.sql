-- ============================================================================
-- The call's end applies the unbilled-call rules (20261202030000): a call answered as blocked
-- (metadata refusal_reason 'blocked', from our inbound answer) is refused and never billed; an
-- empty call gets its usage row with 0 minutes and unbilled_reason 'empty_call'; a short call
-- counts towards the robocall rule; a caller the business could not fully serve earns a text-back
-- (20261202030050), whose id the answer carries while it is still to be sent. Otherwise as
-- 20261201020100.
-- ============================================================================

create or replace function public.record_call_event(event text, call jsonb)
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
