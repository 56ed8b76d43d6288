-- ============================================================================
-- Correctly signed webhook events we cannot apply (README, "Webhooks we receive"): the function
-- answers the provider 200, so it stops redelivering what would fail the same way every time, and
-- records the event here for an operator, once per body however often it is redelivered. The
-- record names the event (provider, ids it carried, the reason and the body's SHA-256 and size),
-- never the body itself, which may hold personal data or what Postgres cannot store.
-- ============================================================================

create function public.record_rejected_webhook_event(provider text, reason_code text, reason text, body_sha256 text, details jsonb)
returns void
language sql
security definer
set search_path = ''
as $$
  insert into public.ops_alerts (kind, severity, message, details, dedupe_key)
  values ('webhook_event_rejected', 'warning',
          format('A signed %s event could not be applied (%s): %s', provider, reason_code, left(reason, 500)),
          coalesce(details, '{}'::jsonb) || jsonb_build_object('provider', provider, 'reason_code', reason_code,
                                                              'reason', left(reason, 2000), 'body_sha256', body_sha256),
          'webhook_event_rejected:' || provider || ':' || body_sha256)
  on conflict (dedupe_key) where resolved_at is null do nothing
$$;
comment on function public.record_rejected_webhook_event(text, text, text, text, jsonb) is
  'Records a correctly signed webhook event that cannot be applied as one open ops alert per provider and body (kind webhook_event_rejected); details: the ids the event carried, as far as they could be read.';

revoke execute on function public.record_rejected_webhook_event(text, text, text, text, jsonb) from public, anon, authenticated;
grant execute on function public.record_rejected_webhook_event(text, text, text, text, jsonb) to service_role;
