-- Who counts as an admin, and the optional gate in front of admins: an access code (header
-- x-admin-access-code) and an IP allowlist. Settings are changed inside this transaction only, so
-- the shared stack keeps its open gate.
begin;
select plan(30);

select tests.name_people('admin', 'owner', 'unconfirmed_admin');

-- The admin's account email differs in case from the list entry: matching ignores case.
insert into auth.users (id, email, email_confirmed_at) values
  (tests.id('admin'), 'Gate-Admin-' || tests.id('admin') || '@Gate.Test', now()),
  (tests.id('owner'), 'gate-owner-' || tests.id('owner') || '@gate.test', now()),
  (tests.id('unconfirmed_admin'), 'gate-unconfirmed-' || tests.id('unconfirmed_admin') || '@gate.test', null);
insert into private.admin_emails (email)
select lower(email) from auth.users where id in (tests.id('admin'), tests.id('unconfirmed_admin'));

update public.app_settings set value = 'null' where key = 'admin_access_code_hash';
update public.app_settings set value = '[]' where key = 'admin_ip_allowlist';

-- ---------------------------------------------------------------------------
-- Who is an admin
-- ---------------------------------------------------------------------------

select throws_ok($$ insert into private.admin_emails (email) values ('Mixed@Case.test') $$,
  '23514', null, 'the admin list holds lower-case emails only');

select tests.act_as('admin', '{"x-forwarded-for": "198.51.100.7"}');
select ok(private.is_admin(), 'a confirmed account whose email is listed (in any case) is an admin');
select is(public.public_settings() -> 'is_admin', 'true'::jsonb, 'public_settings tells the frontend the caller is an admin');
select tests.act_as('unconfirmed_admin', '{"x-forwarded-for": "198.51.100.7"}');
select ok(not private.is_admin(), 'a listed email that is not confirmed is not an admin');
select tests.act_as('owner', '{"x-forwarded-for": "198.51.100.7"}');
select ok(not private.is_admin(), 'an unlisted user is not an admin');
select throws_ok($$ select private.assert_admin() $$, '42501', 'admin only', 'assert_admin refuses a non-admin');
select throws_ok($$ select public.admin_list_users() $$, '42501', 'admin only', 'admin RPCs refuse a non-admin');
select throws_ok($$ select public.admin_set_access_code('owner-wants-in') $$, '42501', 'admin only',
  'a non-admin cannot set the access code');
-- A JWT claim saying otherwise changes nothing: admin is data, not a claim.
do $$
begin
  perform set_config('request.jwt.claims', jsonb_build_object('sub', tests.id('owner'), 'role', 'authenticated',
    'is_admin', true, 'app_metadata', jsonb_build_object('role', 'admin'))::text, true);
end
$$;
select ok(not private.is_admin(), 'claims a user could set do not make them an admin');

-- ---------------------------------------------------------------------------
-- The access code
-- ---------------------------------------------------------------------------

select tests.act_as('admin', '{"x-forwarded-for": "198.51.100.7"}');
select lives_ok($$ select private.assert_admin() $$, 'with no access code and no allowlist the gate is open');
select throws_ok($$ select public.admin_set_access_code('short') $$, '22023', null, 'an access code has at least 8 characters');
select throws_ok($$ select public.admin_update_setting('admin_access_code_hash', '"x"') $$, '22023', null,
  'the access code hash cannot be set as a plain setting');
select lives_ok($$ select public.admin_set_access_code('open-sesame-42') $$, 'an admin sets an access code');

reset role;
select matches((select value #>> '{}' from public.app_settings where key = 'admin_access_code_hash'), '^\$2[aby]\$',
  'the access code is stored as a bcrypt hash, never in clear');
select is(
  (select details from public.audit_logs where action = 'settings.access_code' and actor_user_id = tests.id('admin')),
  '{"required": true}'::jsonb, 'setting the access code is audited without the code');

select tests.act_as('admin', '{"x-forwarded-for": "198.51.100.7"}');
select throws_ok($$ select private.assert_admin() $$, '42501', 'admin access code or IP address not accepted',
  'without the code header an admin is refused');
select ok(not private.acting_as_admin(), 'without the code header an admin does not read across users');
select tests.act_as('admin', '{"x-forwarded-for": "198.51.100.7", "x-admin-access-code": "open-sesame-41"}');
select throws_ok($$ select private.assert_admin() $$, '42501', null, 'a wrong code is refused');
select tests.act_as('admin', '{"x-forwarded-for": "198.51.100.7", "x-admin-access-code": "open-sesame-42"}');
select lives_ok($$ select private.assert_admin() $$, 'the right code opens the gate');
select ok(private.acting_as_admin(), 'with the right code an admin reads across users');

-- ---------------------------------------------------------------------------
-- The IP allowlist (with the right code from here on)
-- ---------------------------------------------------------------------------

select lives_ok($$ select public.admin_update_setting('admin_ip_allowlist', '["10.0.0.0/8", "2001:db8::/32"]') $$,
  'an admin sets an IP allowlist');
reset role;
select is(
  (select details -> 'value' from public.audit_logs where action = 'settings.update' and actor_user_id = tests.id('admin')),
  '["10.0.0.0/8", "2001:db8::/32"]'::jsonb, 'changing a setting is audited with its new value');

select tests.act_as('admin', '{"x-forwarded-for": "198.51.100.7", "x-admin-access-code": "open-sesame-42"}');
select throws_ok($$ select private.assert_admin() $$, '42501', null, 'an address outside the allowlist is refused');
select throws_ok($$ select public.admin_start_impersonation(tests.id('owner'), 'support from outside', 30) $$,
  '42501', null, 'impersonation cannot start from outside the allowlist');
select tests.act_as('admin', '{"x-forwarded-for": "10.1.2.3, 198.51.100.7", "x-admin-access-code": "open-sesame-42"}');
select lives_ok($$ select private.assert_admin() $$, 'the client address (first x-forwarded-for entry) inside the allowlist passes');
select tests.act_as('admin', '{"x-forwarded-for": "2001:db8::1", "x-admin-access-code": "open-sesame-42"}');
select lives_ok($$ select private.assert_admin() $$, 'IPv6 ranges work too');
select tests.act_as('admin', '{"x-admin-access-code": "open-sesame-42"}');
select throws_ok($$ select private.assert_admin() $$, '42501', null, 'a request without a client address is refused');
select tests.act_as('admin', '{"x-forwarded-for": "10.1.2.3", "x-admin-access-code": "open-sesame-42"}');
select throws_ok($$ select public.admin_update_setting('no_such_setting', 'true') $$, '22023', null, 'unknown settings are refused');

-- Removing both opens the gate again.
select lives_ok($$ select public.admin_set_access_code(null), public.admin_update_setting('admin_ip_allowlist', '[]') $$,
  'an admin removes the code and the allowlist');
select tests.act_as('admin', '{"x-forwarded-for": "198.51.100.7"}');
select lives_ok($$ select private.assert_admin() $$, 'with both removed the gate is open again');

select * from finish();
rollback;
