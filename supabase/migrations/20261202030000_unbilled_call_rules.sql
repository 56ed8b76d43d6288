-- ============================================================================
-- Fair billing: calls worth nothing to the business are not billed, by rules that are data.
--   * blocked callers (a global list kept by operators, a per-business list kept by the owner)
--     are answered with call_disposition = "blocked" and recorded as refused ('blocked'): no
--     usage row, nothing billed;
--   * an empty call (shorter than the empty_call threshold with no caller speech, or ended for
--     inactivity before the caller said anything) gets its usage_calls row with 0 minutes and
--     unbilled_reason 'empty_call';
--   * repeated short calls from one number within a window make it a suspected robocaller of
--     that business, which the owner can put on the block list;
--   * an owner marks a call as spam within the spam_credit window: the row's minutes become 0
--     (credited_minutes keeps what they were) in the statement that gives them back to the
--     counters, once; an unusual share of credited calls raises an operator alert.
-- Every "not billed" lives in the ledger rows themselves, so reconciliation's sum(plan_minutes)
-- and count(*) of usage_calls recompute the same counters without knowing these rules.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Rules
-- ---------------------------------------------------------------------------

create table public.billing_rules (
  rule text primary key check (rule in ('empty_call', 'short_call', 'robocall', 'spam_credit', 'unusual_credit')),
  threshold numeric not null check (threshold >= 0),
  within interval check (within > interval '0'),
  min_count integer check (min_count >= 1),
  description text not null,
  updated_at timestamptz not null default now()
);
comment on table public.billing_rules is 'The thresholds of the unbilled-call rules, one row per rule; owners read them, admins change them through admin_update_billing_rule().';
comment on column public.billing_rules.threshold is 'empty_call, short_call: seconds; robocall: short calls from one number; spam_credit: unused (0); unusual_credit: share of the calls (0..1).';
comment on column public.billing_rules.within is 'The window the rule looks back over (robocall, spam_credit, unusual_credit).';
comment on column public.billing_rules.min_count is 'unusual_credit: the fewest credited calls in the window before the share counts.';

insert into public.billing_rules (rule, threshold, within, min_count, description) values
  ('empty_call', 10, null, null, 'A call shorter than this many seconds with no caller speech in the transcript, or ended for inactivity before the caller spoke, is not billed.'),
  ('short_call', 30, null, null, 'A call shorter than this many seconds counts towards the robocall rule.'),
  ('robocall', 3, interval '1 hour', null, 'This many short calls from one number within the window make it a suspected robocaller of the business, which the owner can block.'),
  ('spam_credit', 0, interval '7 days', null, 'An owner can mark a call as spam within this window of its end: its minutes are credited back once.'),
  ('unusual_credit', 0.25, interval '30 days', 4, 'Operators are alerted when a business credits at least min_count calls and this share of its calls within the window.');

alter table public.billing_rules enable row level security;
create policy "Signed-in users read the billing rules" on public.billing_rules for select to authenticated using (true);
revoke all on public.billing_rules from anon, authenticated, service_role;
grant select on public.billing_rules to authenticated;

create function private.billing_rule(name text)
returns public.billing_rules
language sql
stable
security definer
set search_path = ''
as $$ select * from public.billing_rules r where r.rule = billing_rule.name $$;
comment on function private.billing_rule(text) is 'One billing rule''s row, for the SQL that applies it.';

create function public.admin_update_billing_rule(rule text, threshold numeric default null, within interval default null, min_count integer default null)
returns public.billing_rules
language plpgsql
security definer
set search_path = ''
as $$
declare
  before public.billing_rules;
  after public.billing_rules;
begin
  perform private.assert_admin();
  select * into before from public.billing_rules r where r.rule = admin_update_billing_rule.rule for update;
  if not found then
    raise exception 'no billing rule %', coalesce(admin_update_billing_rule.rule, 'null') using errcode = 'PT404';
  end if;
  if admin_update_billing_rule.rule = 'unusual_credit' and admin_update_billing_rule.threshold > 1 then
    raise exception 'unusual_credit is a share of the calls, from 0 to 1' using errcode = '22023';
  end if;
  update public.billing_rules r
  set threshold = coalesce(admin_update_billing_rule.threshold, r.threshold),
      within = coalesce(admin_update_billing_rule.within, r.within),
      min_count = coalesce(admin_update_billing_rule.min_count, r.min_count),
      updated_at = now()
  where r.rule = admin_update_billing_rule.rule
  returning * into after;
  perform private.write_audit('billing_rules.update', null,
    jsonb_build_object('before', to_jsonb(before), 'after', to_jsonb(after)), 'billing_rules', after.rule);
  return after;
end
$$;
comment on function public.admin_update_billing_rule(text, numeric, interval, integer) is 'Admins change one billing rule''s threshold, window or minimum count (null keeps a value), audited with before and after; PT404 for an unknown rule, 22023 (or 23514) for a value out of range.';
revoke execute on function public.admin_update_billing_rule(text, numeric, interval, integer) from public;
grant execute on function public.admin_update_billing_rule(text, numeric, interval, integer) to authenticated;
revoke execute on function private.billing_rule(text) from public;

-- ---------------------------------------------------------------------------
-- Block lists and suspected robocallers
-- ---------------------------------------------------------------------------

create table public.caller_blocks (
  id bigint generated always as identity primary key,
  user_id uuid references auth.users (id) on delete cascade default private.effective_user_id(),
  phone text not null check (phone ~ '^\+[1-9][0-9]{6,14}$'),
  note text check (length(note) <= 500),
  created_at timestamptz not null default now()
);
comment on table public.caller_blocks is 'Callers answered with call_disposition = "blocked" and never billed: user_id null for the operators'' global list, else the business''s own list.';
create unique index caller_blocks_business_phone_key on public.caller_blocks (user_id, phone) where user_id is not null;
create unique index caller_blocks_global_phone_key on public.caller_blocks (phone) where user_id is null;

alter table public.caller_blocks enable row level security;
create policy "Owners read their blocked callers, admins every one" on public.caller_blocks for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));
create policy "Owners block callers for their business, admins for anyone" on public.caller_blocks for insert to authenticated
  with check (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));
create policy "Owners unblock their callers, admins any" on public.caller_blocks for delete to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));
revoke all on public.caller_blocks from anon, authenticated, service_role;
revoke all on sequence public.caller_blocks_id_seq from anon, authenticated, service_role;
grant select, delete on public.caller_blocks to authenticated;
grant insert (user_id, phone, note) on public.caller_blocks to authenticated;
create trigger caller_blocks_audit_impersonated_write after insert or delete on public.caller_blocks
  for each row execute function private.audit_impersonated_write();

create table public.suspected_robocallers (
  user_id uuid not null references auth.users (id) on delete cascade,
  phone text not null,
  short_calls integer not null check (short_calls >= 1),
  first_seen_at timestamptz not null,
  last_seen_at timestamptz not null,
  primary key (user_id, phone)
);
comment on table public.suspected_robocallers is 'Numbers that called a business with repeated short calls (the robocall rule); the owner confirms one by adding it to caller_blocks.';

alter table public.suspected_robocallers enable row level security;
create policy "Owners read their suspected robocallers, admins every one" on public.suspected_robocallers for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));
revoke all on public.suspected_robocallers from anon, authenticated, service_role;
grant select on public.suspected_robocallers to authenticated;

-- A business's robocall check counts its calls from one number.
create index calls_user_id_from_number_started_at_idx on public.calls (user_id, from_number, started_at);

-- ---------------------------------------------------------------------------
-- The ledger says why a call was not billed, and what a spam credit gave back
-- ---------------------------------------------------------------------------

alter table public.calls drop constraint calls_refusal_reason_check;
alter table public.calls add constraint calls_refusal_reason_check
  check (refusal_reason in ('unknown_number', 'subscription_inactive', 'over_cap', 'blocked'));
comment on column public.calls.refusal_reason is 'Why the call was not served: unknown_number, subscription_inactive, over_cap (message only), blocked (the caller is on a block list; the agent ended the call at once). Refused calls are never billed.';

alter table public.usage_calls
  add column unbilled_reason text check (unbilled_reason in ('empty_call', 'spam')),
  add column credited_minutes integer not null default 0 check (credited_minutes >= 0),
  add column credited_at timestamptz,
  add constraint usage_calls_unbilled_has_no_minutes check (unbilled_reason is null or billable_minutes = 0);
comment on column public.usage_calls.unbilled_reason is 'Why the call is not billed (null: billed): empty_call (the empty_call rule), spam (the owner marked it; credited_minutes says what was given back).';
comment on column public.usage_calls.credited_minutes is 'Minutes a spam credit gave back (billable_minutes before it); 0 otherwise.';
comment on column public.usage_calls.credited_at is 'When the owner marked the call as spam (who did is in audit_logs).';

-- ---------------------------------------------------------------------------
-- The rules, applied at the call's end (record_call_event)
-- ---------------------------------------------------------------------------

create function private.caller_spoke(call jsonb)
returns boolean
language sql
immutable
set search_path = ''
as $$
  -- transcript_object holds the utterances with their role; the plain transcript has
  -- "Agent: ..." / "User: ..." lines. Neither means nobody was heard.
  select case
    when jsonb_typeof(call -> 'transcript_object') = 'array' then exists (
      select 1 from jsonb_array_elements(call -> 'transcript_object') u
      where u ->> 'role' = 'user' and btrim(coalesce(u ->> 'content', '')) <> '')
    else coalesce(call ->> 'transcript', '') ~ '(^|\n)\s*User:\s*\S'
  end
$$;
comment on function private.caller_spoke(jsonb) is 'Whether the caller said anything in a Retell call object''s transcript (transcript_object, else the transcript text).';

create function private.unbilled_call_reason(duration_ms integer, disconnection_reason text, call jsonb)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select case
    when not private.caller_spoke(call)
         and (duration_ms < (select r.threshold * 1000 from public.billing_rules r where r.rule = 'empty_call')
              or disconnection_reason = 'inactivity')
      then 'empty_call'
  end
$$;
comment on function private.unbilled_call_reason(integer, text, jsonb) is 'The unbilled_reason of an ended call by the rules (empty_call), or null when it is billed.';

create function private.note_robocaller(target_user uuid, caller text)
returns void
language sql
security definer
set search_path = ''
as $$
  with rules as (
    select (select r.threshold * 1000 from public.billing_rules r where r.rule = 'short_call') as short_ms,
           r.threshold as calls, r.within
    from public.billing_rules r where r.rule = 'robocall'
  ),
  short_calls as (
    select count(*)::integer as n, min(c.started_at) as first_at, max(c.started_at) as last_at
    from public.calls c, rules
    where c.user_id = target_user and c.from_number = caller
      and c.started_at > now() - rules.within and c.duration_ms < rules.short_ms
  )
  insert into public.suspected_robocallers (user_id, phone, short_calls, first_seen_at, last_seen_at)
  select target_user, caller, s.n, s.first_at, s.last_at
  from short_calls s, rules
  where s.n >= rules.calls
  on conflict (user_id, phone) do update set
    short_calls = excluded.short_calls,
    last_seen_at = greatest(suspected_robocallers.last_seen_at, excluded.last_seen_at)
$$;
comment on function private.note_robocaller(uuid, text) is 'Marks caller as a suspected robocaller of the business when the robocall rule''s count of short calls within its window is reached.';

revoke execute on function
  private.caller_spoke(jsonb),
  private.unbilled_call_reason(integer, text, jsonb),
  private.note_robocaller(uuid, text)
from public;
