-- ============================================================================
-- Missed-call text-back: a caller the business could not fully serve (the agent only took a
-- message because the business is over its cap or inactive; the call went to voicemail; the call
-- ended unsuccessfully without a booking) gets one text from the business's own number, at most
-- one per caller, business and day (the business's day), however often Retell delivers the
-- call's events. Blocked, empty and robocall-suspected calls get none. The owner turns it off or
-- writes the text in profiles (text_back_enabled, text_back_message). The text is queued in the
-- same transaction as the call's event through the SMS core every text of a business takes
-- (private.queue_sms: consent ledger, quiet hours in the caller's zone, allowance) as an automatic
-- text, which send-sms/queued sends after commit; it shows in the caller's conversation.
-- ============================================================================

alter table public.profiles
  add column text_back_enabled boolean not null default true,
  add column text_back_message text check (length(btrim(text_back_message)) between 1 and 320);
comment on column public.profiles.text_back_enabled is 'Whether callers the business could not fully serve get a text back (missed-call text-back).';
comment on column public.profiles.text_back_message is 'The owner''s own text-back (up to 320 characters); null: the default text, which names the business and its booking link.';
grant update (text_back_enabled, text_back_message) on public.profiles to authenticated;

create table public.call_text_backs (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  call_id text not null unique references public.calls (call_id) on delete cascade,
  customer_phone text not null,
  local_day date not null,
  reason text not null check (reason in ('message_only', 'voicemail', 'unsuccessful')),
  message_id uuid references public.sms_messages (id) on delete set null,
  skip_reason text,
  created_at timestamptz not null default now(),
  unique (user_id, customer_phone, local_day)
);
comment on table public.call_text_backs is 'One text-back per caller, business and day: why (reason), and either the text (message_id, in sms_messages) or why none went out (skip_reason: the SMS core''s refusal, e.g. recipient_opted_out, quiet_hours).';
create index call_text_backs_message_id_idx on public.call_text_backs (message_id);

create trigger call_text_backs_call_id_same_owner before insert or update of call_id, user_id on public.call_text_backs
  for each row execute function private.refuse_reference_to_other_owner('call_text_backs_call_id_fkey');
create trigger call_text_backs_message_id_same_owner before insert or update of message_id, user_id on public.call_text_backs
  for each row execute function private.refuse_reference_to_other_owner('call_text_backs_message_id_fkey');

alter table public.call_text_backs enable row level security;
create policy "Owners read their text-backs, admins every one" on public.call_text_backs for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));
revoke all on public.call_text_backs from anon, authenticated, service_role;
grant select on public.call_text_backs to authenticated;

-- ---------------------------------------------------------------------------
-- The text, and whether a call earns it (called by record_call_event at the call's end and analysis)
-- ---------------------------------------------------------------------------

create function private.text_back_body(owner public.profiles)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(
    btrim(owner.text_back_message),
    coalesce(owner.business_name, 'We') || ' here: we got your call and will call you back as soon as we can.'
      || coalesce(' To book a visit now: ' || (select i.booking_url from public.integrations i
                                                where i.user_id = owner.id and i.provider = 'calcom' and i.status = 'connected'), '')
      || ' Reply STOP to opt out.')
$$;
comment on function private.text_back_body(public.profiles) is 'The text-back a business sends: the owner''s own text, else the default naming the business, how it follows up and its booking link.';
revoke execute on function private.text_back_body(public.profiles) from public;

create function private.queue_call_text_back(call public.calls, analysis jsonb)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  reason text;
  owner public.profiles;
  text_back_id uuid;
  queued jsonb;
begin
  if call.user_id is null or call.direction <> 'inbound' or call.is_demo or call.refusal_reason = 'blocked'
     or call.from_number !~ '^\+[1-9][0-9]{6,14}$' then
    return;
  end if;
  reason := case
    when call.refusal_reason in ('over_cap', 'subscription_inactive') then 'message_only'
    when call.disconnection_reason = 'voicemail_reached' or analysis ->> 'in_voicemail' = 'true' then 'voicemail'
    when analysis ->> 'call_successful' = 'false'
         and not exists (select 1 from public.appointments a where a.call_id = call.call_id) then 'unsuccessful'
  end;
  if reason is null
     or exists (select 1 from public.usage_calls u where u.call_id = call.call_id and u.unbilled_reason = 'empty_call')
     or exists (select 1 from public.suspected_robocallers s where s.user_id = call.user_id and s.phone = call.from_number) then
    return;
  end if;
  select * into owner from public.profiles p where p.id = call.user_id;
  if not owner.text_back_enabled then
    return;
  end if;

  -- The first event of the caller's day to get here queues the text; every later one (Retell
  -- redelivering, the analysis after the end, another call) finds the row and stops.
  insert into public.call_text_backs (user_id, call_id, customer_phone, local_day, reason)
  values (call.user_id, call.call_id, call.from_number, (now() at time zone coalesce(owner.time_zone, 'UTC'))::date, reason)
  on conflict do nothing
  returning id into text_back_id;
  if text_back_id is null then
    return;
  end if;
  -- The business starts this text, so it keeps the quiet hours of the caller's zone (kind
  -- marketing); a refusal (quiet hours, STOP, the allowance) is kept as a refused message.
  queued := private.queue_sms(call.user_id, call.from_number, private.text_back_body(owner),
                              'text-back:' || text_back_id, 'marketing', automatic => true);
  update public.call_text_backs t
  set message_id = (queued -> 'message' ->> 'id')::uuid, skip_reason = queued ->> 'refusal'
  where t.id = text_back_id;
end
$$;
comment on function private.queue_call_text_back(public.calls, jsonb) is 'Queues the text-back a call earns (message_only, voicemail or unsuccessful; none for blocked, empty or robocall calls, or when the owner turned it off) through private.queue_sms, once per caller, business and day, and notes the message or the refusal on call_text_backs.';
revoke execute on function private.queue_call_text_back(public.calls, jsonb) from public;
