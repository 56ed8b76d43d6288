-- ============================================================================
-- Warnings before the cap bites: when a period's call minutes or SMS reach 80% and 100% of the
-- plan's allowance, the owner is emailed (and texted from our own number, MASTER_SMS_NUMBER, when
-- profiles.notify_sms is on and business_phone is set), once per kind, threshold and period:
-- usage_warnings' primary key is that once, and the dashboard reads it. A jump past both
-- thresholds records both and sends the 100% notice only. This replaces the cap notice the inbound
-- lookups used to answer (the 100% threshold is that notice).
-- ============================================================================

create table public.usage_warnings (
  user_id uuid not null references auth.users (id) on delete cascade,
  kind text not null check (kind in ('call', 'sms')),
  percent integer not null check (percent in (80, 100)),
  period_start timestamptz not null,
  reached_at timestamptz not null default now(),
  primary key (user_id, kind, percent, period_start)
);
comment on table public.usage_warnings is 'Each usage threshold (80% and 100% of the plan''s call minutes or SMS) a business reached in a period, once; the owner was warned when the row was written.';

alter table public.usage_warnings enable row level security;
create policy "Owners read their usage warnings, admins every one" on public.usage_warnings for select to authenticated
  using (user_id = (select private.effective_user_id()) or (select private.acting_as_admin()));
revoke all on public.usage_warnings from anon, authenticated, service_role;
grant select on public.usage_warnings to authenticated;

alter table private.email_outbox drop constraint email_outbox_kind_check;
alter table private.email_outbox add constraint email_outbox_kind_check
  check (kind in ('welcome', 'agent_live', 'deployment_failed', 'referral_approved', 'usage_warning', 'usage_warning_text'));
comment on column private.email_outbox.kind is 'What to send; usage_warning_text is the text of a usage warning (details.to), sent through Twilio from MASTER_SMS_NUMBER instead of an email.';

create function private.warn_usage_thresholds()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  owner public.profiles;
  warning record;
  details jsonb;
  key text;
begin
  select * into owner from public.profiles p where p.id = new.user_id;
  for warning in
    with reached as (
      insert into public.usage_warnings (user_id, kind, percent, period_start)
      select new.user_id, u.kind, t.percent, new.period_start
      from (values ('call', new.call_minutes_used, new.call_minutes_allowance),
                   ('sms', new.sms_used, new.sms_allowance)) as u(kind, used, allowance)
      cross join (values (80), (100)) as t(percent)
      where u.allowance > 0 and u.used * 100 >= u.allowance * t.percent
      on conflict do nothing
      returning kind, percent
    )
    select kind, max(percent) as percent from reached group by kind
  loop
    details := jsonb_build_object(
      'usage_kind', warning.kind, 'percent', warning.percent, 'period_end', new.period_end,
      'topup_left', case when warning.kind = 'call' then new.topup_call_minutes else new.topup_sms end,
      'overage_allowed', coalesce((select p.overage_policy = 'allow' from public.subscriptions s
                                   join public.plans p on p.id = s.plan where s.user_id = new.user_id), false));
    key := 'usage-warning:' || warning.kind || ':' || warning.percent || ':' || new.user_id || ':'
           || extract(epoch from new.period_start)::bigint;
    if owner.notify_email then
      perform private.queue_email(new.user_id, 'usage_warning', key, details);
    end if;
    if owner.notify_sms and owner.business_phone is not null then
      perform private.queue_email(new.user_id, 'usage_warning_text', key || ':text', details || jsonb_build_object('to', owner.business_phone));
    end if;
  end loop;
  return null;
end
$$;
comment on function private.warn_usage_thresholds() is 'Trigger on usage_limits: records the 80% and 100% thresholds of call minutes and SMS the change reached (once per period) and queues the owner''s warning (email, and text where they opted in) for the highest one.';
revoke execute on function private.warn_usage_thresholds() from public;

create trigger usage_limits_warn_thresholds after update of call_minutes_used, sms_used on public.usage_limits
  for each row when (new.call_minutes_used > old.call_minutes_used or new.sms_used > old.sms_used)
  execute function private.warn_usage_thresholds();
