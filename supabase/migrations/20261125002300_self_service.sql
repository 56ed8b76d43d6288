-- ============================================================================
-- Self-service RPCs for signed-in owners, covering what the old routes did beyond plain table
-- access: app settings the frontend needs, sign-in sessions, customer history, payout requests.
-- All act for the effective user (the caller, or the user an admin impersonates).
-- ============================================================================

create function public.public_settings()
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'wizard_maintenance_mode', coalesce((private.setting('wizard_maintenance_mode'))::boolean, false),
    'consent_version', private.setting('consent_version') #>> '{}',
    'is_admin', private.is_admin()
  )
$$;
comment on function public.public_settings() is 'Settings the frontend needs: wizard maintenance mode, current consent version, whether the caller is an admin.';
grant execute on function public.public_settings() to anon, authenticated;

-- ---------------------------------------------------------------------------
-- Sessions (over auth.sessions)
-- ---------------------------------------------------------------------------

create function public.my_sessions()
returns table (id uuid, created_at timestamptz, updated_at timestamptz, user_agent text, ip inet, is_current boolean)
language sql
stable
security definer
set search_path = ''
as $$
  select s.id, s.created_at, s.updated_at, s.user_agent, s.ip,
         s.id::text = (auth.jwt() ->> 'session_id') as is_current
  from auth.sessions s
  where s.user_id = private.effective_user_id()
  order by s.created_at desc
$$;
comment on function public.my_sessions() is 'The signed-in sessions of the effective user, newest first, marking the caller''s own.';

create function public.revoke_session(session_id uuid)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
  me uuid := private.effective_user_id();
  revoked boolean;
begin
  delete from auth.sessions where id = session_id and user_id = me;
  revoked := found;
  if revoked and me is distinct from auth.uid() then
    perform private.write_audit('impersonation.session_revoked', me, jsonb_build_object('session_id', session_id));
  end if;
  return revoked;
end
$$;
comment on function public.revoke_session(uuid) is 'Signs out one session of the effective user; false when no such session is theirs.';

create function public.revoke_other_sessions()
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  me uuid := private.effective_user_id();
  revoked integer;
begin
  delete from auth.sessions
  where user_id = me and id::text is distinct from (auth.jwt() ->> 'session_id');
  get diagnostics revoked = row_count;
  if me is distinct from auth.uid() then
    perform private.write_audit('impersonation.sessions_revoked', me, jsonb_build_object('count', revoked));
  end if;
  return revoked;
end
$$;
comment on function public.revoke_other_sessions() is 'Signs out every session of the effective user except the caller''s own; returns how many.';

grant execute on function public.my_sessions(), public.revoke_session(uuid), public.revoke_other_sessions() to authenticated;

-- ---------------------------------------------------------------------------
-- Customers
-- ---------------------------------------------------------------------------

create function public.customer_history(customer_phone text)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select jsonb_build_object(
    'customer', to_jsonb(c),
    'calls', coalesce((select jsonb_agg(to_jsonb(x) order by x.started_at desc) from public.calls x
                       where x.user_id = c.user_id and x.from_number = c.phone), '[]'::jsonb),
    'messages', coalesce((select jsonb_agg(to_jsonb(m) order by m.created_at) from public.sms_messages m
                          join public.sms_conversations v on v.id = m.conversation_id
                          where v.user_id = c.user_id and v.customer_phone = c.phone), '[]'::jsonb),
    'appointments', coalesce((select jsonb_agg(to_jsonb(a) order by a.start_at desc) from public.appointments a
                              where a.user_id = c.user_id and a.customer_phone = c.phone), '[]'::jsonb),
    'leads', coalesce((select jsonb_agg(to_jsonb(l) order by l.created_at desc) from public.leads l
                       where l.customer_id = c.id), '[]'::jsonb)
  )
  from public.customers c
  where c.user_id = private.effective_user_id() and c.phone = customer_phone
$$;
comment on function public.customer_history(text) is 'One customer of the effective user with their calls, messages, appointments and leads, in one round trip; null if unknown.';
grant execute on function public.customer_history(text) to authenticated;

-- ---------------------------------------------------------------------------
-- Referral payouts
-- ---------------------------------------------------------------------------

create function public.request_payout(method text, destination text)
returns public.payout_requests
language plpgsql
security definer
set search_path = ''
as $$
declare
  me uuid := private.effective_user_id();
  settings public.referral_settings := (select s from public.referral_settings s);
  available integer;
  requested public.payout_requests;
begin
  if me is null then
    raise exception 'sign in to request a payout' using errcode = '42501';
  end if;
  -- Serialise requests of one user so two clicks cannot both pass the balance check.
  perform pg_advisory_xact_lock(hashtext('payout:' || me::text));
  select coalesce(sum(reward_cents), 0) into available
  from public.referrals where referrer_user_id = me and status = 'approved';
  if available < settings.min_payout_cents or available = 0 then
    raise exception 'approved rewards (% cents) are below the minimum payout (% cents)', available, settings.min_payout_cents
      using errcode = '22023';
  end if;
  insert into public.payout_requests (user_id, amount_cents, method, destination)
  values (me, available, method, destination)
  returning * into requested;
  return requested;
exception
  when unique_violation then
    raise exception 'a payout request is already open' using errcode = '23505';
end
$$;
comment on function public.request_payout(text, text) is 'Asks for the approved referral rewards to be paid out; one open request at a time.';
grant execute on function public.request_payout(text, text) to authenticated;
