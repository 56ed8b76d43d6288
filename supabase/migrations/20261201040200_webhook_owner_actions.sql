-- ============================================================================
-- What owners and admins do with their webhook endpoints, as RPCs (reads are plain tables under
-- RLS: webhook_configs, webhook_endpoint_deliveries, webhook_deliveries): send a test event,
-- replay one delivery or every failed one in a time range, rotate the signing secret, and enable
-- an endpoint the engine disabled. Each is allowed to the endpoint's owner (or an admin
-- impersonating them) and to an admin, and is audited.
-- ============================================================================

create function private.webhook_endpoint_of_caller(endpoint uuid)
returns public.webhook_configs
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  found_endpoint public.webhook_configs;
begin
  select * into found_endpoint from public.webhook_configs c
  where c.id = endpoint and (c.user_id = private.effective_user_id() or private.acting_as_admin());
  -- Someone else's endpoint is answered like a missing one: its existence is not the caller's business.
  if found_endpoint.id is null then
    raise exception 'no webhook endpoint %', endpoint using errcode = 'PT404';
  end if;
  return found_endpoint;
end
$$;
comment on function private.webhook_endpoint_of_caller(uuid) is 'The endpoint, when the caller owns it (or impersonates its owner) or is an admin; PT404 otherwise.';

-- ---------------------------------------------------------------------------
-- Test event
-- ---------------------------------------------------------------------------

create function public.send_test_webhook(endpoint uuid)
returns table (delivery_id bigint, message_id text)
language plpgsql
security definer
set search_path = ''
as $$
declare
  target public.webhook_configs := private.webhook_endpoint_of_caller(endpoint);
  event_id bigint;
begin
  if not target.active then
    raise exception 'the webhook endpoint is disabled (%); enable it first', coalesce(target.disabled_reason, 'by its owner')
      using errcode = 'PT409';
  end if;
  -- No endpoint subscribes to webhook.test, so the fan-out adds nothing: the test goes to this one.
  insert into public.webhook_queue (user_id, event_type, dedupe_key, payload)
  values (target.user_id, 'webhook.test', 'webhook.test:' || gen_random_uuid(),
          jsonb_build_object('webhook_config_id', target.id, 'message', 'Test event sent from the dashboard'))
  returning id into event_id;
  perform private.write_audit('webhook.test_sent', target.user_id, jsonb_build_object('event_id', event_id),
                              'webhook_configs', target.id::text);
  return query
  insert into public.webhook_endpoint_deliveries as d (event_id, webhook_config_id, user_id)
  values (event_id, target.id, target.user_id)
  returning d.id, d.message_id;
end
$$;
comment on function public.send_test_webhook(uuid) is 'Sends a webhook.test event to one active endpoint, delivered and logged like any other. Returns its delivery id and webhook-id.';

-- ---------------------------------------------------------------------------
-- Replays: same webhook-id, the current secret, one attempt, not counted towards auto-disable
-- ---------------------------------------------------------------------------

create function public.replay_webhook_delivery(delivery bigint)
returns public.webhook_endpoint_deliveries
language plpgsql
security definer
set search_path = ''
as $$
declare
  target public.webhook_endpoint_deliveries;
  endpoint public.webhook_configs;
begin
  select * into target from public.webhook_endpoint_deliveries d where d.id = delivery for update;
  if target.id is null then
    raise exception 'no webhook delivery %', delivery using errcode = 'PT404';
  end if;
  endpoint := private.webhook_endpoint_of_caller(target.webhook_config_id);
  if target.status not in ('delivered', 'dead') then
    raise exception 'the delivery is still % and will be attempted again by itself', target.status using errcode = 'PT409';
  end if;
  update public.webhook_endpoint_deliveries d
  set status = 'pending', dead_reason = null, replay = true, next_attempt_at = now()
  where d.id = delivery
  returning * into target;
  perform private.write_audit('webhook.delivery_replayed', endpoint.user_id,
    jsonb_build_object('delivery_id', delivery, 'message_id', target.message_id), 'webhook_endpoint_deliveries', delivery::text);
  perform private.kick_webhook_dispatcher();
  return target;
end
$$;
comment on function public.replay_webhook_delivery(bigint) is 'Sends a delivered or dead delivery once more (same webhook-id, signed with the current secret); the attempt does not count towards auto-disable.';

create function public.replay_failed_webhook_deliveries(endpoint uuid, created_from timestamptz, created_to timestamptz)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  target public.webhook_configs := private.webhook_endpoint_of_caller(endpoint);
  replayed integer;
begin
  if created_from is null or created_to is null or created_to <= created_from then
    raise exception 'give a time range whose end is after its start' using errcode = '22023';
  end if;
  update public.webhook_endpoint_deliveries d
  set status = 'pending', dead_reason = null, replay = true, next_attempt_at = now()
  where d.webhook_config_id = target.id and d.status = 'dead'
    and d.created_at >= created_from and d.created_at < created_to;
  get diagnostics replayed = row_count;
  perform private.write_audit('webhook.deliveries_replayed', target.user_id,
    jsonb_build_object('from', created_from, 'to', created_to, 'count', replayed), 'webhook_configs', target.id::text);
  if replayed > 0 then
    perform private.kick_webhook_dispatcher();
  end if;
  return replayed;
end
$$;
comment on function public.replay_failed_webhook_deliveries(uuid, timestamptz, timestamptz) is 'Replays every dead delivery of an endpoint created in [created_from, created_to); returns how many.';

-- ---------------------------------------------------------------------------
-- Secret rotation: both secrets sign for 24 hours
-- ---------------------------------------------------------------------------

create function public.rotate_webhook_secret(endpoint uuid)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  target public.webhook_configs := private.webhook_endpoint_of_caller(endpoint);
  new_secret text := 'whsec_' || encode(extensions.gen_random_bytes(24), 'base64');
begin
  update public.webhook_configs c
  set previous_secret = c.secret, previous_secret_expires_at = now() + interval '24 hours', secret = new_secret
  where c.id = target.id;
  perform private.write_audit('webhook.secret_rotated', target.user_id, '{}'::jsonb, 'webhook_configs', target.id::text);
  return new_secret;
end
$$;
comment on function public.rotate_webhook_secret(uuid) is 'Gives the endpoint a new signing secret and returns it; the old one keeps signing (a second signature) for 24 hours so the receiver can switch over.';

-- ---------------------------------------------------------------------------
-- Enabling an endpoint again
-- ---------------------------------------------------------------------------

create function private.reset_webhook_endpoint_health()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.disabled_reason := null;
  new.disabled_at := null;
  new.failing_since := null;
  return new;
end
$$;
comment on function private.reset_webhook_endpoint_health() is 'Trigger: an endpoint made active again (the owner''s update of active) starts with a clean bill of health; its pending deliveries resume.';

create trigger webhook_configs_reset_health_when_enabled before update of active on public.webhook_configs
  for each row when (new.active and not old.active)
  execute function private.reset_webhook_endpoint_health();

create function private.kick_when_webhook_enabled()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.kick_webhook_dispatcher();
  update public.ops_alerts set resolved_at = now()
  where dedupe_key = 'webhook_endpoint_disabled:' || new.id and resolved_at is null;
  return null;
end
$$;
comment on function private.kick_when_webhook_enabled() is 'Trigger: delivers what waited while the endpoint was disabled, and resolves its disabled alert.';

create trigger webhook_configs_kick_when_enabled after update of active on public.webhook_configs
  for each row when (new.active and not old.active)
  execute function private.kick_when_webhook_enabled();

-- ---------------------------------------------------------------------------
-- Privileges
-- ---------------------------------------------------------------------------

revoke execute on function
  private.webhook_endpoint_of_caller(uuid), private.reset_webhook_endpoint_health(), private.kick_when_webhook_enabled()
from public, anon, authenticated;
revoke execute on function
  public.send_test_webhook(uuid), public.replay_webhook_delivery(bigint),
  public.replay_failed_webhook_deliveries(uuid, timestamptz, timestamptz), public.rotate_webhook_secret(uuid)
from public, anon;
grant execute on function
  public.send_test_webhook(uuid), public.replay_webhook_delivery(bigint),
  public.replay_failed_webhook_deliveries(uuid, timestamptz, timestamptz), public.rotate_webhook_secret(uuid)
to authenticated;
