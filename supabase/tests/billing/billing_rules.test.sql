-- The unbilled-call rules are data: every signed-in owner reads them, only admins change them,
-- through admin_update_billing_rule(), audited with before and after; anon reads nothing.
begin;
select plan(8);

select tests.name_people('owner', 'admin');
insert into auth.users (id, email, email_confirmed_at)
select tests.id(name), 'billing-rules-' || name || '-' || tests.id(name) || '@rules.test', now()
from unnest(array['owner', 'admin']) as name;
insert into private.admin_emails (email) select lower(email) from auth.users where id = tests.id('admin');

select tests.act_as('owner');
select results_eq(
  $$ select rule from public.billing_rules order by rule $$,
  array['empty_call', 'robocall', 'short_call', 'spam_credit', 'unusual_credit'],
  'an owner reads every rule'
);
select throws_ok(
  $$ select public.admin_update_billing_rule('empty_call', 20) $$,
  '42501', null, 'an owner cannot change a rule'
);
select throws_ok(
  $$ update public.billing_rules set threshold = 0 where rule = 'empty_call' $$,
  '42501', null, 'nor update the table directly'
);

select tests.act_as('admin');
select is(
  (select threshold from public.admin_update_billing_rule('empty_call', 15)),
  15::numeric, 'an admin changes a threshold'
);
select is(
  (select within from public.admin_update_billing_rule('spam_credit', null, interval '14 days')),
  interval '14 days', 'and a window, keeping the rest'
);
select throws_ok(
  $$ select public.admin_update_billing_rule('no_such_rule', 1) $$,
  'PT404', null, 'an unknown rule is not found'
);
select throws_ok(
  $$ select public.admin_update_billing_rule('unusual_credit', 2) $$,
  '22023', null, 'a share above 1 is refused'
);
reset role;
select is(
  (select count(*)::integer from public.audit_logs
   where action = 'billing_rules.update' and actor_user_id = tests.id('admin')
     and details -> 'before' ->> 'threshold' = '10' and details -> 'after' ->> 'threshold' = '15'),
  1, 'each change is audited with before and after'
);

select * from finish();
rollback;
