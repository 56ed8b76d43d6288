-- ============================================================================
-- Missed-call text-back: a caller the business could not fully serve (the agent only took a
-- message because the business is over its cap or inactive; the call went to voicemail; the call
-- ended unsuccessfully without a booking) gets one text from the business's own number, at most
-- one per caller, business and day (the business's day), however often Retell delivers the
-- call's events. Blocked, empty and robocall-suspected calls get none. The owner turns it off or
-- writes the text in profiles (text_back_enabled, text_back_message); the text goes through the
-- same SMS core as the owner's own sends (consent ledger, quiet hours, allowance: 20261202030500)
-- and shows in the caller's conversation.
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
-- Whether a call earns a text-back (called by record_call_event at the call's end and analysis)
-- ---------------------------------------------------------------------------

create function private.note_call_text_back(call public.calls, analysis jsonb)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  reason text;
  owner public.profiles;
  text_back public.call_text_backs;
begin
  if call.user_id is null or call.direction <> 'inbound' or call.is_demo or call.refusal_reason = 'blocked'
     or call.from_number !~ '^\+[1-9][0-9]{6,14}$' then
    return null;
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
    return null;
  end if;
  select * into owner from public.profiles p where p.id = call.user_id;
  if not owner.text_back_enabled then
    return null;
  end if;

  insert into public.call_text_backs (user_id, call_id, customer_phone, local_day, reason)
  values (call.user_id, call.call_id, call.from_number, (now() at time zone coalesce(owner.time_zone, 'UTC'))::date, reason)
  on conflict do nothing;
  -- Still to send (now, or again when Retell redelivers after a lost send): its id.
  select * into text_back from public.call_text_backs t where t.call_id = call.call_id;
  return case when text_back.message_id is null and text_back.skip_reason is null then text_back.id end;
end
$$;
comment on function private.note_call_text_back(public.calls, jsonb) is 'Records the text-back a call earns (message_only, voicemail or unsuccessful; none for blocked, empty or robocall calls, or when the owner turned it off), once per caller, business and day; returns its id while it is still to be sent.';
revoke execute on function private.note_call_text_back(public.calls, jsonb) from public;
