-- ============================================================================
-- The agent-deployer kick carries the Vault's service_role_key as the apikey header too. The key
-- may be a secret key (sb_secret_..., not a JWT: it belongs in apikey) or the legacy service_role
-- JWT (read from Authorization by older code); the function accepts either in either header.
-- ============================================================================

create or replace function private.kick_agent_deployer(target_user uuid)
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
    headers := jsonb_build_object('Content-Type', 'application/json', 'apikey', service_role_key,
                                  'Authorization', 'Bearer ' || service_role_key),
    timeout_milliseconds := 5000
  );
end
$$;
comment on function private.kick_agent_deployer(uuid) is 'Asks the agent-deployer function (pg_net, sent after commit) to work on one business''s deployment, with the Vault''s service_role_key (a secret key or the legacy JWT) as apikey and bearer. Losing a kick is harmless: the sweeper re-kicks due deployments every minute.';
