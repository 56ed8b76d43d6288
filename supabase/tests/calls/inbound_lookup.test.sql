-- The inbound lookup and usage_check answer by the one usage rule: for a business in each state,
-- what private.inbound_numbers says for calls and SMS is what usage_check says, and what
-- inbound_call_context refuses with follows from it; the failover agent is a shared business's only.
begin;
select plan(9);

select tests.name_people('open', 'full', 'overage', 'canceled', 'unsubscribed', 'dedicated');

insert into auth.users (id, email, email_confirmed_at)
select tests.id(name), 'lookup-' || name || '-' || tests.id(name) || '@lookup.test', now()
from unnest(array['open', 'full', 'overage', 'canceled', 'unsubscribed', 'dedicated']) as name;
update public.profiles set industry = 'hvac', business_name = 'Lookup ' || id
where id in (select tests.id(name) from unnest(array['open', 'full', 'overage', 'canceled', 'unsubscribed', 'dedicated']) as name);

insert into public.subscriptions (user_id, stripe_subscription_id, plan, status, current_period_start, current_period_end)
select tests.id(v.name), 'sub_lookup_' || tests.id(v.name), v.plan, v.status, now() - interval '5 days', now() + interval '25 days'
from (values ('open', 'core', 'active'), ('full', 'core', 'active'), ('overage', 'scale', 'active'),
             ('canceled', 'core', 'canceled'), ('dedicated', 'core', 'active')) as v(name, plan, status);
select private.sync_usage_limits(tests.id(name)) from unnest(array['open', 'full', 'overage', 'canceled', 'dedicated']) as name;
update public.usage_limits set call_minutes_used = call_minutes_allowance, sms_used = sms_allowance
where user_id in (tests.id('full'), tests.id('overage'));

insert into public.agents (user_id, model, deploy_status, retell_agent_id, phone_number)
select tests.id(v.name), v.model, 'active', 'agent_lookup_' || v.n, '+1555019' || lpad(v.n::text, 4, '0')
from (values ('open', 'shared', 1), ('full', 'shared', 2), ('overage', 'shared', 3), ('canceled', 'shared', 4),
             ('unsubscribed', 'shared', 5), ('dedicated', 'dedicated', 6)) as v(name, model, n);

-- usage_check's answer and the lookup's, as 'kind: reason' pairs, per business.
create function pg_temp.answers(person text) returns text[]
language sql stable
as $$
  select array['call: ' || c.reason, 'sms: ' || s.reason]
  from private.usage_check(tests.id(person), 'call') as c, private.usage_check(tests.id(person), 'sms') as s
$$;
create function pg_temp.lookup(person text) returns text[]
language sql stable
as $$
  select array['call: ' || n.call_usage, 'sms: ' || n.sms_usage]
  from private.inbound_numbers n where n.user_id = tests.id(person)
$$;

select is(pg_temp.lookup(name), pg_temp.answers(name), 'the lookup and usage_check agree for the ' || name || ' business')
from unnest(array['open', 'full', 'overage', 'canceled', 'unsubscribed']) as name;

select is(
  (select array_agg(public.inbound_call_context(a.phone_number, '+14155551234', null) ->> 'refusal_reason' order by a.phone_number)
   from public.agents a where a.user_id in (select tests.id(name) from unnest(array['open', 'full', 'overage', 'canceled', 'unsubscribed']) as name)),
  array[null, 'over_cap', null, 'subscription_inactive', 'subscription_inactive'],
  'inbound_call_context refuses by that answer: over the cap without overage, inactive or without a subscription');

select is(public.inbound_call_context('+15550199999', '+14155551234', null) ->> 'refusal_reason', 'unknown_number',
  'a number nobody has is unknown');

insert into public.master_agents (industry, retell_agent_id, fallback_agent_id, healthy, problems, unhealthy_since)
values ('hvac', 'agent_master_hvac_lookup', 'agent_fallback_hvac_lookup', false, array['agent_not_found'], now())
on conflict (industry) do update set fallback_agent_id = excluded.fallback_agent_id, healthy = false,
  problems = excluded.problems, unhealthy_since = excluded.unhealthy_since;

select is(public.inbound_call_context('+15550190001', '+14155551234', null) -> 'failover_agent',
  '{"agent_id": "agent_fallback_hvac_lookup"}'::jsonb, 'a shared business fails over while its master is unhealthy');
select is(public.inbound_call_context('+15550190006', '+14155551234', null) -> 'failover_agent', 'null'::jsonb,
  'a dedicated agent does not');

select * from finish();
rollback;
