-- ============================================================================
-- One way for SQL to call an Edge Function: pg_net, sent after commit, with the Vault's
-- service_role_key (a secret key, or the legacy service_role JWT) as both apikey and bearer, so
-- the functions' requireServiceRole accepts it under either key scheme. The agent-deployer and
-- webhook-dispatcher kicks both go through it, and a missing Vault secret never fails the
-- transaction that asked for the kick.
-- ============================================================================

create function private.call_function(function_name text, body jsonb default '{}'::jsonb)
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
  if project_url is null or service_role_key is null then
    raise warning '% not called: Vault secrets project_url and service_role_key are required', function_name;
    return null;
  end if;
  return net.http_post(
    url := project_url || '/functions/v1/' || function_name,
    body := body,
    headers := jsonb_build_object('Content-Type', 'application/json', 'apikey', service_role_key,
                                  'Authorization', 'Bearer ' || service_role_key),
    timeout_milliseconds := 5000
  );
end
$$;
comment on function private.call_function(text, jsonb) is 'Calls an Edge Function with the service role from SQL (pg_net, after commit); returns the pg_net request id, or null without the Vault secrets.';
revoke execute on function private.call_function(text, jsonb) from public;

create or replace function private.kick_agent_deployer(target_user uuid)
returns bigint
language sql
security definer
set search_path = ''
as $$ select private.call_function('agent-deployer', jsonb_build_object('user_id', target_user)) $$;
comment on function private.kick_agent_deployer(uuid) is 'Asks the agent-deployer function to work on one business''s deployment. Losing a kick is harmless: the sweeper re-kicks due deployments every minute.';

create or replace function private.kick_webhook_dispatcher()
returns bigint
language sql
security definer
set search_path = ''
as $$ select private.call_function('webhook-dispatcher') $$;
comment on function private.kick_webhook_dispatcher() is 'Asks the webhook-dispatcher function to deliver what is due. Losing a kick is harmless: the sweep kicks every minute.';
