-- ============================================================================
-- An owner marks a call as spam within the spam_credit window (billing_rules): in one
-- transaction its usage_calls row gives up its minutes (billable, plan and top-up minutes 0,
-- credited_minutes what they were, unbilled_reason 'spam') and the counters get them back: plan
-- minutes to the period's counter when the call is in the current period, top-up minutes to the
-- credits. The row lock makes a second mark, concurrent or later, find the call credited and give
-- nothing back. No percentage cap: a business that credits an unusual share of its calls
-- (unusual_credit) raises an operator alert instead.
-- ============================================================================

create function public.mark_call_spam(call_id text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  owner_id uuid := private.effective_user_id();
  usage public.usage_calls;
  credit_window interval := (select r.within from public.billing_rules r where r.rule = 'spam_credit');
  unusual public.billing_rules := private.billing_rule('unusual_credit');
  credited integer;
  calls integer;
begin
  if owner_id is null then
    raise exception 'Sign in to mark calls' using errcode = '42501';
  end if;
  -- Concurrent marks of one call queue here; the second sees the first one's credit.
  select * into usage from public.usage_calls u
  where u.call_id = mark_call_spam.call_id and u.user_id = owner_id
  for update;
  if not found then
    raise exception 'no billed call % of this business', coalesce(mark_call_spam.call_id, 'null') using errcode = 'PT404';
  end if;
  -- Credited before, or never billed (an empty call): nothing to give back.
  if usage.unbilled_reason is not null then
    return jsonb_build_object('call_id', usage.call_id, 'credited_minutes', 0, 'unbilled_reason', usage.unbilled_reason, 'already_credited', true);
  end if;
  if usage.occurred_at < now() - credit_window then
    raise exception 'a call can be marked as spam within % of its end', credit_window using errcode = 'PT409';
  end if;

  update public.usage_calls u
  set unbilled_reason = 'spam', credited_minutes = u.billable_minutes, credited_at = now(),
      billable_minutes = 0, plan_minutes = 0, topup_minutes = 0
  where u.id = usage.id;
  update public.usage_limits l
  set call_minutes_used = l.call_minutes_used - case when usage.occurred_at >= l.period_start and usage.occurred_at < l.period_end
                                                     then usage.plan_minutes else 0 end,
      topup_call_minutes = l.topup_call_minutes + usage.topup_minutes,
      cap_reached_at = private.call_cap_reached_at(
        l.call_minutes_used - case when usage.occurred_at >= l.period_start and usage.occurred_at < l.period_end
                                   then usage.plan_minutes else 0 end,
        l.call_minutes_allowance, l.topup_call_minutes + usage.topup_minutes, l.cap_reached_at)
  where l.user_id = owner_id;
  perform private.write_audit('usage_calls.mark_spam', owner_id,
    jsonb_build_object('call_id', usage.call_id, 'credited_minutes', usage.billable_minutes,
                       'plan_minutes', usage.plan_minutes, 'topup_minutes', usage.topup_minutes),
    'usage_calls', usage.id::text);

  select count(*) filter (where u.unbilled_reason = 'spam'), count(*) into credited, calls
  from public.usage_calls u
  where u.user_id = owner_id and u.occurred_at > now() - unusual.within;
  if credited >= unusual.min_count and credited >= unusual.threshold * calls then
    insert into public.ops_alerts (kind, severity, message, user_id, details, dedupe_key)
    values ('unusual_spam_credits', 'warning',
            'A business marked an unusual share of its calls as spam: check the calls and its block list.',
            owner_id, jsonb_build_object('credited_calls', credited, 'calls', calls, 'within', unusual.within::text),
            'unusual_spam_credits:' || owner_id)
    on conflict (dedupe_key) where resolved_at is null do nothing;
  end if;
  return jsonb_build_object('call_id', usage.call_id, 'credited_minutes', usage.billable_minutes, 'unbilled_reason', 'spam', 'already_credited', false);
end
$$;
comment on function public.mark_call_spam(text) is 'The owner (or an admin acting for them) marks a billed call as spam within the spam_credit window: its minutes go back to the counters once, audited; {call_id, credited_minutes, unbilled_reason, already_credited}. PT404 for no such call of the business, PT409 past the window; an unusual share of credits raises an unusual_spam_credits ops alert.';
revoke execute on function public.mark_call_spam(text) from public;
grant execute on function public.mark_call_spam(text) to authenticated;
