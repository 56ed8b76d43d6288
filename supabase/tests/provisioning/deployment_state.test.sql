-- The deployment state machine in SQL: requests (idempotent, waiting for preconditions), the
-- exclusive claim with its lease, the worker's steps, retries and final failures, what the owner
-- and operators see, and who may call what. Time is moved by editing the row's deadlines (now()
-- stands still inside this transaction).
begin;
select plan(49);

create function pg_temp.deployment(person text) returns public.agents
language sql stable
as $$ select * from public.agents where user_id = tests.id(person) $$;

-- The lease of a claim, kept for the steps that follow it.
create function pg_temp.claim(person text) returns uuid
language plpgsql
as $$
declare
  lease uuid;
begin
  select c.lease_id into lease from public.deployment_claim(tests.id(person)) c;
  perform set_config('test.lease_' || person, coalesce(lease::text, ''), true);
  return lease;
end
$$;

create function pg_temp.lease(person text) returns uuid
language sql stable
as $$ select nullif(current_setting('test.lease_' || person), '')::uuid $$;

/** Moves a pending deployment's retry time, or a provisioning one's lease, into the past. */
create function pg_temp.make_due(person text) returns void
language sql
as $$
  update public.agents set next_attempt_at = now() - interval '1 second',
    lease_expires_at = case when lease_id is not null then now() - interval '1 second' end
  where user_id = tests.id(person)
$$;

select tests.name_people('ready', 'newcomer', 'unlucky', 'other');

insert into auth.users (id, email, email_confirmed_at)
select tests.id(name), 'deploy-' || name || '-' || tests.id(name) || '@pgtap.test', now()
from unnest(array['ready', 'newcomer', 'unlucky', 'other']) as name;

update public.profiles set business_name = 'Ready Air', industry = 'hvac', area_code = '505', consent_version = 'v1'
where id in (tests.id('ready'), tests.id('unlucky'));
insert into public.subscriptions (user_id, plan, status)
values (tests.id('ready'), 'pro', 'active'), (tests.id('unlucky'), 'pro', 'active');

-- ---------------------------------------------------------------------------
-- Requests
-- ---------------------------------------------------------------------------

select private.request_agent_deployment(tests.id('newcomer'), 'stripe');
select is((pg_temp.deployment('newcomer')).deploy_status, 'waiting_for_profile', 'a business missing its profile waits');
select is((pg_temp.deployment('newcomer')).waiting_for, array['consent', 'subscription', 'business_name', 'industry', 'area_code'],
  'and the deployment says what it waits for');

select private.request_agent_deployment(tests.id('ready'), 'stripe');
select is((pg_temp.deployment('ready')).deploy_status, 'pending', 'a ready business''s deployment is pending');
select ok(exists (select 1 from net.http_request_queue q
                  where q.url like '%/functions/v1/agent-deployer'
                    and convert_from(q.body, 'UTF8')::jsonb ->> 'user_id' = tests.id('ready')::text),
  'and the agent-deployer function is kicked');

select private.request_agent_deployment(tests.id('ready'), 'stripe');
select private.request_agent_deployment(tests.id('ready'), 'wizard');
select is((select count(*)::int from public.agents where user_id = tests.id('ready')), 1, 'repeated requests keep one row');
select is((pg_temp.deployment('ready')).deploy_source, 'stripe', 'and leave a pending deployment as it was');
select throws_ok($$ select private.request_agent_deployment(tests.id('ready'), 'admin', 'dedicated') $$, 'PT409', null,
  'a pending shared deployment cannot switch to dedicated');

-- ---------------------------------------------------------------------------
-- Claiming and the lease
-- ---------------------------------------------------------------------------

select isnt(pg_temp.claim('ready'), null, 'a due deployment is claimed');
select is((pg_temp.deployment('ready')).deploy_status, 'provisioning', 'it is then provisioning');
select is((select count(*)::int from public.deployment_claim(tests.id('ready'))), 0, 'a second claim gets nothing while the lease holds');
select is((select count(*)::int from public.deployment_claim(tests.id('newcomer'))), 0, 'a waiting deployment cannot be claimed');

select throws_ok($$ select public.deployment_begin_purchase(tests.id('ready'), gen_random_uuid(), '505') $$, 'PT409', null,
  'a step with someone else''s lease is refused');
select public.deployment_begin_purchase(tests.id('ready'), pg_temp.lease('ready'), '505');
select public.deployment_begin_purchase(tests.id('ready'), pg_temp.lease('ready'), '575');
select public.deployment_begin_purchase(tests.id('ready'), pg_temp.lease('ready'), '505');
select is((pg_temp.deployment('ready')).area_codes_tried, array['505', '575'], 'each area code tried is recorded once, in order');
select isnt((pg_temp.deployment('ready')).number_purchase_started_at, null, 'a started purchase is remembered');

-- ---------------------------------------------------------------------------
-- Retries
-- ---------------------------------------------------------------------------

select public.deployment_fail(tests.id('ready'), pg_temp.lease('ready'), 'RETELL_OUTCOME_UNKNOWN', 'timed out', true);
select is((pg_temp.deployment('ready')).deploy_status, 'pending', 'a retryable failure goes back to pending');
select ok((pg_temp.deployment('ready')).next_attempt_at >= now() + interval '10 seconds', 'after the retry delay');
select is((pg_temp.deployment('ready')).lease_id, null, 'without a lease');
select is((select deploy_error from public.profiles where id = tests.id('ready')), null, 'the owner sees no error while a retry is pending');
select is((select count(*)::int from public.deployment_claim(tests.id('ready'))), 0, 'it is not claimed before the delay is over');

select pg_temp.make_due('ready');
select isnt(pg_temp.claim('ready'), null, 'once the delay is over the retry is claimed');
select is((pg_temp.deployment('ready')).deploy_attempts, 2, 'as attempt 2');
select ok(exists (select 1 from public.audit_logs where on_behalf_of_user_id = tests.id('ready')
                  and action = 'agent.deploy_claimed' and (details ->> 'purchase_outcome_unknown')::boolean),
  'and knows a purchase may have happened, so it looks for the number first');

-- A worker that outlives its lease loses the deployment to the next one.
select pg_temp.make_due('ready');
select set_config('test.lease_stale', pg_temp.lease('ready')::text, true);
select pg_temp.claim('ready');
select isnt(pg_temp.lease('ready'), pg_temp.lease('stale'), 'an expired lease is taken over with a new one');
select throws_ok($$ select public.deployment_complete(tests.id('ready'), pg_temp.lease('stale'), '+15055550199', '505', 'agent_master_hvac', 1, false) $$,
  'PT409', null, 'the old lease can record nothing');

-- ---------------------------------------------------------------------------
-- Success
-- ---------------------------------------------------------------------------

select public.deployment_complete(tests.id('ready'), pg_temp.lease('ready'), '+15055550199', '505', 'agent_master_hvac', 1, false);
select is((pg_temp.deployment('ready')).deploy_status, 'active', 'a stored number makes the deployment active');
select is((pg_temp.deployment('ready')).phone_number::text, '+15055550199', 'with its number');
select is((pg_temp.deployment('ready')).number_purchase_started_at, null, 'and nothing left in doubt');
select is((pg_temp.deployment('ready')).deploy_error_code, null, 'and no error');
select private.request_agent_deployment(tests.id('ready'), 'stripe');
select is((pg_temp.deployment('ready')).deploy_status, 'active', 'a redelivered checkout leaves an active deployment alone');

-- ---------------------------------------------------------------------------
-- Final failures, and starting over
-- ---------------------------------------------------------------------------

select private.request_agent_deployment(tests.id('unlucky'), 'stripe');
select pg_temp.claim('unlucky');
select public.deployment_fail(tests.id('unlucky'), pg_temp.lease('unlucky'), 'AREA_CODE_UNAVAILABLE', 'No phone numbers available in area codes 505, 575', false);
select is((pg_temp.deployment('unlucky')).deploy_status, 'failed', 'a final failure fails at once');
select is((select deploy_error from public.profiles where id = tests.id('unlucky')), 'AREA_CODE_UNAVAILABLE', 'the owner sees its code');
select is((select kind from public.ops_alerts where user_id = tests.id('unlucky') and resolved_at is null), 'agent_deploy_failed',
  'operators get an alert');

select private.request_agent_deployment(tests.id('unlucky'), 'wizard');
select is((pg_temp.deployment('unlucky')).deploy_status, 'pending', 'a new request restarts a failed deployment');
select is((select deploy_error from public.profiles where id = tests.id('unlucky')), null, 'and clears the owner''s error');

-- Retryable failures become final after 6 attempts.
do $$
begin
  for attempt in 1..6 loop
    perform pg_temp.make_due('unlucky');
    perform pg_temp.claim('unlucky');
    perform public.deployment_fail(tests.id('unlucky'), pg_temp.lease('unlucky'), 'RETELL_UNAVAILABLE', 'Retell 503', true);
  end loop;
end
$$;
select is((pg_temp.deployment('unlucky')).deploy_status, 'failed', 'six retryable failures in a row are final');
select is((pg_temp.deployment('unlucky')).deploy_attempts, 6, 'after six attempts');

-- A number Retell sells us again was released by the business that still holds it in our table.
select private.request_agent_deployment(tests.id('unlucky'), 'admin');
select pg_temp.claim('unlucky');
select public.deployment_complete(tests.id('unlucky'), pg_temp.lease('unlucky'), '+15055550199', '505', 'agent_master_hvac', 1, false);
select is((pg_temp.deployment('unlucky')).phone_number::text, '+15055550199', 'a number bought again goes to its new business');
select is(row((pg_temp.deployment('ready')).deploy_status, (pg_temp.deployment('ready')).deploy_error_code, (pg_temp.deployment('ready')).phone_number::text),
  row('failed'::text, 'NUMBER_RELEASED'::text, null::text), 'and the stale holder is failed with NUMBER_RELEASED');
select is((select resolved_at is not null from public.ops_alerts where dedupe_key = 'agent_deploy_failed:' || tests.id('unlucky')),
  true, 'the alert of the deployment that finally worked is resolved');

-- ---------------------------------------------------------------------------
-- The owner completes the profile: the waiting deployment starts by itself
-- ---------------------------------------------------------------------------

select tests.act_as('newcomer');
update public.profiles set business_name = 'Newcomer Plumbing', industry = 'plumbing', area_code = '575' where id = tests.id('newcomer');
select public.record_consent('v1');
reset role;
select is((pg_temp.deployment('newcomer')).waiting_for, array['subscription'], 'a partly complete profile still waits, for what is left');
insert into public.subscriptions (user_id, plan, status) values (tests.id('newcomer'), 'core', 'trialing');
select is((pg_temp.deployment('newcomer')).deploy_status, 'pending', 'the last precondition starts the deployment');
select ok(exists (select 1 from net.http_request_queue q where convert_from(q.body, 'UTF8')::jsonb ->> 'user_id' = tests.id('newcomer')::text),
  'and kicks the worker');

-- A precondition that lapses before the claim sends the deployment back to waiting.
update public.subscriptions set status = 'canceled' where user_id = tests.id('newcomer');
select is((select count(*)::int from public.deployment_claim(tests.id('newcomer'))), 0, 'a deployment whose subscription ended is not claimed');
select is((pg_temp.deployment('newcomer')).deploy_status, 'waiting_for_profile', 'it waits again');

-- ---------------------------------------------------------------------------
-- Who may call what
-- ---------------------------------------------------------------------------

select ok(not has_function_privilege('authenticated', 'public.deployment_claim(uuid)', 'execute')
          and not has_function_privilege('authenticated', 'public.deployment_complete(uuid, uuid, text, text, text, integer, boolean)', 'execute'),
  'only the service role runs the worker''s steps');
select ok(not has_function_privilege('anon', 'public.deploy_my_agent(text, text, text, jsonb, text, text, text, numeric, numeric)', 'execute')
          and has_function_privilege('authenticated', 'public.deploy_my_agent(text, text, text, jsonb, text, text, text, numeric, numeric)', 'execute'),
  'signed-in owners deploy through deploy_my_agent');

select tests.act_as('other');
select throws_ok($$ select public.admin_request_agent_deployment(tests.id('newcomer')) $$, '42501', 'admin only',
  'admin deploy is for admins only');
select is((public.deploy_my_agent('Other HVAC', '505', 'hvac')).user_id, tests.id('other'), 'deploy_my_agent acts for the caller only');
reset role;
select is((select business_name from public.profiles where id = tests.id('other')), 'Other HVAC', 'and saved the caller''s business details');

select * from finish();
rollback;
