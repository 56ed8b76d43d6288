-- ============================================================================
-- Twilio's status callbacks for the texts we send (sent, delivered, undelivered, failed), applied
-- idempotently and in any order: a message's status only moves forward (queued, then sent, then
-- delivered or failed, which stay), and a failure gives the charge back once. A callback can
-- arrive before send-sms has recorded the message's sid; it waits in sms_pending_statuses and
-- finish_sms_send applies it.
-- ============================================================================

create table private.sms_pending_statuses (
  provider_message_id text primary key check (length(provider_message_id) <= 64),
  status text not null check (status in ('sent', 'delivered', 'failed')),
  error_code text check (length(error_code) <= 40),
  received_at timestamptz not null default now()
);
comment on table private.sms_pending_statuses is 'Status callbacks that arrived before their message''s provider id was recorded; applied by finish_sms_send. Written only by SQL.';

-- ---------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------

create function private.sms_status_rank(status text)
returns integer
language sql
immutable
set search_path = ''
as $$ select case status when 'queued' then 0 when 'sent' then 1 when 'delivered' then 2 when 'failed' then 2 else 3 end $$;
comment on function private.sms_status_rank(text) is 'Order of an outbound message''s statuses: queued, sent, then delivered or failed (final; the first final one stays).';

create function private.refund_sms_charge(message_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  charge public.usage_sms;
begin
  -- Deleting the usage row is what makes the refund happen once.
  delete from public.usage_sms u where u.message_id = refund_sms_charge.message_id::text returning * into charge;
  if charge.id is not null then
    update public.usage_limits l
    set sms_used = greatest(l.sms_used - charge.from_plan, 0), topup_sms = l.topup_sms + charge.from_topup
    where l.user_id = charge.user_id and charge.occurred_at >= l.period_start and charge.occurred_at < l.period_end;
  end if;
end
$$;
comment on function private.refund_sms_charge(uuid) is 'Gives a message''s SMS charge back to where it came from (plan segments, top-up segments) and removes its usage row; a second call does nothing.';

create function private.apply_sms_status(message public.sms_messages, new_status text, error_code text)
returns text
language plpgsql
security definer
set search_path = ''
as $$
begin
  if private.sms_status_rank(new_status) <= private.sms_status_rank(message.status) then
    return message.status;
  end if;
  update public.sms_messages m
  set status = new_status, error_code = coalesce(apply_sms_status.error_code, m.error_code)
  where m.id = message.id;
  if new_status = 'failed' then
    perform private.refund_sms_charge(message.id);
    -- Twilio's 21610: the customer opted out at Twilio (a STOP we never saw); the ledger learns it.
    if error_code = '21610' then
      perform private.set_sms_consent(message.user_id, message.from_number, message.to_number, true, 'provider_error', message.id, '21610');
    end if;
  end if;
  return new_status;
end
$$;
comment on function private.apply_sms_status(public.sms_messages, text, text) is 'Moves an outbound message forward to new_status (never back); a failure gives the charge back and records a 21610 in the consent ledger. Returns the status the message has now.';

-- ---------------------------------------------------------------------------
-- finish_sms_send through the same helpers, and pending callbacks applied
-- ---------------------------------------------------------------------------

create or replace function public.finish_sms_send(message_id uuid, provider_message_id text, error_code text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  message public.sms_messages;
  pending private.sms_pending_statuses;
  status text;
begin
  select * into message from public.sms_messages m where m.id = finish_sms_send.message_id for update;
  if not found then
    raise exception 'No message %', finish_sms_send.message_id using errcode = 'PT404';
  end if;
  if message.status <> 'queued' then
    return jsonb_build_object('status', message.status);
  end if;
  if error_code is not null then
    return jsonb_build_object('status', private.apply_sms_status(message, 'failed', error_code));
  end if;
  update public.sms_messages m set provider_message_id = finish_sms_send.provider_message_id where m.id = message.id
  returning * into message;
  status := private.apply_sms_status(message, 'sent', null);
  delete from private.sms_pending_statuses p where p.provider_message_id = finish_sms_send.provider_message_id returning * into pending;
  if pending.provider_message_id is not null then
    select * into message from public.sms_messages m where m.id = finish_sms_send.message_id;
    status := private.apply_sms_status(message, pending.status, pending.error_code);
  end if;
  return jsonb_build_object('status', status);
end
$$;
comment on function public.finish_sms_send(uuid, text, text) is 'The provider''s answer to a queued send: sent with its provider id (then any status callback that came first), or failed with its error code, the charge given back and a 21610 recorded as an opt-out. Only a queued message changes.';

create function public.twilio_sms_status(message_sid text, message_status text, error_code text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  mapped text := case message_status
    when 'sent' then 'sent' when 'delivered' then 'delivered' when 'read' then 'delivered'
    when 'undelivered' then 'failed' when 'failed' then 'failed' end;
  message public.sms_messages;
begin
  if message_sid is null or message_sid !~ '^(SM|MM)[0-9a-fA-F]{32}$' then
    raise exception 'MessageSid must be a Twilio message sid' using errcode = '22023';
  end if;
  if error_code is not null and error_code !~ '^[0-9]{1,10}$' then
    raise exception 'ErrorCode must be a Twilio error code' using errcode = '22023';
  end if;
  if mapped is null then
    -- queued, accepted, sending, scheduled...: nothing we record.
    return jsonb_build_object('applied', false);
  end if;
  select * into message from public.sms_messages m
  where m.provider = 'twilio' and m.provider_message_id = message_sid and m.direction = 'outbound'
  for update;
  if not found then
    insert into private.sms_pending_statuses (provider_message_id, status, error_code)
    values (message_sid, mapped, error_code)
    on conflict (provider_message_id) do update
      set status = excluded.status, error_code = excluded.error_code
      where private.sms_status_rank(excluded.status) > private.sms_status_rank(private.sms_pending_statuses.status);
    return jsonb_build_object('applied', false, 'pending', true);
  end if;
  return jsonb_build_object('applied', true, 'status', private.apply_sms_status(message, mapped, error_code));
end
$$;
comment on function public.twilio_sms_status(text, text, text) is 'A Twilio status callback for one of our sends: moves the message forward (sent, delivered; undelivered and failed give the charge back), or keeps it in sms_pending_statuses until send-sms records the sid.';

revoke execute on function
  private.sms_status_rank(text), private.refund_sms_charge(uuid), private.apply_sms_status(public.sms_messages, text, text),
  public.twilio_sms_status(text, text, text)
from public, anon, authenticated;
grant execute on function public.twilio_sms_status(text, text, text) to service_role;
