-- Impersonation: an admin who sends x-impersonation-session sees and changes exactly what the
-- target user would, only while the session is active, and every write is audited for both.
begin;
select plan(37);

-- ---------------------------------------------------------------------------
-- People and sessions, with random ids so parallel runs never collide
-- ---------------------------------------------------------------------------

select tests.name_people('admin', 'other_admin', 'target', 'bystander', 'expired_session', 'ended_session', 'other_admins_session');

insert into auth.users (id, email, email_confirmed_at)
select tests.id(person), person || '-' || tests.id(person) || '@impersonation.test', now()
from unnest(array['admin', 'other_admin', 'target', 'bystander']) as person;

insert into private.admin_emails (email)
select email from auth.users where id in (tests.id('admin'), tests.id('other_admin'));

-- The gate is open (no access code, no allowlist), as on a fresh project.
update public.app_settings set value = 'null' where key = 'admin_access_code_hash';
update public.app_settings set value = '[]' where key = 'admin_ip_allowlist';

insert into public.black_box_events (user_id, event_type)
select tests.id(person), 'wizard.opened' from unnest(array['admin', 'target', 'bystander']) as person;

insert into public.impersonation_sessions (id, admin_user_id, target_user_id, reason, started_at, expires_at, ended_at) values
  (tests.id('expired_session'), tests.id('admin'), tests.id('target'), 'expired an hour ago', now() - interval '2 hours', now() - interval '1 hour', null),
  (tests.id('ended_session'), tests.id('admin'), tests.id('target'), 'ended by the admin', now() - interval '10 minutes', now() + interval '20 minutes', now() - interval '5 minutes'),
  (tests.id('other_admins_session'), tests.id('other_admin'), tests.id('target'), 'another admin helping', now(), now() + interval '30 minutes', null);

-- ---------------------------------------------------------------------------
-- Without the header an admin is themselves, reading across users
-- ---------------------------------------------------------------------------

select tests.act_as('admin');
select is(private.effective_user_id(), tests.id('admin'), 'without the header an admin acts as themselves');
select ok(private.acting_as_admin(), 'without the header an admin reads across users');

-- ---------------------------------------------------------------------------
-- Starting a session
-- ---------------------------------------------------------------------------

select throws_ok($$ select public.admin_start_impersonation(tests.id('target'), 'too long', 241) $$,
  '22023', null, 'a session lasts at most four hours');
select throws_ok($$ select public.admin_start_impersonation(tests.id('target'), 'too short', 0) $$,
  '22023', null, 'a session lasts at least a minute');
select throws_ok($$ select public.admin_start_impersonation(gen_random_uuid(), 'nobody', 30) $$,
  'PT404', null, 'impersonating an unknown user is refused');
select throws_ok($$ select public.admin_start_impersonation(tests.id('target'), '', 30) $$,
  '23514', null, 'a session needs a reason');
select throws_ok($$ select public.admin_start_impersonation(tests.id('admin'), 'looking at myself', 30) $$,
  '23514', null, 'an admin cannot impersonate themselves');

select lives_ok(
  $$ select set_config('test.first_session',
       (public.admin_start_impersonation(tests.id('target'), 'customer asked for help', 30)).id::text, true) $$,
  'an admin starts an impersonation');
select lives_ok(
  $$ select set_config('test.active_session',
       (public.admin_start_impersonation(tests.id('target'), 'customer asked again', 30)).id::text, true) $$,
  'an admin starts a second impersonation');

reset role;
select isnt((select ended_at from public.impersonation_sessions where id = tests.id('first_session')), null,
  'starting a session ends the admin''s previous one');
select results_eq(
  $$ select actor_user_id, on_behalf_of_user_id, target_id, details ->> 'reason'
     from public.audit_logs where action = 'impersonation.start' and on_behalf_of_user_id = tests.id('target')
     order by id $$,
  $$ values (tests.id('admin'), tests.id('target'), tests.id('first_session')::text, 'customer asked for help'),
            (tests.id('admin'), tests.id('target'), tests.id('active_session')::text, 'customer asked again') $$,
  'each start is audited with the admin, the user and the reason');

select tests.act_as('bystander');
select throws_ok($$ select public.admin_start_impersonation(tests.id('target'), 'not an admin', 30) $$,
  '42501', 'admin only', 'a non-admin cannot start an impersonation');

-- ---------------------------------------------------------------------------
-- While active: exactly the target's view, writes attributed to both
-- ---------------------------------------------------------------------------

select tests.act_as('admin', jsonb_build_object('x-impersonation-session', current_setting('test.active_session')));
select is(private.effective_user_id(), tests.id('target'), 'with an active session the admin acts as the target');
select ok(not private.acting_as_admin(), 'while impersonating the admin does not read across users');
select results_eq($$ select id from public.profiles $$, $$ values (tests.id('target')) $$,
  'the impersonating admin sees the target''s profile and no other');
select results_eq($$ select user_id from public.black_box_events $$, $$ values (tests.id('target')) $$,
  'the impersonating admin sees the target''s events and no other');

select results_eq(
  $$ with changed as (update public.profiles set business_name = 'Fixed by support' returning id) select id from changed $$,
  $$ values (tests.id('target')) $$,
  'an unfiltered update changes the target''s profile and nothing else');
select lives_ok($$ insert into public.webhook_configs (url) values ('https://hooks.example.com/support') $$,
  'the impersonating admin adds a webhook without naming its owner, as the target would');
select results_eq($$ select user_id from public.webhook_configs $$, $$ values (tests.id('target')) $$,
  'the webhook belongs to the target');

reset role;
select results_eq(
  $$ select actor_user_id, target_table, target_id, details ->> 'session_id'
     from public.audit_logs where action = 'impersonation.update' and on_behalf_of_user_id = tests.id('target') $$,
  $$ values (tests.id('admin'), 'profiles', tests.id('target')::text, current_setting('test.active_session')) $$,
  'the profile update is audited for the admin and the target, with the session');
select is(
  (select count(*)::int from public.audit_logs
   where action = 'impersonation.insert' and target_table = 'webhook_configs'
     and actor_user_id = tests.id('admin') and on_behalf_of_user_id = tests.id('target')),
  1, 'the insert is audited for the admin and the target');
select is((select business_name from public.profiles where id = tests.id('bystander')), null,
  'other users'' profiles are untouched');

-- Every table clients may write must record impersonated writes, or "every write is attributed to
-- both" silently stops holding for it.
select is_empty(
  $$ select p.tablename || ' ' || p.cmd
     from pg_catalog.pg_policies p
     where p.schemaname = 'public' and p.cmd in ('INSERT', 'UPDATE', 'DELETE')
       and not exists (
         select 1 from pg_catalog.pg_trigger t
         where t.tgrelid = ('public.' || p.tablename)::regclass
           and t.tgfoid = 'private.audit_impersonated_write'::regproc
           and t.tgtype & case p.cmd when 'INSERT' then 4 when 'DELETE' then 8 else 16 end <> 0
       ) $$,
  'every table clients may write audits impersonated writes of each kind they may make');
select is_empty(
  $$ select c.relname || '.' || a.attname
     from pg_catalog.pg_attrdef d
     join pg_catalog.pg_class c on c.oid = d.adrelid
     join pg_catalog.pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum
     where c.relnamespace = 'public'::regnamespace and pg_catalog.pg_get_expr(d.adbin, d.adrelid) like '%auth.uid()%' $$,
  'no column defaults to auth.uid() (it would ignore impersonation); they use private.effective_user_id()');

-- ---------------------------------------------------------------------------
-- Refused: ended, expired, someone else's, not an admin, malformed
-- ---------------------------------------------------------------------------

select tests.act_as('admin', jsonb_build_object('x-impersonation-session', current_setting('test.ended_session')));
select throws_ok($$ select id from public.profiles $$, '42501', null, 'an ended session is refused');
select tests.act_as('admin', jsonb_build_object('x-impersonation-session', current_setting('test.expired_session')));
select throws_ok($$ select id from public.profiles $$, '42501', null, 'an expired session is refused');
select throws_ok($$ select private.effective_user_id() $$, '42501', null, 'an expired session yields no effective user');
select tests.act_as('admin', jsonb_build_object('x-impersonation-session', current_setting('test.other_admins_session')));
select throws_ok($$ select id from public.profiles $$, '42501', null, 'another admin''s session is refused');
select tests.act_as('bystander', jsonb_build_object('x-impersonation-session', current_setting('test.active_session')));
select throws_ok($$ select id from public.profiles $$, '42501', null, 'a non-admin sending an active session id is refused');
select tests.act_as('target', jsonb_build_object('x-impersonation-session', current_setting('test.active_session')));
select throws_ok($$ select id from public.profiles $$, '42501', null, 'the target sending the session id is refused');
select tests.act_as('admin', jsonb_build_object('x-impersonation-session', 'not-a-session-id'));
select throws_ok($$ select id from public.profiles $$, '22023', null, 'a malformed session id is refused');

-- Losing admin rights stops an active session at once.
reset role;
delete from private.admin_emails where email = (select email from auth.users where id = tests.id('admin'));
select tests.act_as('admin', jsonb_build_object('x-impersonation-session', current_setting('test.active_session')));
select throws_ok($$ select id from public.profiles $$, '42501', null, 'a session of an admin taken off the list is refused');
reset role;
insert into private.admin_emails (email) select email from auth.users where id = tests.id('admin');

-- ---------------------------------------------------------------------------
-- Ending a session
-- ---------------------------------------------------------------------------

select tests.act_as('other_admin');
select is(public.admin_end_impersonation(tests.id('active_session')), false,
  'an admin cannot end another admin''s session');
select tests.act_as('admin');
select is(public.admin_end_impersonation(tests.id('active_session')), true, 'the admin ends the session');
select is(public.admin_end_impersonation(tests.id('active_session')), false, 'ending it again does nothing');
select tests.act_as('admin', jsonb_build_object('x-impersonation-session', current_setting('test.active_session')));
select throws_ok($$ select id from public.profiles $$, '42501', null, 'once ended, the session is refused at once');

reset role;
select is(
  (select count(*)::int from public.audit_logs
   where action = 'impersonation.end' and actor_user_id = tests.id('admin') and target_id = current_setting('test.active_session')),
  1, 'ending is audited once');

select * from finish();
rollback;
