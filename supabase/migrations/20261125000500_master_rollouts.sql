-- ============================================================================
-- Master rollouts: staged rollout and rollback of an industry master agent's new version through
-- the numbers' weights, comparing calls by version; rules per industry and the numbers each binds.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

-- Staged rollout (and rollback) of a master agent version to the numbers of its industry.
--
-- An admin starts a rollout (admin_start_master_rollout, audited): the desired state is recorded
-- here first. The master-rollout job then publishes the new version at Retell, and moves every
-- shared, unpinned number of the industry stage by stage through the weights of its
-- inbound_agents ([old version 1 - w, new version w]), recording each number's weight only after
-- Retell confirmed it. Each stage is watched: the new version's calls are compared with the old
-- version's by the rules in master_rollout_rules; a stage with enough healthy calls advances, a
-- new version that does clearly worse is rolled back by itself. A run that dies halfway leaves
-- numbers unrecorded, and the next run binds them again (a binding is an idempotent set).

-- The rules, as data
create table public.master_rollout_rules (
  industry text primary key check (industry in ('hvac', 'plumbing')),
  stage_weights numeric[] not null default '{0.05,0.25,1}'
    check (cardinality(stage_weights) between 1 and 10 and stage_weights[cardinality(stage_weights)] = 1
           and 0 < all (stage_weights) and 1 >= all (stage_weights)),
  min_calls_per_stage integer not null default 20 check (min_calls_per_stage >= 1),
  min_stage_minutes integer not null default 60 check (min_stage_minutes >= 0),
  min_calls_to_compare integer not null default 5 check (min_calls_to_compare >= 1),
  max_extra_error_share numeric not null default 0.05 check (max_extra_error_share between 0 and 1),
  short_call_ratio numeric not null default 0.5 check (short_call_ratio between 0 and 1),
  max_extra_short_share numeric not null default 0.15 check (max_extra_short_share between 0 and 1),
  max_extra_tool_failure_share numeric not null default 0.10 check (max_extra_tool_failure_share between 0 and 1)
);
comment on table public.master_rollout_rules is 'How a master version rollout advances and when it is rolled back, per industry. A stage advances once every number is bound, min_stage_minutes have passed and the new version has min_calls_per_stage ended calls; it is rolled back as soon as the new version has min_calls_to_compare ended calls and one of its shares (error_* disconnections, calls shorter than short_call_ratio of the old version''s median, failed tool runs) exceeds the old version''s by more than the max_extra_* margin.';
comment on column public.master_rollout_rules.stage_weights is 'The share of each number''s traffic the new version gets, stage by stage; the last is 1.';
alter table public.master_rollout_rules enable row level security;
revoke all on public.master_rollout_rules from anon, authenticated, service_role;
grant select on public.master_rollout_rules to authenticated;

-- Rollouts and the bindings Retell confirmed
create table public.master_rollouts (
  id uuid primary key default gen_random_uuid(),
  industry text not null check (industry in ('hvac', 'plumbing')),
  agent_id text not null check (length(agent_id) between 1 and 200),
  from_version integer not null check (from_version >= 0),
  to_version integer check (to_version >= 0),
  stage_weights numeric[] not null check (cardinality(stage_weights) between 1 and 10 and stage_weights[cardinality(stage_weights)] = 1),
  stage integer not null default 1 check (stage >= 1 and stage <= cardinality(stage_weights)),
  target_weight numeric not null default 0 check (target_weight between 0 and 1),
  status text not null default 'publishing'
    check (status in ('publishing', 'rolling_out', 'rolling_back', 'completed', 'rolled_back')),
  stage_started_at timestamptz,
  stage_bound_at timestamptz,
  halt_reason text,
  comparison jsonb,
  started_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz,
  check (status = 'publishing' or to_version is not null),
  check (to_version is distinct from from_version),
  check ((finished_at is null) = (status in ('publishing', 'rolling_out', 'rolling_back')))
);
comment on table public.master_rollouts is 'Moves of an industry''s numbers from one master agent version to another, in stages of inbound_agents weights; at most one in progress per industry. The desired state (status, stage, target_weight) is recorded before Retell is asked.';
comment on column public.master_rollouts.to_version is 'The version rolled out; null while publishing when the admin asked for the newest draft (the job resolves it before publishing).';
comment on column public.master_rollouts.stage is 'The current stage, 1-based into stage_weights.';
comment on column public.master_rollouts.target_weight is 'The new version''s weight every number is being bound to: stage_weights[stage] while rolling out, 0 while rolling back.';
comment on column public.master_rollouts.stage_started_at is 'When the current stage (or the rollback) began; its calls are the ones compared.';
comment on column public.master_rollouts.stage_bound_at is 'When Retell had confirmed the stage''s weight on every number; the stage is observed from then.';
comment on column public.master_rollouts.halt_reason is 'Why it is rolled back: admin, publish_failed, no_new_version, or the shares that were worse (error_share, short_share, tool_failure_share).';
comment on column public.master_rollouts.comparison is 'The last comparison of the new version''s calls with the old one''s (calls, shares, median) in the current stage.';
alter table public.master_rollouts enable row level security;
revoke all on public.master_rollouts from anon, authenticated, service_role;
grant select on public.master_rollouts to authenticated;

create table public.master_rollout_numbers (
  rollout_id uuid not null references public.master_rollouts (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  phone_number text not null,
  weight numeric not null check (weight between 0 and 1),
  missing_at_retell boolean not null default false,
  bound_at timestamptz not null default now(),
  primary key (rollout_id, user_id)
);
comment on table public.master_rollout_numbers is 'Per rollout and business: the new version''s weight Retell confirmed on the number (written only after Retell answered), or missing_at_retell when Retell no longer has the number.';
alter table public.master_rollout_numbers enable row level security;
revoke all on public.master_rollout_numbers from anon, authenticated, service_role;
grant select on public.master_rollout_numbers to authenticated;

-- ---------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------

create unique index master_rollouts_one_in_progress on public.master_rollouts (industry)
  where status in ('publishing', 'rolling_out', 'rolling_back');
create index master_rollouts_industry_finished_idx on public.master_rollouts (industry, finished_at desc);
create index master_rollouts_started_by_idx on public.master_rollouts (started_by);
create index master_rollout_numbers_user_id_idx on public.master_rollout_numbers (user_id);

-- ---------------------------------------------------------------------------
-- Functions
-- ---------------------------------------------------------------------------

create function public.admin_pin_master_version(target_user_id uuid, pinned boolean)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.assert_admin();
  if target_user_id is null or pinned is null then
    raise exception 'target_user_id and pinned are required' using errcode = '22023';
  end if;
  update public.agents a set master_version_pinned = admin_pin_master_version.pinned
  where a.user_id = target_user_id and a.model = 'shared';
  if not found then
    raise exception 'no shared agent for user %', target_user_id using errcode = 'PT404';
  end if;
  perform private.write_audit('agent.master_version_pin', target_user_id,
    jsonb_build_object('pinned', pinned), 'agents', target_user_id::text);
end
$$;
comment on function public.admin_pin_master_version(uuid, boolean) is 'Admin: pins (or unpins) a shared business to the master version its number answers with, so rollouts leave it alone (audited).';
revoke all on function public.admin_pin_master_version(uuid, boolean) from public, anon, authenticated, service_role;
grant execute on function public.admin_pin_master_version(uuid, boolean) to authenticated;

-- What binds an industry's numbers (deployer, health check, job)
create function public.master_binding(industry text)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  -- In progress: the split the rollout is moving numbers to (the old version alone while
  -- publishing). Else the version the last finished rollout left numbers on. Else null: the
  -- configured pin (RETELL_AGENT_VERSION_<INDUSTRY>) holds.
  select jsonb_build_object('agent_id', r.agent_id, 'from_version', r.from_version, 'to_version', r.to_version,
                            'weight', case when r.status = 'publishing' then 0 else r.target_weight end,
                            'rollout_id', r.id, 'status', r.status)
  from public.master_rollouts r
  where r.industry = master_binding.industry
  order by r.finished_at is null desc, r.finished_at desc
  limit 1
$$;
comment on function public.master_binding(text) is 'Service role: how the industry''s numbers are bound now: {agent_id, from_version, to_version, weight (of to_version), rollout_id, status} of the rollout in progress or the last finished one (completed: weight 1, rolled back: 0), or null when no rollout ever ran.';
revoke all on function public.master_binding(text) from public, anon, authenticated, service_role;
grant execute on function public.master_binding(text) to service_role;

-- The numbers a rollout moves: active shared numbers of the industry on its agent, not pinned.
create function private.rollout_scope(rollout public.master_rollouts)
returns table (user_id uuid, phone_number text)
language sql
stable
set search_path = ''
as $$
  select a.user_id, a.phone_number::text
  from public.agents a
  join public.profiles p on p.id = a.user_id
  where a.model = 'shared' and a.deploy_status = 'active' and a.phone_number is not null
    and a.retell_agent_id = rollout.agent_id and p.industry = rollout.industry
    and not a.master_version_pinned
$$;
comment on function private.rollout_scope(public.master_rollouts) is 'The businesses whose numbers a rollout moves: active, shared, on the rollout''s agent, of its industry, not pinned.';
revoke all on function private.rollout_scope(public.master_rollouts) from public, anon, authenticated, service_role;

-- Numbers of the scope whose confirmed weight is not yet the rollout's target.
create function private.rollout_unbound(rollout public.master_rollouts)
returns table (user_id uuid, phone_number text)
language sql
stable
set search_path = ''
as $$
  select s.user_id, s.phone_number
  from private.rollout_scope(rollout) s
  where not exists (
    select 1 from public.master_rollout_numbers n
    where n.rollout_id = rollout.id and n.user_id = s.user_id
      and (n.missing_at_retell or (n.weight = rollout.target_weight and n.phone_number = s.phone_number))
  )
$$;
comment on function private.rollout_unbound(public.master_rollouts) is 'The scope''s numbers Retell has not yet confirmed at the rollout''s target weight (a number replaced since counts again).';
revoke all on function private.rollout_unbound(public.master_rollouts) from public, anon, authenticated, service_role;

-- The comparison
create function private.rollout_comparison(rollout public.master_rollouts)
returns jsonb
language sql
stable
set search_path = ''
as $$
  with rules as (
    select * from public.master_rollout_rules ru where ru.industry = rollout.industry
  ),
  -- The old version's usual call length, from its last week of calls.
  usual as (
    select percentile_cont(0.5) within group (order by c.duration_ms) as median_ms
    from public.calls c
    where c.agent_id = rollout.agent_id and c.agent_version = rollout.from_version
      and c.ended_at > now() - interval '7 days' and c.duration_ms is not null
  ),
  stage_calls as (
    select c.call_id, c.agent_version, c.disconnection_reason, c.duration_ms
    from public.calls c
    where c.agent_id = rollout.agent_id and c.agent_version in (rollout.from_version, rollout.to_version)
      and c.ended_at >= rollout.stage_started_at and c.status <> 'refused'
  ),
  per_version as (
    select v.version,
           count(sc.call_id) as calls,
           count(sc.call_id) filter (where sc.disconnection_reason like 'error\_%') as errors,
           count(sc.call_id) filter (where sc.duration_ms < (select u.median_ms from usual u) * (select r.short_call_ratio from rules r)) as short,
           coalesce(sum((select count(*) from public.tool_invocations t where t.call_id = sc.call_id and t.completed_at is not null)), 0) as tool_runs,
           coalesce(sum((select count(*) from private.tool_run_failures f where f.call_id = sc.call_id)), 0) as tool_failures
    from (values (rollout.from_version), (rollout.to_version)) as v (version)
    left join stage_calls sc on sc.agent_version = v.version
    group by v.version
  ),
  shares as (
    select p.version, p.calls, p.errors, p.short, p.tool_runs, p.tool_failures,
           case when p.calls > 0 then p.errors::numeric / p.calls else 0 end as error_share,
           case when p.calls > 0 then p.short::numeric / p.calls else 0 end as short_share,
           case when p.tool_runs + p.tool_failures > 0 then p.tool_failures::numeric / (p.tool_runs + p.tool_failures) else 0 end as tool_failure_share
    from per_version p
  )
  select jsonb_build_object(
    'old', (select to_jsonb(s) - 'version' from shares s where s.version = rollout.from_version),
    'new', (select to_jsonb(s) - 'version' from shares s where s.version = rollout.to_version),
    'old_median_ms', (select u.median_ms from usual u),
    'worse', coalesce((
      select jsonb_agg(w.metric order by w.metric)
      from shares n, shares o, rules r,
           lateral (values ('error_share', n.error_share - o.error_share > r.max_extra_error_share),
                           ('short_share', n.short_share - o.short_share > r.max_extra_short_share),
                           ('tool_failure_share', n.tool_failure_share - o.tool_failure_share > r.max_extra_tool_failure_share)) as w (metric, is_worse)
      where n.version = rollout.to_version and o.version = rollout.from_version
        and n.calls >= r.min_calls_to_compare and w.is_worse
    ), '[]'::jsonb)
  )
$$;
comment on function private.rollout_comparison(public.master_rollouts) is 'The current stage''s ended calls of the new and the old version (error_* disconnections, calls shorter than short_call_ratio of the old version''s median over 7 days, failed tool runs) and the shares in which the new version is worse by more than the rules allow ("worse", empty while it has fewer than min_calls_to_compare calls).';
revoke all on function private.rollout_comparison(public.master_rollouts) from public, anon, authenticated, service_role;

-- Admin actions
create function public.admin_start_master_rollout(industry text, to_version integer default null, stage_weights numeric[] default null)
returns public.master_rollouts
language plpgsql
security definer
set search_path = ''
as $$
declare
  master public.master_agents;
  current_binding jsonb;
  current_version integer;
  weights numeric[];
  started public.master_rollouts;
begin
  perform private.assert_admin();
  if admin_start_master_rollout.industry is null or admin_start_master_rollout.industry not in ('hvac', 'plumbing') then
    raise exception 'industry must be hvac or plumbing' using errcode = '22023';
  end if;
  if admin_start_master_rollout.to_version < 0 then
    raise exception 'to_version must be a version number' using errcode = '22023';
  end if;
  weights := coalesce(admin_start_master_rollout.stage_weights,
                      (select ru.stage_weights from public.master_rollout_rules ru where ru.industry = admin_start_master_rollout.industry));
  if cardinality(weights) not between 1 and 10 or weights[cardinality(weights)] <> 1
     or exists (select 1 from unnest(weights) w where w is null or w <= 0 or w > 1) then
    raise exception 'stage_weights must be 1 to 10 shares in (0, 1] ending with 1' using errcode = '22023';
  end if;
  -- One start at a time per industry.
  perform pg_advisory_xact_lock(hashtextextended('master_rollouts:' || admin_start_master_rollout.industry, 0));
  if exists (select 1 from public.master_rollouts r where r.industry = admin_start_master_rollout.industry and r.finished_at is null) then
    raise exception 'a rollout of the % master is in progress; roll it back or let it finish', admin_start_master_rollout.industry
      using errcode = 'PT409';
  end if;
  select * into master from public.master_agents m where m.industry = admin_start_master_rollout.industry;
  current_binding := public.master_binding(admin_start_master_rollout.industry);
  current_version := case when current_binding ->> 'status' = 'completed' then (current_binding ->> 'to_version')::integer
                          when current_binding is not null then (current_binding ->> 'from_version')::integer
                          else master.retell_agent_version end;
  if master.retell_agent_id is null or current_version is null then
    raise exception 'the % master''s current version is unknown: pin RETELL_AGENT_VERSION_% and let master-agent-health check it first',
      admin_start_master_rollout.industry, upper(admin_start_master_rollout.industry) using errcode = 'PT409';
  end if;
  if admin_start_master_rollout.to_version = current_version then
    raise exception 'numbers are on version % already', current_version using errcode = 'PT409';
  end if;
  insert into public.master_rollouts (industry, agent_id, from_version, to_version, stage_weights, started_by)
  values (admin_start_master_rollout.industry, coalesce(current_binding ->> 'agent_id', master.retell_agent_id), current_version,
          admin_start_master_rollout.to_version, weights, (select private.effective_user_id()))
  returning * into started;
  perform private.write_audit('master_rollout.start', null,
    jsonb_build_object('rollout_id', started.id, 'industry', started.industry, 'agent_id', started.agent_id,
                       'from_version', started.from_version, 'to_version', started.to_version, 'stage_weights', to_jsonb(started.stage_weights)),
    'master_rollouts', started.id::text);
  return started;
end
$$;
comment on function public.admin_start_master_rollout(text, integer, numeric[]) is 'Admin: starts moving the industry''s numbers from their current master version to to_version (null: the newest draft, which the sync made), published by the job first, in stage_weights stages (null: the industry''s rules; {1}: all numbers at once). Audited; PT409 while another is in progress.';
revoke all on function public.admin_start_master_rollout(text, integer, numeric[]) from public, anon, authenticated, service_role;
grant execute on function public.admin_start_master_rollout(text, integer, numeric[]) to authenticated;

create function public.admin_roll_back_master_rollout(industry text)
returns public.master_rollouts
language plpgsql
security definer
set search_path = ''
as $$
declare
  rolled public.master_rollouts;
begin
  perform private.assert_admin();
  if admin_roll_back_master_rollout.industry is null or admin_roll_back_master_rollout.industry not in ('hvac', 'plumbing') then
    raise exception 'industry must be hvac or plumbing' using errcode = '22023';
  end if;
  update public.master_rollouts r set
    status = case when r.status = 'publishing' then 'rolled_back' else 'rolling_back' end,
    finished_at = case when r.status = 'publishing' then now() end,
    target_weight = 0, stage_started_at = now(), stage_bound_at = null, halt_reason = 'admin'
  where r.industry = admin_roll_back_master_rollout.industry and r.status in ('publishing', 'rolling_out')
  returning * into rolled;
  if rolled.id is null then
    raise exception 'no rollout of % is in progress (a finished one is undone by rolling out its from_version)', admin_roll_back_master_rollout.industry
      using errcode = 'PT409';
  end if;
  perform private.write_audit('master_rollout.roll_back', null,
    jsonb_build_object('rollout_id', rolled.id, 'industry', rolled.industry, 'from_version', rolled.from_version, 'to_version', rolled.to_version),
    'master_rollouts', rolled.id::text);
  return rolled;
end
$$;
comment on function public.admin_roll_back_master_rollout(text) is 'Admin: moves every number of the rollout in progress back to its from_version (audited); the job carries it out.';
revoke all on function public.admin_roll_back_master_rollout(text) from public, anon, authenticated, service_role;
grant execute on function public.admin_roll_back_master_rollout(text) to authenticated;

-- The job's side (master-rollout function, service role)

-- Moves one rollout on from what is recorded: stage bound, stage observed, worse, done.
create function private.advance_rollout(rollout_id uuid)
returns public.master_rollouts
language plpgsql
set search_path = ''
as $$
declare
  r public.master_rollouts;
  rules public.master_rollout_rules;
  result jsonb;
  all_bound boolean;
begin
  select * into r from public.master_rollouts m where m.id = rollout_id for update;
  if r.status not in ('rolling_out', 'rolling_back') then return r; end if;
  select * into rules from public.master_rollout_rules ru where ru.industry = r.industry;
  all_bound := not exists (select 1 from private.rollout_unbound(r));

  if r.status = 'rolling_back' then
    if all_bound then
      update public.master_rollouts m set status = 'rolled_back', finished_at = now(), stage_bound_at = now()
      where m.id = r.id returning * into r;
      update public.agents a set retell_agent_version = r.from_version
      from private.rollout_scope(r) s where a.user_id = s.user_id;
    end if;
    return r;
  end if;

  if all_bound and r.stage_bound_at is null then
    update public.master_rollouts m set stage_bound_at = now() where m.id = r.id returning * into r;
  end if;
  result := private.rollout_comparison(r);
  update public.master_rollouts m set comparison = result where m.id = r.id returning * into r;

  if jsonb_array_length(result -> 'worse') > 0 then
    update public.master_rollouts m set status = 'rolling_back', target_weight = 0, stage_started_at = now(), stage_bound_at = null,
      halt_reason = (select string_agg(w, ',') from jsonb_array_elements_text(result -> 'worse') w)
    where m.id = r.id returning * into r;
    insert into public.ops_alerts (kind, severity, message, details, dedupe_key)
    values ('master_rollout_halted', 'critical',
            format('The rollout of %s master %s version %s was halted at %s%% and is being rolled back to version %s: the new version did worse (%s)',
                   r.industry, r.agent_id, r.to_version, round(rules.stage_weights[r.stage] * 100), r.from_version, r.halt_reason),
            jsonb_build_object('rollout_id', r.id, 'industry', r.industry, 'agent_id', r.agent_id, 'from_version', r.from_version,
                               'to_version', r.to_version, 'stage', r.stage, 'comparison', result),
            'master_rollout_halted:' || r.id)
    on conflict (dedupe_key) where resolved_at is null do nothing;
    return r;
  end if;

  if r.stage_bound_at is null then return r; end if;
  if r.target_weight = 1 then
    update public.master_rollouts m set status = 'completed', finished_at = now() where m.id = r.id returning * into r;
    update public.agents a set retell_agent_version = r.to_version
    from private.rollout_scope(r) s where a.user_id = s.user_id;
  elsif (result -> 'new' ->> 'calls')::integer >= rules.min_calls_per_stage
        and r.stage_bound_at <= now() - make_interval(mins => rules.min_stage_minutes) then
    update public.master_rollouts m set stage = m.stage + 1, target_weight = m.stage_weights[m.stage + 1],
      stage_started_at = now(), stage_bound_at = null
    where m.id = r.id returning * into r;
  end if;
  return r;
end
$$;
comment on function private.advance_rollout(uuid) is 'One step of a rollout from what is recorded: rolls it back (with a master_rollout_halted alert) when the comparison finds the new version worse; finishes a rollback once every number is back; marks a stage bound; advances an observed stage with enough healthy calls; completes at weight 1.';
revoke all on function private.advance_rollout(uuid) from public, anon, authenticated, service_role;

create function public.rollout_work(batch integer default 100)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  r public.master_rollouts;
  work jsonb := '[]'::jsonb;
begin
  if batch is null or batch not between 1 and 1000 then
    raise exception 'batch must be between 1 and 1000' using errcode = '22023';
  end if;
  for r in select * from public.master_rollouts m where m.finished_at is null order by m.created_at loop
    r := private.advance_rollout(r.id);
    if r.finished_at is not null then continue; end if;
    work := work || jsonb_build_array(jsonb_build_object(
      'id', r.id, 'industry', r.industry, 'agent_id', r.agent_id, 'from_version', r.from_version, 'to_version', r.to_version,
      'status', r.status, 'target_weight', r.target_weight,
      'numbers', coalesce((select jsonb_agg(jsonb_build_object('user_id', u.user_id, 'phone_number', u.phone_number))
                           from (select * from private.rollout_unbound(r) order by 2 limit batch) u), '[]'::jsonb)));
  end loop;
  return work;
end
$$;
comment on function public.rollout_work(integer) is 'Service role (master-rollout): advances every rollout in progress from what is recorded, then lists, per rollout still in progress, its status and target weight and up to batch numbers Retell has not yet confirmed at that weight.';
revoke all on function public.rollout_work(integer) from public, anon, authenticated, service_role;
grant execute on function public.rollout_work(integer) to service_role;

create function public.record_rollout_publish(rollout_id uuid, to_version integer, problem text default null)
returns public.master_rollouts
language plpgsql
security definer
set search_path = ''
as $$
declare
  r public.master_rollouts;
begin
  if rollout_id is null or (problem is null and to_version is null) then
    raise exception 'rollout_id and to_version (or a problem) are required' using errcode = '22023';
  end if;
  if problem is not null then
    update public.master_rollouts m set status = 'rolled_back', finished_at = now(), halt_reason = problem,
      to_version = coalesce(m.to_version, record_rollout_publish.to_version)
    where m.id = rollout_id and m.status = 'publishing' returning * into r;
    if r.id is not null then
      insert into public.ops_alerts (kind, severity, message, details, dedupe_key)
      values ('master_rollout_halted', 'warning',
              format('The rollout of %s master %s did not start: %s', r.industry, r.agent_id, problem),
              jsonb_build_object('rollout_id', r.id, 'industry', r.industry, 'agent_id', r.agent_id, 'to_version', r.to_version, 'problem', problem),
              'master_rollout_halted:' || r.id)
      on conflict (dedupe_key) where resolved_at is null do nothing;
    end if;
  else
    update public.master_rollouts m set status = 'rolling_out', to_version = record_rollout_publish.to_version,
      target_weight = m.stage_weights[1], stage = 1, stage_started_at = now()
    where m.id = rollout_id and m.status = 'publishing' returning * into r;
  end if;
  if r.id is null then
    select * into r from public.master_rollouts m where m.id = rollout_id;
  end if;
  return r;
end
$$;
comment on function public.record_rollout_publish(uuid, integer, text) is 'Service role (master-rollout): the version is published at Retell, so numbers start moving to the first stage; or, with a problem (publish_failed, no_new_version), the rollout ends without touching any number.';
revoke all on function public.record_rollout_publish(uuid, integer, text) from public, anon, authenticated, service_role;
grant execute on function public.record_rollout_publish(uuid, integer, text) to service_role;

create function public.record_rollout_binding(rollout_id uuid, user_id uuid, phone_number text, weight numeric, missing_at_retell boolean default false)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if rollout_id is null or user_id is null or phone_number is null or weight is null or weight not between 0 and 1 then
    raise exception 'rollout_id, user_id, phone_number and a weight from 0 to 1 are required' using errcode = '22023';
  end if;
  insert into public.master_rollout_numbers as n (rollout_id, user_id, phone_number, weight, missing_at_retell, bound_at)
  values (rollout_id, user_id, phone_number, weight, coalesce(missing_at_retell, false), now())
  on conflict on constraint master_rollout_numbers_pkey do update set
    phone_number = excluded.phone_number, weight = excluded.weight, missing_at_retell = excluded.missing_at_retell, bound_at = now();
end
$$;
comment on function public.record_rollout_binding(uuid, uuid, text, numeric, boolean) is 'Service role (master-rollout): Retell confirmed the number bound with this weight of the new version (or no longer has the number).';
revoke all on function public.record_rollout_binding(uuid, uuid, text, numeric, boolean) from public, anon, authenticated, service_role;
grant execute on function public.record_rollout_binding(uuid, uuid, text, numeric, boolean) to service_role;

-- ---------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------

create policy "Admins read rollout rules" on public.master_rollout_rules
  for select to authenticated using ((select private.acting_as_admin()));

create policy "Admins read master rollouts" on public.master_rollouts
  for select to authenticated using ((select private.acting_as_admin()));

create policy "Admins read rollout numbers" on public.master_rollout_numbers
  for select to authenticated using ((select private.acting_as_admin()));

-- ---------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------

create trigger master_rollouts_set_updated_at before update on public.master_rollouts
  for each row execute function private.set_updated_at();

-- ---------------------------------------------------------------------------
-- Seed data
-- ---------------------------------------------------------------------------

insert into public.master_rollout_rules (industry) values ('hvac'), ('plumbing');
