-- ============================================================================
-- Admin RPCs. Each checks the caller is an admin who passes the access code and IP allowlist, acts,
-- and writes an audit_logs row. Admins read other tables through their "Admins read ..." policies.
-- ============================================================================

create function private.assert_admin()
returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if not private.is_admin() then
    raise exception 'admin only' using errcode = '42501';
  end if;
  if not private.admin_gate_open() then
    raise exception 'admin access code or IP address not accepted' using errcode = '42501';
  end if;
end
$$;
comment on function private.assert_admin() is 'Raises 42501 unless the caller is an admin passing the access code and IP allowlist.';

-- ---------------------------------------------------------------------------
-- Impersonation
-- ---------------------------------------------------------------------------

create function public.admin_start_impersonation(target_user_id uuid, reason text, minutes integer default 30)
returns public.impersonation_sessions
language plpgsql
security definer
set search_path = ''
as $$
declare
  started public.impersonation_sessions;
begin
  perform private.assert_admin();
  if minutes not between 1 and 240 then
    raise exception 'minutes must be between 1 and 240' using errcode = '22023';
  end if;
  if not exists (select 1 from auth.users where id = target_user_id) then
    raise exception 'no user %', target_user_id using errcode = 'P0002';
  end if;
  -- One active impersonation per admin: starting a new one ends the previous.
  update public.impersonation_sessions set ended_at = now()
  where admin_user_id = auth.uid() and ended_at is null;
  insert into public.impersonation_sessions (admin_user_id, target_user_id, reason, expires_at)
  values (auth.uid(), target_user_id, reason, now() + make_interval(mins => minutes))
  returning * into started;
  perform private.write_audit('impersonation.start', target_user_id,
    jsonb_build_object('session_id', started.id, 'reason', reason, 'expires_at', started.expires_at),
    'impersonation_sessions', started.id::text);
  return started;
end
$$;
comment on function public.admin_start_impersonation(uuid, text, integer) is 'Starts a time-limited impersonation of a user; send its id as x-impersonation-session.';

create function public.admin_end_impersonation(session_id uuid)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
  ended public.impersonation_sessions;
begin
  perform private.assert_admin();
  update public.impersonation_sessions set ended_at = now()
  where id = session_id and admin_user_id = auth.uid() and ended_at is null
  returning * into ended;
  if ended.id is null then
    return false;
  end if;
  perform private.write_audit('impersonation.end', ended.target_user_id,
    jsonb_build_object('session_id', session_id), 'impersonation_sessions', session_id::text);
  return true;
end
$$;
comment on function public.admin_end_impersonation(uuid) is 'Ends the caller''s impersonation session at once; false when it was not active.';

-- ---------------------------------------------------------------------------
-- Users and settings
-- ---------------------------------------------------------------------------

create function public.admin_list_users(search text default null, max_rows integer default 50, skip_rows integer default 0)
returns table (
  user_id uuid, email text, business_name text, industry text, plan text, subscription_status text,
  deploy_status text, phone_number text, created_at timestamptz, is_admin boolean
)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.assert_admin();
  return query
    select u.id, u.email::text, p.business_name, p.industry, s.plan, s.status, a.deploy_status, a.phone_number::text,
           u.created_at, exists (select 1 from private.admin_emails e where e.email = lower(u.email))
    from auth.users u
    left join public.profiles p on p.id = u.id
    left join public.subscriptions s on s.user_id = u.id
    left join public.agents a on a.user_id = u.id
    where search is null or u.email ilike '%' || search || '%' or p.business_name ilike '%' || search || '%'
    order by u.created_at desc
    limit least(max_rows, 500) offset skip_rows;
end
$$;
comment on function public.admin_list_users(text, integer, integer) is 'Users with their business, plan and deployment, newest first, optionally filtered by email or business name.';

create function public.admin_update_setting(setting_key text, setting_value jsonb)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.assert_admin();
  if setting_key = 'admin_access_code_hash' then
    raise exception 'use admin_set_access_code to change the access code' using errcode = '22023';
  end if;
  update public.app_settings set value = setting_value where key = setting_key;
  if not found then
    raise exception 'unknown setting %', setting_key using errcode = '22023';
  end if;
  perform private.write_audit('settings.update', null, jsonb_build_object('key', setting_key, 'value', setting_value), 'app_settings', setting_key);
end
$$;
comment on function public.admin_update_setting(text, jsonb) is 'Changes one app setting (wizard maintenance mode, consent version, IP allowlist).';

create function public.admin_set_access_code(code text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.assert_admin();
  if code is not null and length(code) < 8 then
    raise exception 'the access code must have at least 8 characters' using errcode = '22023';
  end if;
  update public.app_settings
  set value = case when code is null then 'null'::jsonb else to_jsonb(extensions.crypt(code, extensions.gen_salt('bf'))) end
  where key = 'admin_access_code_hash';
  perform private.write_audit('settings.access_code', null, jsonb_build_object('required', code is not null));
end
$$;
comment on function public.admin_set_access_code(text) is 'Sets (or with null, removes) the access code admins must send as x-admin-access-code.';

create function public.admin_resolve_ops_alert(alert_id uuid)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.assert_admin();
  update public.ops_alerts set resolved_at = now() where id = alert_id and resolved_at is null;
  if not found then
    return false;
  end if;
  perform private.write_audit('ops_alert.resolve', null, '{}'::jsonb, 'ops_alerts', alert_id::text);
  return true;
end
$$;
comment on function public.admin_resolve_ops_alert(uuid) is 'Marks an ops alert resolved.';

-- ---------------------------------------------------------------------------
-- Referrals
-- ---------------------------------------------------------------------------

create function public.admin_decide_referral(referral_id uuid, decision text)
returns public.referrals
language plpgsql
security definer
set search_path = ''
as $$
declare
  decided public.referrals;
begin
  perform private.assert_admin();
  if decision not in ('approved', 'rejected', 'paid') then
    raise exception 'decision must be approved, rejected or paid' using errcode = '22023';
  end if;
  update public.referrals
  set status = decision,
      decided_at = case when decision = 'paid' then decided_at else now() end,
      decided_by = auth.uid(),
      paid_at = case when decision = 'paid' then now() end
  where id = referral_id
    and ((decision in ('approved', 'rejected') and status = 'pending') or (decision = 'paid' and status = 'approved'))
  returning * into decided;
  if decided.id is null then
    raise exception 'referral % cannot move to %', referral_id, decision using errcode = '22023';
  end if;
  perform private.write_audit('referral.' || decision, decided.referrer_user_id, '{}'::jsonb, 'referrals', referral_id::text);
  return decided;
end
$$;
comment on function public.admin_decide_referral(uuid, text) is 'Approves or rejects a pending referral, or marks an approved one paid.';

create function public.admin_decide_payout(payout_id uuid, decision text)
returns public.payout_requests
language plpgsql
security definer
set search_path = ''
as $$
declare
  decided public.payout_requests;
begin
  perform private.assert_admin();
  if decision not in ('approved', 'rejected', 'paid') then
    raise exception 'decision must be approved, rejected or paid' using errcode = '22023';
  end if;
  update public.payout_requests
  set status = decision,
      decided_at = case when decision = 'paid' then decided_at else now() end,
      decided_by = auth.uid(),
      paid_at = case when decision = 'paid' then now() end
  where id = payout_id
    and ((decision in ('approved', 'rejected') and status = 'requested') or (decision = 'paid' and status = 'approved'))
  returning * into decided;
  if decided.id is null then
    raise exception 'payout request % cannot move to %', payout_id, decision using errcode = '22023';
  end if;
  -- Paying out settles the rewards it covered.
  if decision = 'paid' then
    update public.referrals set status = 'paid', paid_at = now()
    where referrer_user_id = decided.user_id and status = 'approved';
  end if;
  perform private.write_audit('payout.' || decision, decided.user_id, jsonb_build_object('amount_cents', decided.amount_cents), 'payout_requests', payout_id::text);
  return decided;
end
$$;
comment on function public.admin_decide_payout(uuid, text) is 'Approves, rejects or marks paid a referral payout request.';

grant execute on function
  public.admin_start_impersonation(uuid, text, integer), public.admin_end_impersonation(uuid),
  public.admin_list_users(text, integer, integer), public.admin_update_setting(text, jsonb),
  public.admin_set_access_code(text), public.admin_resolve_ops_alert(uuid),
  public.admin_decide_referral(uuid, text), public.admin_decide_payout(uuid, text)
to authenticated;
