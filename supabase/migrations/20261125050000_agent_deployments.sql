-- ============================================================================
-- Agent deployment as a durable state machine. A business's agents row is its deployment record;
-- nothing about a deployment lives in a function's memory.
--
--   waiting_for_profile --(profile, consent and subscription complete: triggers)--> pending
--   pending --(the agent-deployer function claims it: a lease)--> provisioning
--   provisioning --(number bought and stored, in one statement)--> active
--   provisioning --(Retell down or outcome unknown)--> pending after a delay; failed after 6 attempts
--   provisioning --(no number in any nearby area code; Retell refuses the request)--> failed
--   failed --(a new request: wizard, admin, Stripe)--> pending
--
-- Every change kicks the agent-deployer Edge Function with pg_net; a cron job re-kicks deployments
-- that are due (a lost kick, a retry delay that ran out, a worker that died holding its lease).
-- At most one phone number per business: one row per user (unique user_id), one worker at a time
-- (the lease), and a purchase whose outcome is unknown is looked up at Retell by its marker before
-- another is bought (number_purchase_started_at).
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Columns
-- ---------------------------------------------------------------------------

alter table public.agents
  add column deploy_source text check (deploy_source ~ '^[a-z][a-z_]*$'),
  add column deploy_requested_at timestamptz,
  add column waiting_for text[] not null default '{}',
  add column deploy_attempts integer not null default 0 check (deploy_attempts >= 0),
  add column next_attempt_at timestamptz not null default now(),
  add column lease_id uuid,
  add column lease_expires_at timestamptz,
  add column number_purchase_started_at timestamptz,
  add constraint agents_lease_while_provisioning check (
    (deploy_status = 'provisioning') = (lease_id is not null)
    and (lease_id is null) = (lease_expires_at is null)
  );

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

create index agents_due_deployments_idx on public.agents (next_attempt_at)
  where deploy_status in ('pending', 'provisioning');

-- ---------------------------------------------------------------------------
-- Small pure helpers
-- ---------------------------------------------------------------------------

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

-- ---------------------------------------------------------------------------
-- Preconditions and kicking the worker
-- ---------------------------------------------------------------------------

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

create function private.kick_agent_deployer(target_user uuid)
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
  -- Never fail the caller's transaction (a Stripe webhook, a profile save) over a kick.
  if project_url is null or service_role_key is null then
    raise warning 'agent-deployer not kicked for %: Vault secrets project_url and service_role_key are required', target_user;
    return null;
  end if;
  return net.http_post(
    url := project_url || '/functions/v1/agent-deployer',
    body := jsonb_build_object('user_id', target_user),
    headers := jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' || service_role_key),
    timeout_milliseconds := 5000
  );
end
$$;
comment on function private.kick_agent_deployer(uuid) is 'Asks the agent-deployer function (pg_net, sent after commit) to work on one business''s deployment. Losing a kick is harmless: the sweeper re-kicks due deployments every minute.';

-- ---------------------------------------------------------------------------
-- Requests (Stripe checkout, the wizard, admins) and resuming a waiting deployment
-- ---------------------------------------------------------------------------

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
      using errcode = '55000';
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

create or replace function private.request_agent_deployment(target_user uuid, source text)
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

create trigger profiles_resume_agent_deployment
  after update of business_name, industry, area_code, consent_version on public.profiles
  for each row
  when (old.business_name is distinct from new.business_name or old.industry is distinct from new.industry
        or old.area_code is distinct from new.area_code or old.consent_version is distinct from new.consent_version)
  execute function private.resume_agent_deployment_trigger('id');

create trigger subscriptions_resume_agent_deployment
  after insert or update of status on public.subscriptions
  for each row execute function private.resume_agent_deployment_trigger('user_id');

-- ---------------------------------------------------------------------------
-- What the owner and operators see of an outcome: profiles.deploy_error and an ops alert
-- ---------------------------------------------------------------------------

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

create trigger agents_report_deployment_outcome
  after insert or update of deploy_status, deploy_error_code on public.agents
  for each row execute function private.report_agent_deployment_outcome();

-- ---------------------------------------------------------------------------
-- The worker's steps (agent-deployer function, service role). Each step after the claim presents
-- the lease and records one fact, with its audit row, in one transaction.
-- ---------------------------------------------------------------------------

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
    raise exception 'the lease % on the deployment of % is no longer held', lease, target_user using errcode = '55000';
  end if;
end
$$;
comment on function private.assert_deployment_lease(uuid, uuid) is 'Locks the deployment, or raises 55000 when the caller''s lease has been lost (expired and taken over, or finished).';

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

revoke execute on function
  public.deployment_claim(uuid), public.deployment_save_retell_agent(uuid, uuid, text, text, integer),
  public.deployment_begin_purchase(uuid, uuid, text),
  public.deployment_complete(uuid, uuid, text, text, text, integer, boolean),
  public.deployment_fail(uuid, uuid, text, text, boolean)
from public, anon, authenticated;
grant execute on function
  public.deployment_claim(uuid), public.deployment_save_retell_agent(uuid, uuid, text, text, integer),
  public.deployment_begin_purchase(uuid, uuid, text),
  public.deployment_complete(uuid, uuid, text, text, text, integer, boolean),
  public.deployment_fail(uuid, uuid, text, text, boolean)
to service_role;

-- ---------------------------------------------------------------------------
-- Schedule: re-kick every deployment that is due
-- ---------------------------------------------------------------------------

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

select cron.schedule('kick-due-agent-deployments', '* * * * *', 'select private.kick_due_agent_deployments()');

-- ---------------------------------------------------------------------------
-- Privileges: Postgres lets PUBLIC execute every new function. These run only inside the RPCs,
-- triggers and cron job above (as their owner), never for a client directly.
-- ---------------------------------------------------------------------------

revoke execute on function
  private.deployment_blockers(uuid), private.kick_agent_deployer(uuid),
  private.request_agent_deployment(uuid, text, text), private.request_agent_deployment(uuid, text),
  private.resume_agent_deployment(uuid), private.assert_deployment_lease(uuid, uuid),
  private.kick_due_agent_deployments()
from public, anon, authenticated;
