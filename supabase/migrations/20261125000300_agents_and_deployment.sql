-- ============================================================================
-- Agents and deployment: each business's Retell agent and phone number, the deployment queue the
-- agent-deployer function works through, the industry master agents with their prompt templates
-- and health, and the dedicated agents' health.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

-- Agents: one per business, the Retell side of its receptionist. The row is created when a
-- deployment is requested and moves through the deployment states until it has a phone number.
-- Written only by functions (service role); the owner and admins read it.
create table public.agents (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null unique references auth.users (id) on delete cascade,
  model text not null default 'shared' check (model in ('shared', 'dedicated')),
  deploy_status text not null default 'pending'
    check (deploy_status in ('pending', 'waiting_for_profile', 'provisioning', 'active', 'failed')),
  deploy_error_code text,
  deploy_error_detail text,
  retell_agent_id text,
  retell_agent_version integer check (retell_agent_version >= 0),
  retell_llm_id text,
  phone_number public.phone_e164 unique,
  area_code_requested text check (area_code_requested ~ '^[2-9][0-9]{2}$'),
  area_code_obtained text check (area_code_obtained ~ '^[2-9][0-9]{2}$'),
  area_codes_tried text[] not null default '{}',
  deployed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (deploy_status <> 'active' or (phone_number is not null and retell_agent_id is not null)),
  check (deploy_status <> 'failed' or deploy_error_code is not null),
  deploy_source text check (deploy_source ~ '^[a-z][a-z_]*$'),
  deploy_requested_at timestamptz,
  waiting_for text[] not null default '{}',
  deploy_attempts integer not null default 0 check (deploy_attempts >= 0),
  next_attempt_at timestamptz not null default now(),
  lease_id uuid,
  lease_expires_at timestamptz,
  number_purchase_started_at timestamptz,
  constraint agents_lease_while_provisioning check ( (deploy_status = 'provisioning') = (lease_id is not null) and (lease_id is null) = (lease_expires_at is null) ),
  master_version_pinned boolean not null default false
);
comment on table public.agents is 'Each business''s Retell agent binding and phone number, and the state of its deployment.';
comment on column public.agents.model is 'shared: number bound to the industry''s master agent (Model A); dedicated: an agent of its own (Model B).';
comment on column public.agents.phone_number is 'The Retell number callers dial; unique, and the key of the inbound call lookup.';
comment on column public.agents.deploy_status is 'pending: to be claimed; waiting_for_profile: preconditions missing (see waiting_for); provisioning: a worker holds the lease; active: number live; failed: see deploy_error_code.';
comment on column public.agents.deploy_error_code is 'Last deployment error: AREA_CODE_UNAVAILABLE, RETELL_REJECTED, RETELL_UNAVAILABLE, RETELL_OUTCOME_UNKNOWN, CONFIGURATION_ERROR, INTERNAL_ERROR, NUMBER_RELEASED. Kept while a retry is pending.';
comment on column public.agents.deploy_source is 'Who asked for the current deployment: stripe, wizard, admin, quick_onboard.';
comment on column public.agents.deploy_requested_at is 'When the current deployment was last requested (or restarted after a failure).';
comment on column public.agents.waiting_for is 'Preconditions still missing while waiting_for_profile: consent, subscription, business_name, industry, area_code.';
comment on column public.agents.deploy_attempts is 'Claims of the current deployment so far; after 6 failed attempts a retryable error becomes final.';
comment on column public.agents.next_attempt_at is 'A pending deployment is not claimed before this time (retry delay).';
comment on column public.agents.lease_id is 'Id of the worker run that holds the deployment while provisioning; every step it records must present it.';
comment on column public.agents.lease_expires_at is 'After this time another worker may take over a provisioning deployment.';
comment on column public.agents.number_purchase_started_at is 'Set before each number purchase and cleared when a number is stored: while set, Retell may hold a number bought for this business that we never heard back about, so the worker looks for it (by nickname) before buying.';
comment on column public.agents.master_version_pinned is 'A shared business an admin pinned to its retell_agent_version: rollouts leave its number alone.';
alter table public.agents enable row level security;
revoke all on public.agents from anon, authenticated, service_role;
grant select on public.agents to authenticated;

-- Health of the master agents, and failover while one is unhealthy.
--
-- Every shared (Model A) business of an industry answers with that industry's one Retell master
-- agent, so a deleted or misconfigured master takes all of them down at once (audit section 9).
-- The master-agent-health function reads each master at Retell every few minutes and reports
-- what it found here; SQL adds the share of error disconnections of the master's recent
-- calls, keeps the verdict per industry in master_agents, raises or resolves an ops alert, and
-- makes the inbound webhook answer that industry's calls with the configured fallback agent
-- (RETELL_FALLBACK_AGENT_ID_<INDUSTRY>) until the master is healthy again.
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
  constraint master_agents_unhealthy_since check (healthy = (unhealthy_since is null)),
  template_version integer check (template_version >= 1),
  template_hash text check (template_hash ~ '^[0-9a-f]{64}$'),
  template_llm_id text,
  template_llm_version integer check (template_llm_version >= 0),
  template_push_started_at timestamptz,
  template_checked_at timestamptz
);
comment on table public.master_agents is 'The Retell master agent of each industry (from RETELL_MASTER_AGENT_ID_<INDUSTRY>) and the latest verdict of the master-agent-health job; while unhealthy, inbound calls of that industry''s shared businesses are answered with fallback_agent_id.';
comment on column public.master_agents.retell_agent_version is 'The pinned version (RETELL_AGENT_VERSION_<INDUSTRY>), null when numbers follow the agent''s latest version.';
comment on column public.master_agents.fallback_agent_id is 'RETELL_FALLBACK_AGENT_ID_<INDUSTRY>: the agent calls are sent to while the master is unhealthy; null: no failover, only the alert.';
comment on column public.master_agents.problems is 'What the last check found wrong: agent_not_found, version_not_published, voice_missing, webhook_not_ours, llm_not_found, tool_not_ours, error_disconnections. Empty when healthy.';
comment on column public.master_agents.recent_calls is 'Calls of the master that ended in the health window (private.master_agent_error_window()).';
comment on column public.master_agents.recent_error_calls is 'Of recent_calls, those Retell ended with an error_* disconnection_reason.';
comment on column public.master_agents.template_version is 'The prompt_templates version last pushed to the master''s Retell LLM.';
comment on column public.master_agents.template_hash is 'SHA-256 of the pushed content (general_prompt, begin_message, general_tools); the draft at Retell is compared with it to find drift.';
comment on column public.master_agents.template_llm_id is 'The Retell LLM the template was pushed to.';
comment on column public.master_agents.template_llm_version is 'The LLM draft version the template was written into.';
comment on column public.master_agents.template_push_started_at is 'Set before a new agent version (with its LLM draft) is created and cleared once the template is written: while set, the latest draft at Retell is ours, so a retry fills it instead of creating another.';
comment on column public.master_agents.template_checked_at is 'When retell-template-sync last looked at this industry; with RETELL_AUTO_SYNC_MINUTES it decides when to look again.';
alter table public.master_agents enable row level security;
revoke all on public.master_agents from anon, authenticated, service_role;
grant select on public.master_agents to authenticated;

-- Prompt templates as data, and their sync to each industry's master Retell LLM.
--
-- Admins save a new version of an industry's template (prompt, begin message, tools, the dynamic
-- variables it reads) through admin_save_prompt_template(), audited; the newest version is the
-- current one. The retell-template-sync function pushes the current template to the master's
-- Retell LLM as a new draft when its content hash differs from what was last pushed, and reports
-- drift (the pushed draft edited at Retell) with an ops alert instead of overwriting it. What was
-- pushed is kept on master_agents.

-- Templates
create table public.prompt_templates (
  id uuid primary key default gen_random_uuid(),
  industry text not null check (industry in ('hvac', 'plumbing')),
  version integer not null check (version >= 1),
  general_prompt text not null check (length(general_prompt) between 1 and 100000),
  begin_message text check (length(begin_message) <= 5000),
  general_tools jsonb not null default '[]'::jsonb check (jsonb_typeof(general_tools) = 'array' and pg_column_size(general_tools) <= 200000),
  dynamic_variables text[] not null default '{}' check (cardinality(dynamic_variables) <= 100),
  created_at timestamptz not null default now(),
  unique (industry, version)
);
comment on table public.prompt_templates is 'Versioned prompt templates of the master agents, per industry; the highest version is current and is what retell-template-sync pushes to the master''s Retell LLM. Never changed once saved.';
comment on column public.prompt_templates.general_tools is 'The Retell LLM''s general_tools, as Retell takes them (custom tools must call our functions: master-agent-health checks).';
comment on column public.prompt_templates.dynamic_variables is 'The dynamic variables the prompt reads ({{business_name}}...), all of which retell-inbound must answer.';
alter table public.prompt_templates enable row level security;
revoke all on public.prompt_templates from anon, authenticated, service_role;
grant select on public.prompt_templates to authenticated;

-- Health of dedicated agents (Model B), checked like the masters, with failover.
--
-- The master-agent-health job also reads each live dedicated agent at Retell (the same checks as
-- a master: agent and pinned version, voice, webhook and tools pointing at our functions, its LLM)
-- and adds its recent error disconnections. While a business's own agent is unhealthy, one ops
-- alert is open for it and its calls are answered by its industry's master when that is healthy,
-- else by the industry's fallback agent.
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
alter table public.dedicated_agent_health enable row level security;
revoke all on public.dedicated_agent_health from anon, authenticated, service_role;
grant select on public.dedicated_agent_health to authenticated;

-- ---------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------

create index agents_due_deployments_idx on public.agents (next_attempt_at)
  where deploy_status in ('pending', 'provisioning');
create index dedicated_agent_health_checked_at_idx on public.dedicated_agent_health (checked_at);

-- ---------------------------------------------------------------------------
-- Functions
-- ---------------------------------------------------------------------------

create function private.request_agent_deployment(target_user uuid, source text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.request_agent_deployment(target_user, source, null::text);
end
$$;
comment on function private.request_agent_deployment(uuid, text) is 'Records that a business''s agent should be deployed (source: stripe, wizard, admin) and starts it when its preconditions are met; idempotent. Safe inside the caller''s transaction (the Stripe webhook''s).';
revoke all on function private.request_agent_deployment(uuid, text) from public, anon, authenticated, service_role;

-- Small pure helpers
create function private.deployment_lease()
returns interval
language sql
immutable
set search_path = ''
as $$ select interval '5 minutes' $$;
comment on function private.deployment_lease() is 'How long a worker holds a deployment; far longer than its Retell calls (10 s timeouts), renewed before each purchase.';

create function private.deployment_retry_delay(attempt integer)
returns interval
language sql
immutable
set search_path = ''
as $$ select least(interval '10 seconds' * power(2, greatest(attempt, 1) - 1), interval '10 minutes') $$;
comment on function private.deployment_retry_delay(integer) is 'Delay before retrying a deployment after its nth failed attempt: 10 s, 20 s, 40 s ... capped at 10 min. The first delay also lets an ambiguous purchase settle at Retell before we look for it.';

create function private.deployment_is_due(deployment public.agents)
returns boolean
language sql
stable
set search_path = ''
as $$
  select (deployment.deploy_status = 'pending' and deployment.next_attempt_at <= now())
      or (deployment.deploy_status = 'provisioning' and deployment.lease_expires_at < now())
$$;
comment on function private.deployment_is_due(public.agents) is 'True when a worker may claim the deployment: pending and past its retry delay, or provisioning under an expired lease.';

-- Preconditions and kicking the worker
create function private.deployment_blockers(target_user uuid)
returns text[]
language sql
stable
security definer
set search_path = ''
as $$
  select array_remove(array[
    case when p.consent_version is null then 'consent' end,
    case when s.status is null or s.status not in ('active', 'trialing') then 'subscription' end,
    case when p.business_name is null then 'business_name' end,
    case when p.industry is null then 'industry' end,
    case when p.area_code is null then 'area_code' end
  ], null)
  from (select target_user as id) as t
  left join public.profiles p on p.id = t.id
  left join public.subscriptions s on s.user_id = t.id
$$;
comment on function private.deployment_blockers(uuid) is 'What a business still lacks before its agent can be deployed (consent, subscription, business_name, industry, area_code); empty when ready.';
revoke all on function private.deployment_blockers(uuid) from public, anon, authenticated, service_role;

-- The agent-deployer kick carries the Vault's service_role_key as the apikey header too. The key
-- may be a secret key (sb_secret_..., not a JWT: it belongs in apikey) or the legacy service_role
-- JWT (read from Authorization by older code); the function accepts either in either header.
create function private.kick_agent_deployer(target_user uuid)
returns bigint
language sql
security definer
set search_path = ''
as $$ select private.call_function('agent-deployer', jsonb_build_object('user_id', target_user)) $$;
comment on function private.kick_agent_deployer(uuid) is 'Asks the agent-deployer function to work on one business''s deployment. Losing a kick is harmless: the sweeper re-kicks due deployments every minute.';
revoke all on function private.kick_agent_deployer(uuid) from public, anon, authenticated, service_role;

-- Not in a state that allows it (an agent that is not active, a lease lost): PT409
create function private.request_agent_deployment(target_user uuid, source text, agent_model text)
returns public.agents
language plpgsql
security definer
set search_path = ''
as $$
declare
  missing text[] := private.deployment_blockers(target_user);
  existing public.agents;
  deployment public.agents;
  restarted boolean;
begin
  if agent_model is not null and agent_model not in ('shared', 'dedicated') then
    raise exception 'agent model must be shared or dedicated, not %', agent_model using errcode = '22023';
  end if;
  select * into existing from public.agents a where a.user_id = target_user for update;
  if existing.id is not null and agent_model is not null and agent_model <> existing.model
     and existing.deploy_status not in ('waiting_for_profile', 'failed') then
    raise exception 'the % agent of this business is %, so it cannot become %', existing.model, existing.deploy_status, agent_model
      using errcode = 'PT409';
  end if;

  -- New, waiting and failed deployments (re)start; pending, provisioning and active ones are left as
  -- they are, so redelivered events and double clicks change nothing.
  insert into public.agents as a (user_id, model, deploy_status, waiting_for, deploy_source, deploy_requested_at)
  values (target_user, coalesce(agent_model, 'shared'),
          case when cardinality(missing) = 0 then 'pending' else 'waiting_for_profile' end,
          missing, source, now())
  on conflict (user_id) do update set
    model = coalesce(agent_model, a.model),
    deploy_status = excluded.deploy_status,
    waiting_for = excluded.waiting_for,
    deploy_source = excluded.deploy_source,
    deploy_requested_at = excluded.deploy_requested_at,
    deploy_attempts = 0,
    next_attempt_at = now(),
    deploy_error_code = null,
    deploy_error_detail = null,
    area_codes_tried = '{}'
  where a.deploy_status in ('waiting_for_profile', 'failed')
  returning * into deployment;

  restarted := deployment.id is not null;
  if not restarted then
    deployment := existing;
  end if;
  perform private.write_audit('agent.deploy_requested', target_user,
    jsonb_build_object('source', source, 'model', deployment.model, 'status', deployment.deploy_status,
                       'waiting_for', deployment.waiting_for, 'started', restarted),
    'agents', deployment.id::text);
  if deployment.deploy_status = 'pending' then
    perform private.kick_agent_deployer(target_user);
  end if;
  return deployment;
end
$$;
comment on function private.request_agent_deployment(uuid, text, text) is 'Asks for a business''s agent to be deployed (agent_model: shared, dedicated, or null to keep the current model). Starts new, waiting and failed deployments; leaves running and active ones alone. Returns the deployment row.';
revoke all on function private.request_agent_deployment(uuid, text, text) from public, anon, authenticated, service_role;

create function private.resume_agent_deployment(target_user uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  missing text[] := private.deployment_blockers(target_user);
  resumed public.agents;
begin
  update public.agents a
  set waiting_for = missing,
      deploy_status = case when cardinality(missing) = 0 then 'pending' else 'waiting_for_profile' end,
      next_attempt_at = now()
  where a.user_id = target_user and a.deploy_status = 'waiting_for_profile' and a.waiting_for is distinct from missing
  returning * into resumed;
  if resumed.deploy_status = 'pending' then
    perform private.write_audit('agent.deploy_resumed', target_user, jsonb_build_object('source', resumed.deploy_source), 'agents', resumed.id::text);
    perform private.kick_agent_deployer(target_user);
  end if;
end
$$;
comment on function private.resume_agent_deployment(uuid) is 'Re-checks a waiting deployment''s preconditions: records what is still missing, or starts it when nothing is.';
revoke all on function private.resume_agent_deployment(uuid) from public, anon, authenticated, service_role;

create function private.resume_agent_deployment_trigger()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- tg_argv[0] names the column holding the user id (profiles.id, subscriptions.user_id).
  perform private.resume_agent_deployment((to_jsonb(new) ->> tg_argv[0])::uuid);
  return null;
end
$$;
comment on function private.resume_agent_deployment_trigger() is 'Trigger: a waiting deployment starts the moment its business completes the profile, accepts consent or starts paying.';

-- What the owner and operators see of an outcome: profiles.deploy_error and an ops alert
create function private.report_agent_deployment_outcome()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  shown_error text := case when new.deploy_status = 'failed' then new.deploy_error_code end;
begin
  update public.profiles set deploy_error = shown_error
  where id = new.user_id and deploy_error is distinct from shown_error;
  if new.deploy_status = 'failed' then
    insert into public.ops_alerts (kind, severity, message, user_id, details, dedupe_key)
    values ('agent_deploy_failed', 'warning', 'Agent deployment failed: ' || new.deploy_error_code, new.user_id,
            jsonb_build_object('code', new.deploy_error_code, 'detail', new.deploy_error_detail,
                               'area_codes_tried', new.area_codes_tried, 'attempts', new.deploy_attempts),
            'agent_deploy_failed:' || new.user_id)
    on conflict (dedupe_key) where resolved_at is null do nothing;
  elsif new.deploy_status = 'active' then
    update public.ops_alerts set resolved_at = now()
    where dedupe_key = 'agent_deploy_failed:' || new.user_id and resolved_at is null;
  end if;
  return null;
end
$$;
comment on function private.report_agent_deployment_outcome() is 'Trigger: mirrors a failed deployment''s code into profiles.deploy_error (cleared otherwise) and opens an ops alert for it, resolved once the agent is active.';

-- The worker's steps (agent-deployer function, service role). Each step after the claim presents
-- the lease and records one fact, with its audit row, in one transaction.
create function private.assert_deployment_lease(target_user uuid, lease uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform 1 from public.agents a
  where a.user_id = target_user and a.lease_id = lease and a.deploy_status = 'provisioning'
  for update;
  if not found then
    raise exception 'the lease % on the deployment of % is no longer held', lease, target_user using errcode = 'PT409';
  end if;
end
$$;
comment on function private.assert_deployment_lease(uuid, uuid) is 'Locks the deployment, or raises 55000 when the caller''s lease has been lost (expired and taken over, or finished).';
revoke all on function private.assert_deployment_lease(uuid, uuid) from public, anon, authenticated, service_role;

create function public.deployment_claim(target_user uuid)
returns table (
  lease_id uuid, attempt integer, model text, industry text, area_code text, business_name text,
  retell_llm_id text, retell_agent_id text, retell_agent_version integer, purchase_outcome_unknown boolean
)
language plpgsql
security definer
set search_path = ''
as $$
declare
  claimed record;
begin
  -- Preconditions can lapse between the request and the claim (a cancelled subscription, say).
  update public.agents a
  set deploy_status = 'waiting_for_profile', waiting_for = private.deployment_blockers(a.user_id),
      lease_id = null, lease_expires_at = null
  where a.user_id = target_user and private.deployment_is_due(a)
    and cardinality(private.deployment_blockers(a.user_id)) > 0;

  -- One statement: of any number of concurrent claims, the row lock lets exactly one through.
  update public.agents a
  set deploy_status = 'provisioning', lease_id = gen_random_uuid(),
      lease_expires_at = now() + private.deployment_lease(),
      deploy_attempts = a.deploy_attempts + 1, area_code_requested = p.area_code
  from public.profiles p
  where a.user_id = target_user and p.id = a.user_id and private.deployment_is_due(a)
  returning a.id, a.lease_id, a.deploy_attempts, a.model, p.industry, p.area_code, p.business_name,
            a.retell_llm_id, a.retell_agent_id, a.retell_agent_version, a.number_purchase_started_at is not null as purchase_outcome_unknown
  into claimed;
  if claimed.id is null then
    return;
  end if;
  perform private.write_audit('agent.deploy_claimed', target_user,
    jsonb_build_object('attempt', claimed.deploy_attempts, 'lease_id', claimed.lease_id, 'model', claimed.model,
                       'area_code', claimed.area_code, 'purchase_outcome_unknown', claimed.purchase_outcome_unknown),
    'agents', claimed.id::text);
  return query select claimed.lease_id, claimed.deploy_attempts, claimed.model, claimed.industry, claimed.area_code,
    claimed.business_name, claimed.retell_llm_id, claimed.retell_agent_id, claimed.retell_agent_version,
    claimed.purchase_outcome_unknown;
end
$$;
comment on function public.deployment_claim(uuid) is 'agent-deployer: takes the lease on a business''s deployment when it is due and its preconditions hold; returns what provisioning needs, or no row when another worker has it or nothing is due.';
revoke all on function public.deployment_claim(uuid) from public, anon, authenticated, service_role;
grant execute on function public.deployment_claim(uuid) to service_role;

create function public.deployment_save_retell_agent(
  target_user uuid, lease uuid, llm_id text, agent_id text, agent_version integer
) returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.assert_deployment_lease(target_user, lease);
  update public.agents a
  set retell_llm_id = coalesce(llm_id, a.retell_llm_id),
      retell_agent_id = coalesce(agent_id, a.retell_agent_id),
      retell_agent_version = coalesce(agent_version, a.retell_agent_version)
  where a.user_id = target_user;
  perform private.write_audit('agent.retell_agent_saved', target_user,
    jsonb_strip_nulls(jsonb_build_object('retell_llm_id', llm_id, 'retell_agent_id', agent_id, 'retell_agent_version', agent_version)),
    'agents', null);
end
$$;
comment on function public.deployment_save_retell_agent(uuid, uuid, text, text, integer) is 'agent-deployer (dedicated model): records the Retell LLM and agent made for the business as soon as each exists, so a retry continues instead of making more.';
revoke all on function public.deployment_save_retell_agent(uuid, uuid, text, text, integer) from public, anon, authenticated, service_role;
grant execute on function public.deployment_save_retell_agent(uuid, uuid, text, text, integer) to service_role;

create function public.deployment_begin_purchase(target_user uuid, lease uuid, area_code text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.assert_deployment_lease(target_user, lease);
  -- Renewing the lease here means no other worker can take over while this purchase is in flight.
  update public.agents a
  set number_purchase_started_at = now(),
      lease_expires_at = now() + private.deployment_lease(),
      area_codes_tried = case when deployment_begin_purchase.area_code = any (a.area_codes_tried) then a.area_codes_tried
                              else a.area_codes_tried || deployment_begin_purchase.area_code end
  where a.user_id = target_user;
  perform private.write_audit('agent.number_purchase_started', target_user,
    jsonb_build_object('area_code', deployment_begin_purchase.area_code), 'agents', null);
end
$$;
comment on function public.deployment_begin_purchase(uuid, uuid, text) is 'agent-deployer: records that a number purchase in this area code is about to be sent to Retell (before sending it).';
revoke all on function public.deployment_begin_purchase(uuid, uuid, text) from public, anon, authenticated, service_role;
grant execute on function public.deployment_begin_purchase(uuid, uuid, text) to service_role;

create function public.deployment_complete(
  target_user uuid, lease uuid, phone_number text, area_code text, agent_id text, agent_version integer, adopted boolean
) returns public.agents
language plpgsql
security definer
set search_path = ''
as $$
declare
  deployed public.agents;
  released record;
begin
  perform private.assert_deployment_lease(target_user, lease);
  -- Retell has just given this number to this business, so a row of ours still holding it is
  -- stale: that number was released at some point and bought again.
  for released in
    update public.agents a
    set deploy_status = 'failed', phone_number = null, deploy_error_code = 'NUMBER_RELEASED',
        deploy_error_detail = deployment_complete.phone_number || ' was released and now belongs to another business'
    where a.phone_number = deployment_complete.phone_number and a.user_id <> target_user
    returning a.id, a.user_id
  loop
    perform private.write_audit('agent.number_released', released.user_id,
      jsonb_build_object('phone_number', deployment_complete.phone_number, 'now_for', target_user), 'agents', released.id::text);
  end loop;

  update public.agents a
  set deploy_status = 'active', phone_number = deployment_complete.phone_number,
      area_code_obtained = deployment_complete.area_code,
      retell_agent_id = deployment_complete.agent_id, retell_agent_version = deployment_complete.agent_version,
      deployed_at = now(), lease_id = null, lease_expires_at = null, number_purchase_started_at = null,
      deploy_error_code = null, deploy_error_detail = null, waiting_for = '{}'
  where a.user_id = target_user
  returning * into deployed;
  perform private.write_audit('agent.deployed', target_user,
    jsonb_build_object('phone_number', deployed.phone_number, 'retell_agent_id', deployed.retell_agent_id,
                       'retell_agent_version', deployed.retell_agent_version, 'retell_llm_id', deployed.retell_llm_id,
                       'model', deployed.model, 'area_code_requested', deployed.area_code_requested,
                       'area_code_obtained', deployed.area_code_obtained, 'area_codes_tried', deployed.area_codes_tried,
                       'attempts', deployed.deploy_attempts, 'adopted', adopted),
    'agents', deployed.id::text);
  return deployed;
end
$$;
comment on function public.deployment_complete(uuid, uuid, text, text, text, integer, boolean) is 'agent-deployer: stores the business''s number and agent binding and marks the deployment active, in one transaction. adopted = the number was found at Retell after an ambiguous purchase rather than bought now.';
revoke all on function public.deployment_complete(uuid, uuid, text, text, text, integer, boolean) from public, anon, authenticated, service_role;
grant execute on function public.deployment_complete(uuid, uuid, text, text, text, integer, boolean) to service_role;

create function public.deployment_fail(target_user uuid, lease uuid, error_code text, error_detail text, retryable boolean)
returns public.agents
language plpgsql
security definer
set search_path = ''
as $$
declare
  outcome public.agents;
begin
  perform private.assert_deployment_lease(target_user, lease);
  update public.agents a
  set deploy_status = case when retryable and a.deploy_attempts < 6 then 'pending' else 'failed' end,
      next_attempt_at = now() + private.deployment_retry_delay(a.deploy_attempts),
      deploy_error_code = error_code, deploy_error_detail = left(error_detail, 1000),
      lease_id = null, lease_expires_at = null
  where a.user_id = target_user
  returning * into outcome;
  perform private.write_audit(
    case when outcome.deploy_status = 'pending' then 'agent.deploy_retry_scheduled' else 'agent.deploy_failed' end,
    target_user,
    jsonb_build_object('code', error_code, 'detail', outcome.deploy_error_detail, 'attempt', outcome.deploy_attempts,
                       'area_codes_tried', outcome.area_codes_tried, 'next_attempt_at',
                       case when outcome.deploy_status = 'pending' then outcome.next_attempt_at end),
    'agents', outcome.id::text);
  return outcome;
end
$$;
comment on function public.deployment_fail(uuid, uuid, text, text, boolean) is 'agent-deployer: ends a failed attempt. Retryable errors go back to pending after private.deployment_retry_delay (failed after 6 attempts); others fail at once. The failure code reaches profiles.deploy_error.';
revoke all on function public.deployment_fail(uuid, uuid, text, text, boolean) from public, anon, authenticated, service_role;
grant execute on function public.deployment_fail(uuid, uuid, text, text, boolean) to service_role;

-- Schedule: re-kick every deployment that is due
create function private.kick_due_agent_deployments()
returns integer
language sql
security definer
set search_path = ''
as $$
  select count(private.kick_agent_deployer(due.user_id))::integer
  from (
    select a.user_id from public.agents a
    where a.deploy_status in ('pending', 'provisioning') and private.deployment_is_due(a)
    order by a.next_attempt_at
    limit 100
  ) as due
$$;
comment on function private.kick_due_agent_deployments() is 'Kicks the worker for up to 100 due deployments (retry delay over, lost kick, expired lease). Run every minute by cron; overlapping runs are harmless because claims are exclusive.';
revoke all on function private.kick_due_agent_deployments() from public, anon, authenticated, service_role;

-- deploy_my_agent: unchanged but for the check, before anything is written
create function public.deploy_my_agent(business_name text, area_code text, industry text, business_hours jsonb default null, transfer_number text default null, agent_tone text default null, schedule_summary text default null, standard_fee numeric default null, emergency_fee numeric default null)
returns public.agents
language plpgsql
security definer
set search_path = ''
as $$
declare
  me uuid := private.effective_user_id();
begin
  if me is null then
    raise exception 'sign in to deploy an agent' using errcode = '42501';
  end if;
  perform private.assert_wizard_open();
  -- The agents row first, even for a first deployment: create it (the request below gives it its
  -- real state in this same transaction) and hold it before saving the profile.
  insert into public.agents (user_id, deploy_status) values (me, 'waiting_for_profile') on conflict (user_id) do nothing;
  perform 1 from public.agents a where a.user_id = me for update;
  -- Only the business fields an owner may edit anyway; null keeps the saved value.
  update public.profiles p
  set business_name = deploy_my_agent.business_name,
      area_code = deploy_my_agent.area_code,
      industry = deploy_my_agent.industry,
      business_hours = coalesce(deploy_my_agent.business_hours, p.business_hours),
      transfer_number = coalesce(deploy_my_agent.transfer_number::public.phone_e164, p.transfer_number),
      agent_tone = coalesce(deploy_my_agent.agent_tone, p.agent_tone),
      schedule_summary = coalesce(deploy_my_agent.schedule_summary, p.schedule_summary),
      standard_fee = coalesce(deploy_my_agent.standard_fee, p.standard_fee),
      emergency_fee = coalesce(deploy_my_agent.emergency_fee, p.emergency_fee)
  where p.id = me;
  if not found then
    raise exception 'no profile for user %', me using errcode = 'PT404';
  end if;
  return private.request_agent_deployment(me, 'wizard', null);
end
$$;
comment on function public.deploy_my_agent(text, text, text, jsonb, text, text, text, numeric, numeric) is
  'The wizard''s deploy step for the signed-in owner (or the user an admin impersonates): saves the business details and requests the deployment, in one transaction. Returns the deployment row; it waits (waiting_for) until consent and payment are in.';
revoke all on function public.deploy_my_agent(text, text, text, jsonb, text, text, text, numeric, numeric) from public, anon, authenticated, service_role;
grant execute on function public.deploy_my_agent(text, text, text, jsonb, text, text, text, numeric, numeric) to authenticated;

-- Operators
create function public.admin_request_agent_deployment(target_user_id uuid, agent_model text default null)
returns public.agents
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.assert_admin();
  if not exists (select 1 from auth.users u where u.id = target_user_id) then
    raise exception 'no user %', target_user_id using errcode = 'PT404';
  end if;
  -- The request's own audit row names the admin as the actor and 'admin' as the source.
  return private.request_agent_deployment(target_user_id, 'admin', agent_model);
end
$$;
comment on function public.admin_request_agent_deployment(uuid, text) is
  'Admin: deploys (or retries the failed deployment of) a business''s agent. agent_model dedicated = the legacy clone path: an agent of its own built from the master''s template; null keeps the current model (shared for a new deployment).';
revoke all on function public.admin_request_agent_deployment(uuid, text) from public, anon, authenticated, service_role;
grant execute on function public.admin_request_agent_deployment(uuid, text) to authenticated;

create function public.admin_dedicated_agent(target_user_id uuid)
returns public.agents
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  deployment public.agents;
begin
  perform private.assert_admin();
  select * into deployment from public.agents a where a.user_id = target_user_id;
  if deployment.id is null or deployment.deploy_status <> 'active' then
    raise exception 'user % has no active agent', target_user_id using errcode = 'PT409';
  end if;
  if deployment.model <> 'dedicated' then
    raise exception 'user % answers with the industry''s shared master agent; change the master in Retell instead', target_user_id
      using errcode = 'PT409';
  end if;
  return deployment;
end
$$;
comment on function public.admin_dedicated_agent(uuid) is 'Admin: the active dedicated agent of a business, which update-agent may change; refuses shared (master) agents.';
revoke all on function public.admin_dedicated_agent(uuid) from public, anon, authenticated, service_role;
grant execute on function public.admin_dedicated_agent(uuid) to authenticated;

create function public.admin_record_agent_version(target_user_id uuid, agent_id text, agent_version integer, changed_fields text[])
returns public.agents
language plpgsql
security definer
set search_path = ''
as $$
declare
  updated public.agents;
begin
  perform private.assert_admin();
  update public.agents a
  set retell_agent_version = admin_record_agent_version.agent_version
  where a.user_id = target_user_id and a.retell_agent_id = admin_record_agent_version.agent_id
    and a.deploy_status = 'active'
  returning * into updated;
  if updated.id is null then
    raise exception 'user % has no active agent %', target_user_id, agent_id using errcode = 'PT409';
  end if;
  perform private.write_audit('agent.updated', target_user_id,
    jsonb_build_object('retell_agent_id', agent_id, 'retell_agent_version', agent_version,
                       'retell_llm_id', updated.retell_llm_id, 'phone_number', updated.phone_number, 'changed', changed_fields),
    'agents', updated.id::text);
  return updated;
end
$$;
comment on function public.admin_record_agent_version(uuid, text, integer, text[]) is 'Admin (update-agent): records the newly published version a dedicated agent''s number now answers with.';
revoke all on function public.admin_record_agent_version(uuid, text, integer, text[]) from public, anon, authenticated, service_role;
grant execute on function public.admin_record_agent_version(uuid, text, integer, text[]) to authenticated;

-- Thresholds
create function private.master_agent_error_window()
returns interval
language sql
immutable
set search_path = ''
as $$ select interval '15 minutes' $$;
comment on function private.master_agent_error_window() is 'How far back the health check looks at a master''s ended calls.';
revoke all on function private.master_agent_error_window() from public, anon, authenticated, service_role;

create function private.master_agent_is_erroring(recent_calls integer, recent_error_calls integer)
returns boolean
language sql
immutable
set search_path = ''
as $$ select recent_calls >= 5 and recent_error_calls * 4 > recent_calls $$;
comment on function private.master_agent_is_erroring(integer, integer) is 'True when more than a quarter of at least 5 recent calls ended with an error_* disconnection: fewer calls say too little to fail over a whole industry.';
revoke all on function private.master_agent_is_erroring(integer, integer) from public, anon, authenticated, service_role;

-- What one check of an agent found: the problems seen at Retell, plus error_disconnections when
-- too many of the agent's recent calls ended in an error. plpgsql, because public.calls is created
-- by a later area.
create function private.agent_health_findings(agent_id text, retell_problems text[])
returns table (problems text[], recent_calls integer, recent_error_calls integer)
language plpgsql
stable
set search_path = ''
as $$
begin
  return query
  select coalesce(agent_health_findings.retell_problems, '{}')
           || case when private.master_agent_is_erroring(recent.calls, recent.errors) then array['error_disconnections'] else '{}' end,
         recent.calls, recent.errors
  from (
    select count(*)::integer as calls, count(*) filter (where c.disconnection_reason like 'error\_%')::integer as errors
    from public.calls c
    where c.agent_id = agent_health_findings.agent_id
      and c.ended_at > now() - private.master_agent_error_window()
  ) as recent;
end
$$;
comment on function private.agent_health_findings(text, text[]) is 'One check of a master or dedicated agent: the problems found at Retell plus error_disconnections (private.master_agent_is_erroring over the calls that ended in private.master_agent_error_window()), and those call counts.';
revoke all on function private.agent_health_findings(text, text[]) from public, anon, authenticated, service_role;

-- Recording a check (the master-agent-health function, service role)
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

  select f.problems, f.recent_calls, f.recent_error_calls into found, total, errors
  from private.agent_health_findings(record_master_agent_health.retell_agent_id, record_master_agent_health.retell_problems) f;

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
revoke all on function public.record_master_agent_health(text, text, integer, text, text[]) from public, anon, authenticated, service_role;
grant execute on function public.record_master_agent_health(text, text, integer, text, text[]) to service_role;

create function public.admin_save_prompt_template(
  industry text,
  general_prompt text,
  begin_message text default null,
  general_tools jsonb default '[]'::jsonb,
  dynamic_variables text[] default '{}'
)
returns public.prompt_templates
language plpgsql
security definer
set search_path = ''
as $$
declare
  saved public.prompt_templates;
begin
  perform private.assert_admin();
  if admin_save_prompt_template.industry is null or admin_save_prompt_template.industry not in ('hvac', 'plumbing') then
    raise exception 'industry must be hvac or plumbing' using errcode = '22023';
  end if;
  if coalesce(length(admin_save_prompt_template.general_prompt), 0) = 0 then
    raise exception 'general_prompt is required' using errcode = '22023';
  end if;
  if admin_save_prompt_template.general_tools is null or jsonb_typeof(admin_save_prompt_template.general_tools) <> 'array' then
    raise exception 'general_tools must be an array' using errcode = '22023';
  end if;
  if exists (select 1 from unnest(admin_save_prompt_template.dynamic_variables) v where v is null or v !~ '^[a-z][a-z0-9_]{0,63}$') then
    raise exception 'dynamic_variables must be names like business_name' using errcode = '22023';
  end if;
  -- One saver at a time per industry, so versions never collide.
  perform pg_advisory_xact_lock(hashtextextended('prompt_templates:' || admin_save_prompt_template.industry, 0));
  insert into public.prompt_templates (industry, version, general_prompt, begin_message, general_tools, dynamic_variables)
  select admin_save_prompt_template.industry, coalesce(max(t.version), 0) + 1, admin_save_prompt_template.general_prompt,
         admin_save_prompt_template.begin_message, admin_save_prompt_template.general_tools,
         coalesce(admin_save_prompt_template.dynamic_variables, '{}')
  from public.prompt_templates t
  where t.industry = admin_save_prompt_template.industry
  returning * into saved;
  perform private.write_audit('prompt_template.save', null,
    jsonb_build_object('industry', saved.industry, 'version', saved.version), 'prompt_templates', saved.id::text);
  return saved;
end
$$;
comment on function public.admin_save_prompt_template(text, text, text, jsonb, text[]) is 'Admin: saves the next version of an industry''s prompt template, which becomes current (audited). The next retell-template-sync run pushes it.';
revoke all on function public.admin_save_prompt_template(text, text, text, jsonb, text[]) from public, anon, authenticated, service_role;
grant execute on function public.admin_save_prompt_template(text, text, text, jsonb, text[]) to authenticated;

create function public.template_sync_state()
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object(
    'industry', i.industry,
    'template', (select to_jsonb(t) from public.prompt_templates t where t.industry = i.industry order by t.version desc limit 1),
    'pushed', (select jsonb_build_object('template_version', m.template_version, 'template_hash', m.template_hash,
                                         'llm_id', m.template_llm_id, 'llm_version', m.template_llm_version,
                                         'push_started_at', m.template_push_started_at, 'checked_at', m.template_checked_at)
               from public.master_agents m where m.industry = i.industry)
  ) order by i.industry), '[]'::jsonb)
  from (values ('hvac'), ('plumbing')) as i (industry)
$$;
comment on function public.template_sync_state() is 'Service role (retell-template-sync): per industry, the current template and what was last pushed to Retell.';
revoke all on function public.template_sync_state() from public, anon, authenticated, service_role;
grant execute on function public.template_sync_state() to service_role;

create function public.record_template_sync(
  industry text,
  retell_agent_id text,
  outcome text,
  template_version integer default null,
  template_hash text default null,
  llm_id text default null,
  llm_version integer default null
)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if record_template_sync.industry is null or record_template_sync.industry not in ('hvac', 'plumbing') or record_template_sync.retell_agent_id is null then
    raise exception 'industry (hvac or plumbing) and retell_agent_id are required' using errcode = '22023';
  end if;
  if record_template_sync.outcome is null or record_template_sync.outcome not in ('checked', 'push_started', 'pushed', 'drift') then
    raise exception 'outcome must be checked, push_started, pushed or drift' using errcode = '22023';
  end if;
  insert into public.master_agents (industry, retell_agent_id)
  values (record_template_sync.industry, record_template_sync.retell_agent_id)
  on conflict on constraint master_agents_pkey do nothing;

  update public.master_agents m set
    template_checked_at = now(),
    template_push_started_at = case record_template_sync.outcome when 'push_started' then coalesce(m.template_push_started_at, now())
                                                               when 'pushed' then null else m.template_push_started_at end,
    template_version = case when record_template_sync.outcome = 'pushed' then record_template_sync.template_version else m.template_version end,
    template_hash = case when record_template_sync.outcome = 'pushed' then record_template_sync.template_hash else m.template_hash end,
    template_llm_id = case when record_template_sync.outcome = 'pushed' then record_template_sync.llm_id else m.template_llm_id end,
    template_llm_version = case when record_template_sync.outcome = 'pushed' then record_template_sync.llm_version else m.template_llm_version end
  where m.industry = record_template_sync.industry;

  if record_template_sync.outcome = 'drift' then
    insert into public.ops_alerts (kind, severity, message, details, dedupe_key)
    select 'retell_llm_drift', 'warning',
           format('The %s master''s Retell LLM %s (version %s) was changed at Retell after template version %s was pushed; it is not overwritten. Save its content as a template or change it back.',
                  m.industry, m.template_llm_id, m.template_llm_version, m.template_version),
           jsonb_build_object('industry', m.industry, 'llm_id', m.template_llm_id, 'llm_version', m.template_llm_version,
                              'template_version', m.template_version, 'pushed_hash', m.template_hash,
                              'found_hash', record_template_sync.template_hash),
           format('retell_llm_drift:%s:%s:%s', m.industry, m.template_llm_id, m.template_llm_version)
    from public.master_agents m
    where m.industry = record_template_sync.industry
    on conflict (dedupe_key) where resolved_at is null do nothing;
  end if;
end
$$;
comment on function public.record_template_sync(text, text, text, integer, text, text, integer) is 'Service role (retell-template-sync): records a look at an industry (checked), the start of a push (push_started), its end (pushed: template version, hash, LLM and draft version), or drift (the pushed draft changed at Retell: an ops alert, one per LLM version).';
revoke all on function public.record_template_sync(text, text, text, integer, text, text, integer) from public, anon, authenticated, service_role;
grant execute on function public.record_template_sync(text, text, text, integer, text, text, integer) to service_role;

-- The job's side (master-agent-health, service role)
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
revoke all on function public.dedicated_agents_to_check(integer) from public, anon, authenticated, service_role;
grant execute on function public.dedicated_agents_to_check(integer) to service_role;

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
  select f.problems, f.recent_calls, f.recent_error_calls into found, total, errors
  from private.agent_health_findings(record_dedicated_agent_health.retell_agent_id, record_dedicated_agent_health.retell_problems) f;

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
revoke all on function public.record_dedicated_agent_health(uuid, text, integer, text[]) from public, anon, authenticated, service_role;
grant execute on function public.record_dedicated_agent_health(uuid, text, integer, text[]) to service_role;

-- The backend prompt: the current prompt template of a number's industry, for the inbound webhook.
--
-- With RETELL_PROMPT_MODE=backend (or a business on RETELL_BACKEND_PROMPT_ALLOWLIST) retell-inbound
-- sends the current template with each call of a shared business instead of leaving the prompt to
-- the master's Retell LLM. It asks for it by the called number (alongside the inbound lookup in
-- mode backend, after it for an allowlisted business), which leaves that lookup unchanged.
create function public.backend_prompt(to_number text)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object('industry', t.industry, 'version', t.version,
                            'general_prompt', t.general_prompt, 'begin_message', t.begin_message)
  from public.agents a
  join public.profiles p on p.id = a.user_id
  cross join lateral (
    select * from public.prompt_templates pt where pt.industry = p.industry order by pt.version desc limit 1
  ) t
  where a.phone_number = backend_prompt.to_number and a.model = 'shared'
$$;
comment on function public.backend_prompt(text) is 'Service role (retell-inbound): the current prompt template (industry, version, general_prompt, begin_message) of the shared business behind to_number (E.164), or null (unknown number, dedicated agent, no template).';
revoke all on function public.backend_prompt(text) from public, anon, authenticated, service_role;
grant execute on function public.backend_prompt(text) to service_role;

-- ---------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------

create policy "Users read their own agents, admins every one" on public.agents for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));

create policy "Admins read master agents" on public.master_agents
  for select to authenticated using ((select private.acting_as_admin()));

create policy "Admins read prompt templates" on public.prompt_templates
  for select to authenticated using ((select private.acting_as_admin()));

create policy "Admins read dedicated agent health" on public.dedicated_agent_health
  for select to authenticated using ((select private.acting_as_admin()));

-- ---------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------

create trigger agents_set_updated_at before update on public.agents
  for each row execute function private.set_updated_at();

create trigger profiles_resume_agent_deployment
  after update of business_name, industry, area_code, consent_version on public.profiles
  for each row
  when (old.business_name is distinct from new.business_name or old.industry is distinct from new.industry
        or old.area_code is distinct from new.area_code or old.consent_version is distinct from new.consent_version)
  execute function private.resume_agent_deployment_trigger('id');

create trigger subscriptions_resume_agent_deployment
  after insert or update of status on public.subscriptions
  for each row execute function private.resume_agent_deployment_trigger('user_id');

create trigger agents_report_deployment_outcome
  after insert or update of deploy_status, deploy_error_code on public.agents
  for each row execute function private.report_agent_deployment_outcome();
