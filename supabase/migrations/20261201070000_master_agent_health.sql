-- ============================================================================
-- Health of the master agents, and failover while one is unhealthy.
--
-- Every shared (Model A) business of an industry answers with that industry's one Retell master
-- agent, so a deleted or misconfigured master takes all of them down at once (audit section 9).
-- The master-agent-health function reads each master at Retell every few minutes and reports
-- what it found here; this file adds the share of error disconnections of the master's recent
-- calls, keeps the verdict per industry in master_agents, raises or resolves an ops alert, and
-- makes the inbound webhook answer that industry's calls with the configured fallback agent
-- (RETELL_FALLBACK_AGENT_ID_<INDUSTRY>) until the master is healthy again.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Table
-- ---------------------------------------------------------------------------

create table public.master_agents (
  industry text primary key check (industry in ('hvac', 'plumbing')),
  retell_agent_id text not null check (length(retell_agent_id) between 1 and 200),
  retell_agent_version integer check (retell_agent_version >= 0),
  fallback_agent_id text check (length(fallback_agent_id) between 1 and 200),
  healthy boolean not null default true,
  problems text[] not null default '{}',
  recent_calls integer not null default 0 check (recent_calls >= 0),
  recent_error_calls integer not null default 0 check (recent_error_calls between 0 and recent_calls),
  checked_at timestamptz not null default now(),
  unhealthy_since timestamptz,
  constraint master_agents_problems_when_unhealthy check (healthy = (cardinality(problems) = 0)),
  constraint master_agents_unhealthy_since check (healthy = (unhealthy_since is null))
);
comment on table public.master_agents is 'The Retell master agent of each industry (from RETELL_MASTER_AGENT_ID_<INDUSTRY>) and the latest verdict of the master-agent-health job; while unhealthy, inbound calls of that industry''s shared businesses are answered with fallback_agent_id.';
comment on column public.master_agents.retell_agent_version is 'The pinned version (RETELL_AGENT_VERSION_<INDUSTRY>), null when numbers follow the agent''s latest version.';
comment on column public.master_agents.fallback_agent_id is 'RETELL_FALLBACK_AGENT_ID_<INDUSTRY>: the agent calls are sent to while the master is unhealthy; null: no failover, only the alert.';
comment on column public.master_agents.problems is 'What the last check found wrong: agent_not_found, version_not_published, voice_missing, webhook_not_ours, llm_not_found, tool_not_ours, error_disconnections. Empty when healthy.';
comment on column public.master_agents.recent_calls is 'Calls of the master that ended in the health window (private.master_agent_error_window()).';
comment on column public.master_agents.recent_error_calls is 'Of recent_calls, those Retell ended with an error_* disconnection_reason.';

alter table public.master_agents enable row level security;
revoke all on public.master_agents from anon, authenticated, service_role;
-- Admins read it; only record_master_agent_health() writes it.
grant select on public.master_agents to authenticated;

create policy "Admins read master agents" on public.master_agents
  for select to authenticated using ((select private.acting_as_admin()));

-- The error share is computed over the master's recent calls.
create index calls_agent_id_ended_at_idx on public.calls (agent_id, ended_at desc) where ended_at is not null;

-- ---------------------------------------------------------------------------
-- Thresholds
-- ---------------------------------------------------------------------------

create function private.master_agent_error_window()
returns interval
language sql
immutable
set search_path = ''
as $$ select interval '15 minutes' $$;
comment on function private.master_agent_error_window() is 'How far back the health check looks at a master''s ended calls.';

create function private.master_agent_is_erroring(recent_calls integer, recent_error_calls integer)
returns boolean
language sql
immutable
set search_path = ''
as $$ select recent_calls >= 5 and recent_error_calls * 4 > recent_calls $$;
comment on function private.master_agent_is_erroring(integer, integer) is 'True when more than a quarter of at least 5 recent calls ended with an error_* disconnection: fewer calls say too little to fail over a whole industry.';

-- ---------------------------------------------------------------------------
-- Recording a check (the master-agent-health function, service role)
-- ---------------------------------------------------------------------------

create function public.record_master_agent_health(
  industry text,
  retell_agent_id text,
  retell_agent_version integer,
  fallback_agent_id text,
  retell_problems text[]
)
returns public.master_agents
language plpgsql
security definer
set search_path = ''
as $$
declare
  total integer;
  errors integer;
  found text[];
  result public.master_agents;
begin
  if record_master_agent_health.industry is null or record_master_agent_health.industry not in ('hvac', 'plumbing') then
    raise exception 'industry must be hvac or plumbing' using errcode = '22023';
  end if;
  if record_master_agent_health.retell_agent_id is null then
    raise exception 'retell_agent_id is required' using errcode = '22023';
  end if;

  select count(*), count(*) filter (where c.disconnection_reason like 'error\_%')
  into total, errors
  from public.calls c
  where c.agent_id = record_master_agent_health.retell_agent_id
    and c.ended_at > now() - private.master_agent_error_window();

  found := coalesce(record_master_agent_health.retell_problems, '{}')
    || case when private.master_agent_is_erroring(total, errors) then array['error_disconnections'] else '{}' end;

  insert into public.master_agents as m (industry, retell_agent_id, retell_agent_version, fallback_agent_id, healthy,
                                         problems, recent_calls, recent_error_calls, checked_at, unhealthy_since)
  values (record_master_agent_health.industry, record_master_agent_health.retell_agent_id,
          record_master_agent_health.retell_agent_version, record_master_agent_health.fallback_agent_id,
          cardinality(found) = 0, found, total, errors, now(), case when cardinality(found) > 0 then now() end)
  on conflict on constraint master_agents_pkey do update set
    retell_agent_id = excluded.retell_agent_id,
    retell_agent_version = excluded.retell_agent_version,
    fallback_agent_id = excluded.fallback_agent_id,
    healthy = excluded.healthy,
    problems = excluded.problems,
    recent_calls = excluded.recent_calls,
    recent_error_calls = excluded.recent_error_calls,
    checked_at = excluded.checked_at,
    -- The first failed check starts the outage; later ones keep its start.
    unhealthy_since = case when excluded.healthy then null else coalesce(m.unhealthy_since, excluded.unhealthy_since) end
  returning * into result;

  if result.healthy then
    update public.ops_alerts a set resolved_at = now()
    where a.dedupe_key = 'master_agent_unhealthy:' || result.industry and a.resolved_at is null;
  else
    insert into public.ops_alerts (kind, severity, message, details, dedupe_key)
    values ('master_agent_unhealthy', 'critical',
            format('The %s master agent %s is unhealthy (%s); %s', result.industry, result.retell_agent_id,
                   array_to_string(result.problems, ', '),
                   case when result.fallback_agent_id is null then 'no fallback agent is configured, calls still go to the master'
                        else 'calls go to the fallback agent ' || result.fallback_agent_id end),
            jsonb_build_object('industry', result.industry, 'retell_agent_id', result.retell_agent_id,
                               'problems', to_jsonb(result.problems), 'fallback_agent_id', result.fallback_agent_id,
                               'recent_calls', result.recent_calls, 'recent_error_calls', result.recent_error_calls),
            'master_agent_unhealthy:' || result.industry)
    on conflict (dedupe_key) where resolved_at is null do nothing;
  end if;
  return result;
end
$$;
comment on function public.record_master_agent_health(text, text, integer, text, text[]) is 'Service role (master-agent-health): stores one industry''s check (the problems found at Retell plus error_disconnections from our calls), opens a master_agent_unhealthy ops alert while unhealthy and resolves it when healthy again.';

revoke execute on function public.record_master_agent_health(text, text, integer, text, text[]) from public, anon, authenticated;
grant execute on function public.record_master_agent_health(text, text, integer, text, text[]) to service_role;
revoke execute on function private.master_agent_error_window(), private.master_agent_is_erroring(integer, integer) from public;

-- ---------------------------------------------------------------------------
-- Failover in the inbound webhook
-- ---------------------------------------------------------------------------

create function private.failover_agent(target_user uuid, agent_model text)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object('agent_id', m.fallback_agent_id)
  from public.profiles p
  join public.master_agents m on m.industry = p.industry
  where p.id = target_user
    and agent_model = 'shared'
    and not m.healthy
    and m.fallback_agent_id is not null
$$;
comment on function private.failover_agent(uuid, text) is 'The agent a shared business''s calls go to while its industry''s master is unhealthy ({"agent_id"}), or null: healthy master, no fallback configured, or a dedicated agent (agent_model, from the lookup the caller already made).';
revoke execute on function private.failover_agent(uuid, text) from public;

create or replace function public.inbound_call_context(to_number text, from_number text default null, call_id text default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  match record;
  refusal text;
  alert_raised boolean := false;
begin
  select * into match from private.business_for_number(inbound_call_context.to_number, 'call');
  refusal := private.refusal_reason(match.user_id, match.allowed, match.usage_reason);
  if refusal is not null then
    -- Recorded now so a refused call is never lost; later call events for the same id keep
    -- status 'refused' (Retell sends no call id on some deliveries: then the events record it from
    -- the metadata we answer with).
    if inbound_call_context.call_id is not null then
      insert into public.calls (call_id, user_id, direction, from_number, to_number, status, refusal_reason)
      values (inbound_call_context.call_id, match.user_id, 'inbound', inbound_call_context.from_number,
              inbound_call_context.to_number, 'refused', refusal)
      on conflict on constraint calls_pkey do nothing;
    end if;
    alert_raised := private.raise_refusal_alert(refusal, 'call', match.user_id, inbound_call_context.to_number, match.period_start);
  end if;
  return jsonb_build_object(
    'user_id', match.user_id,
    'refusal_reason', refusal,
    'business', match.business,
    'agent', match.agent,
    'failover_agent', private.failover_agent(match.user_id, match.agent ->> 'model'),
    'cap_notice', case when alert_raised and refusal = 'over_cap' then private.cap_notice(match.user_id, 'call', match.period_start) end
  );
end
$$;
comment on function public.inbound_call_context(text, text, text) is 'Everything the inbound call webhook needs in one round trip: the business behind to_number (E.164), its agent, failover_agent while its master is unhealthy, refusal_reason (unknown_number, subscription_inactive, over_cap, or null) and, the first time a period''s cap is hit, cap_notice (whom to email); records refused calls.';

-- ---------------------------------------------------------------------------
-- The job
-- ---------------------------------------------------------------------------

insert into private.cron_jobs (name, schedule, command, max_gap, description) values
  ('master-agent-health', '*/3 * * * *', $$select private.call_function('master-agent-health')$$, '15 minutes',
   'Calls master-agent-health, which checks each industry''s master agent at Retell and its recent error disconnections, alerts and fails over while one is unhealthy.');
select private.setup_cron_jobs();
