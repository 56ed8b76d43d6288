-- ============================================================================
-- Owner emails: the outbox the send-emails function works through (welcome, agent live, deployment
-- failed, referral approved, usage warnings), queued by triggers in the transaction that caused them.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

-- Transactional emails to owners: welcome after sign-up, "your receptionist is live" with the
-- number, a deployment failure the owner must act on (AREA_CODE_UNAVAILABLE: pick another area
-- code), and a referral reward approved. The change that causes an email queues it in the same
-- transaction (private.email_outbox, one row per dedupe key), kicks send-emails after commit, and a
-- cron job kicks it again while any is due, so a lost kick or a Resend outage delays an email but
-- never loses or doubles it: the dedupe key is also the Resend Idempotency-Key. The templates are in
-- supabase/functions/_shared/email-templates.ts.
create table private.email_outbox (
  id bigint generated always as identity primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  kind text not null check (kind in ('welcome', 'agent_live', 'deployment_failed', 'referral_approved', 'usage_warning', 'usage_warning_text')),
  dedupe_key text not null unique,
  details jsonb not null default '{}'::jsonb,
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  sent_at timestamptz,
  last_error text,
  created_at timestamptz not null default now()
);
comment on table private.email_outbox is 'Emails to owners waiting for send-emails, one per dedupe key (also Resend''s Idempotency-Key); sent_at once Resend took it.';
comment on column private.email_outbox.kind is 'What to send; usage_warning_text is the text of a usage warning (details.to), sent through Twilio from MASTER_SMS_NUMBER instead of an email.';

-- ---------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------

create index email_outbox_due_idx on private.email_outbox (next_attempt_at) where sent_at is null;
create index email_outbox_user_id_idx on private.email_outbox (user_id);

-- ---------------------------------------------------------------------------
-- Functions
-- ---------------------------------------------------------------------------

create function private.queue_email(target_user uuid, email_kind text, key text, email_details jsonb default '{}'::jsonb)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into private.email_outbox (user_id, kind, dedupe_key, details)
  values (target_user, email_kind, key, email_details)
  on conflict (dedupe_key) do nothing;
  if found then
    perform private.call_function('send-emails');
  end if;
end
$$;
comment on function private.queue_email(uuid, text, text, jsonb) is 'Queues one email to an owner (nothing if its dedupe key was queued before) and kicks send-emails after commit.';

-- What queues an email
create function private.queue_welcome_email()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- Invited owners (quick onboard) already got the invitation email.
  if new.invited_at is null then
    perform private.queue_email(new.id, 'welcome', 'welcome:' || new.id);
  end if;
  return new;
end
$$;
comment on function private.queue_welcome_email() is 'Trigger on auth.users: queues the welcome email of an owner who signed up (not of an invited one).';

create function private.queue_deployment_email()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.deploy_status = 'active' then
    perform private.queue_email(new.user_id, 'agent_live', 'agent-live:' || new.id || ':' || new.phone_number,
      jsonb_build_object('phone_number', new.phone_number));
  elsif new.deploy_error_code = 'AREA_CODE_UNAVAILABLE' then
    -- The one failure the owner fixes (another area code); operators handle the others.
    perform private.queue_email(new.user_id, 'deployment_failed',
      'deployment-failed:' || new.id || ':' || extract(epoch from new.deploy_requested_at)::bigint,
      jsonb_build_object('error_code', new.deploy_error_code, 'area_codes_tried', new.area_codes_tried));
  end if;
  return new;
end
$$;
comment on function private.queue_deployment_email() is 'Trigger on agents: queues "your receptionist is live" with the number, or the failure the owner must act on.';

create function private.queue_referral_approved_email()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.queue_email(new.referrer_user_id, 'referral_approved', 'referral-approved:' || new.id,
    jsonb_build_object('reward_cents', new.reward_cents));
  return new;
end
$$;
comment on function private.queue_referral_approved_email() is 'Trigger on referrals: tells the referrer a reward was approved.';

-- For send-emails (service role only)
create function public.email_claim(max_emails integer default 20)
returns table (id bigint, kind text, dedupe_key text, to_email text, business_name text, details jsonb)
language sql
security definer
set search_path = ''
as $$
  -- A claimed email is not due again for two minutes, so overlapping runs never send it twice
  -- (and if one did, Resend would answer the second send with the first).
  with due as (
    select o.id from private.email_outbox o
    where o.sent_at is null and o.next_attempt_at <= now() and o.attempts < 8
    order by o.id
    limit least(greatest(max_emails, 1), 100)
    for update skip locked
  ), claimed as (
    update private.email_outbox o
    set attempts = o.attempts + 1, next_attempt_at = now() + interval '2 minutes'
    from due where o.id = due.id
    returning o.*
  )
  select c.id, c.kind, c.dedupe_key, p.email, p.business_name, c.details
  from claimed c left join public.profiles p on p.id = c.user_id
  order by c.id
$$;
comment on function public.email_claim(integer) is 'Claims up to max_emails due owner emails for two minutes, with the owner''s current email and business name.';
revoke all on function public.email_claim(integer) from public, anon, authenticated, service_role;
grant execute on function public.email_claim(integer) to service_role;

create function public.email_done(email_id bigint, failure text default null)
returns void
language sql
security definer
set search_path = ''
as $$
  -- A failure waits 1, 2, 4, ... minutes (attempts counts the claims).
  update private.email_outbox o
  set sent_at = case when failure is null then now() end,
      last_error = left(failure, 500),
      next_attempt_at = case when failure is null then o.next_attempt_at
                             else now() + make_interval(mins => (2 ^ (o.attempts - 1))::integer) end
  where o.id = email_id
$$;
comment on function public.email_done(bigint, text) is 'Records that an owner email was sent (failure null: also when there was nobody to send it to) or why not (retried later).';
revoke all on function public.email_done(bigint, text) from public, anon, authenticated, service_role;
grant execute on function public.email_done(bigint, text) to service_role;

create function private.kick_due_emails()
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  if exists (select 1 from private.email_outbox o where o.sent_at is null and o.next_attempt_at <= now() and o.attempts < 8) then
    perform private.call_function('send-emails');
    return true;
  end if;
  return false;
end
$$;
comment on function private.kick_due_emails() is 'Kicks send-emails when an owner email is due (a lost kick, a retry). Run every minute by cron.';

-- ---------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------

create trigger on_auth_user_created_welcome_email after insert on auth.users
  for each row execute function private.queue_welcome_email();

create trigger agents_queue_deployment_email after update of deploy_status on public.agents
  for each row when (new.deploy_status in ('active', 'failed') and old.deploy_status is distinct from new.deploy_status)
  execute function private.queue_deployment_email();

create trigger referrals_queue_approved_email after update of status on public.referrals
  for each row when (new.status = 'approved' and old.status is distinct from 'approved')
  execute function private.queue_referral_approved_email();
