-- ============================================================================
-- Health of dedicated agents (Model B), checked like the masters, with failover.
--
-- The master-agent-health job also reads each live dedicated agent at Retell (the same checks as
-- a master: agent and pinned version, voice, webhook and tools pointing at our functions, its LLM)
-- and adds its recent error disconnections. While a business's own agent is unhealthy, one ops
-- alert is open for it and its calls are answered by its industry's master when that is healthy,
-- else by the industry's fallback agent.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Table
-- ---------------------------------------------------------------------------

create table public.dedicated_agent_health (
  user_id uuid primary key references auth.users (id) on delete cascade,
  retell_agent_id text not null check (length(retell_agent_id) between 1 and 200),
  retell_agent_version integer check (retell_agent_version >= 0),
  healthy boolean not null default true,
  problems text[] not null default '{}',
  recent_calls integer not null default 0 check (recent_calls >= 0),
  recent_error_calls integer not null default 0 check (recent_error_calls between 0 and recent_calls),
  checked_at timestamptz not null default now(),
  unhealthy_since timestamptz,
  constraint dedicated_agent_health_problems_when_unhealthy check (healthy = (cardinality(problems) = 0)),
  constraint dedicated_agent_health_unhealthy_since check (healthy = (unhealthy_since is null))
);
comment on table public.dedicated_agent_health is 'The latest master-agent-health verdict on each business''s own (Model B) agent; while unhealthy its calls go to the industry''s master, or the fallback agent when the master is unhealthy too.';
comment on column public.dedicated_agent_health.problems is 'The same names as master_agents.problems.';
create index dedicated_agent_health_checked_at_idx on public.dedicated_agent_health (checked_at);

alter table public.dedicated_agent_health enable row level security;
revoke all on public.dedicated_agent_health from anon, authenticated, service_role;
grant select on public.dedicated_agent_health to authenticated;
create policy "Admins read dedicated agent health" on public.dedicated_agent_health
  for select to authenticated using ((select private.acting_as_admin()));

-- ---------------------------------------------------------------------------
-- The job's side (master-agent-health, service role)
-- ---------------------------------------------------------------------------

create function public.dedicated_agents_to_check(batch integer default 200)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  -- Least recently checked first, so a run that covers only part of them covers the rest next.
  select coalesce(jsonb_agg(jsonb_build_object('user_id', x.user_id, 'agent_id', x.retell_agent_id, 'version', x.retell_agent_version)
                            order by x.checked_at nulls first, x.user_id), '[]'::jsonb)
  from (
    select a.user_id, a.retell_agent_id, a.retell_agent_version, h.checked_at
    from public.agents a
    left join public.dedicated_agent_health h on h.user_id = a.user_id
    where a.model = 'dedicated' and a.deploy_status = 'active' and a.retell_agent_id is not null
    order by h.checked_at nulls first, a.user_id
    limit greatest(least(coalesce(batch, 200), 1000), 1)
  ) x
$$;
comment on function public.dedicated_agents_to_check(integer) is 'Service role (master-agent-health): up to batch live dedicated agents ({user_id, agent_id, version}), least recently checked first.';

create function public.record_dedicated_agent_health(target_user_id uuid, retell_agent_id text, retell_agent_version integer, retell_problems text[])
returns public.dedicated_agent_health
language plpgsql
security definer
set search_path = ''
as $$
declare
  total integer;
  errors integer;
  found text[];
  result public.dedicated_agent_health;
begin
  if target_user_id is null or record_dedicated_agent_health.retell_agent_id is null then
    raise exception 'target_user_id and retell_agent_id are required' using errcode = '22023';
  end if;
  select count(*), count(*) filter (where c.disconnection_reason like 'error\_%')
  into total, errors
  from public.calls c
  where c.agent_id = record_dedicated_agent_health.retell_agent_id
    and c.ended_at > now() - private.master_agent_error_window();
  found := coalesce(retell_problems, '{}')
    || case when private.master_agent_is_erroring(total, errors) then array['error_disconnections'] else '{}' end;

  insert into public.dedicated_agent_health as d (user_id, retell_agent_id, retell_agent_version, healthy, problems,
                                                  recent_calls, recent_error_calls, checked_at, unhealthy_since)
  values (target_user_id, record_dedicated_agent_health.retell_agent_id, record_dedicated_agent_health.retell_agent_version,
          cardinality(found) = 0, found, total, errors, now(), case when cardinality(found) > 0 then now() end)
  on conflict on constraint dedicated_agent_health_pkey do update set
    retell_agent_id = excluded.retell_agent_id,
    retell_agent_version = excluded.retell_agent_version,
    healthy = excluded.healthy,
    problems = excluded.problems,
    recent_calls = excluded.recent_calls,
    recent_error_calls = excluded.recent_error_calls,
    checked_at = excluded.checked_at,
    unhealthy_since = case when excluded.healthy then null else coalesce(d.unhealthy_since, excluded.unhealthy_since) end
  returning * into result;

  if result.healthy then
    update public.ops_alerts a set resolved_at = now()
    where a.dedupe_key = 'dedicated_agent_unhealthy:' || result.user_id and a.resolved_at is null;
  else
    insert into public.ops_alerts (kind, severity, message, user_id, details, dedupe_key)
    values ('dedicated_agent_unhealthy', 'warning',
            format('The dedicated agent %s of business %s is unhealthy (%s); its calls go to the industry''s master, or its fallback agent',
                   result.retell_agent_id, result.user_id, array_to_string(result.problems, ', ')),
            result.user_id,
            jsonb_build_object('retell_agent_id', result.retell_agent_id, 'retell_agent_version', result.retell_agent_version,
                               'problems', to_jsonb(result.problems), 'recent_calls', result.recent_calls,
                               'recent_error_calls', result.recent_error_calls),
            'dedicated_agent_unhealthy:' || result.user_id)
    on conflict (dedupe_key) where resolved_at is null do nothing;
  end if;
  return result;
end
$$;
comment on function public.record_dedicated_agent_health(uuid, text, integer, text[]) is 'Service role (master-agent-health): stores one dedicated agent''s check (problems found at Retell plus error_disconnections from our calls), opens a dedicated_agent_unhealthy ops alert for the business while unhealthy and resolves it when healthy again.';

revoke execute on function public.dedicated_agents_to_check(integer), public.record_dedicated_agent_health(uuid, text, integer, text[])
  from public, anon, authenticated;
grant execute on function public.dedicated_agents_to_check(integer), public.record_dedicated_agent_health(uuid, text, integer, text[])
  to service_role;

-- ---------------------------------------------------------------------------
-- Failover in the inbound webhook (the lookup calls this; the lookup itself is unchanged)
-- ---------------------------------------------------------------------------

create or replace function private.failover_agent(target_user uuid, agent_model text)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select case agent_model
    when 'shared' then (
      select jsonb_build_object('agent_id', m.fallback_agent_id)
      from public.profiles p
      join public.master_agents m on m.industry = p.industry
      where p.id = target_user and not m.healthy and m.fallback_agent_id is not null)
    when 'dedicated' then (
      select case when m.healthy then jsonb_strip_nulls(jsonb_build_object('agent_id', m.retell_agent_id, 'agent_version', m.retell_agent_version))
                  when m.fallback_agent_id is not null then jsonb_build_object('agent_id', m.fallback_agent_id) end
      from public.dedicated_agent_health d
      join public.profiles p on p.id = d.user_id
      left join public.master_agents m on m.industry = p.industry
      where d.user_id = target_user and not d.healthy)
  end
$$;
comment on function private.failover_agent(uuid, text) is 'The agent a call goes to instead of the usual one ({"agent_id", "agent_version"?}), or null: a shared business while its master is unhealthy gets the fallback agent; a dedicated one while its own agent is unhealthy gets the master (at its current version) when healthy, else the fallback. agent_model comes from the lookup the caller already made.';
