-- A row never points at another business's row: every foreign key between two owner tables (both
-- have user_id) refuses a reference to a row of another owner, whoever writes it (clients, functions,
-- SQL), and accepts the owner's own row. The keys are read from the catalog and each one is tried;
-- a table without a fixture below fails too, so a new foreign key cannot go untested.
begin;

create temporary table owner_references on commit drop as
select c.conname as constraint_name, child.relname as child, a.attname as child_column,
       parent.relname as parent, pa.attname as parent_column,
       (select ka.attname from pg_catalog.pg_index i join pg_catalog.pg_attribute ka on ka.attrelid = i.indrelid and ka.attnum = i.indkey[0]
        where i.indrelid = child.oid and i.indisprimary) as child_key
from pg_catalog.pg_constraint c
join pg_catalog.pg_class child on child.oid = c.conrelid
join pg_catalog.pg_class parent on parent.oid = c.confrelid
join pg_catalog.pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
join pg_catalog.pg_attribute pa on pa.attrelid = c.confrelid and pa.attnum = c.confkey[1]
where c.contype = 'f' and c.connamespace = 'public'::regnamespace and parent.relnamespace = 'public'::regnamespace
  and exists (select 1 from pg_catalog.pg_attribute u where u.attrelid = child.oid and u.attname = 'user_id' and not u.attisdropped)
  and exists (select 1 from pg_catalog.pg_attribute u where u.attrelid = parent.oid and u.attname = 'user_id' and not u.attisdropped);

select plan(2 + 2 * (select count(*)::integer from owner_references));

select tests.name_people('mine', 'theirs');
insert into auth.users (id, email, email_confirmed_at)
select tests.id(p), p || '-' || tests.id(p) || '@references.test', now() from unnest(array['mine', 'theirs']) as p;

-- A row of `tbl` owned by `owner` (with its own references pointing at rows of the same owner), as
-- the functions would write it; returns its primary key as text. Null for a table it cannot make.
create function pg_temp.owner_row(tbl text, owner uuid) returns text
language plpgsql as $$
declare
  key text;
  tag text := replace(gen_random_uuid()::text, '-', '');
begin
  case tbl
    when 'calls' then
      insert into public.calls (call_id, user_id) values ('call_refs_' || tag, owner) returning call_id into key;
    when 'customers' then
      insert into public.customers (user_id, phone) values (owner, '+1303' || lpad((random() * 9999999)::int::text, 7, '0')) returning id into key;
    when 'sms_conversations' then
      insert into public.sms_conversations (user_id, customer_phone, business_number)
      values (owner, '+1720' || lpad((random() * 9999999)::int::text, 7, '0'), '+17205550100') returning id into key;
    when 'webhook_configs' then
      -- Inactive, so events made for the other fixtures are not fanned out to it.
      insert into public.webhook_configs (user_id, url, active) values (owner, 'https://hooks.example.com/' || tag, false) returning id into key;
    when 'webhook_queue' then
      insert into public.webhook_queue (user_id, event_type, dedupe_key, payload)
      values (owner, 'call_ended', 'refs:' || tag, '{}') returning id into key;
    when 'appointments' then
      insert into public.appointments (user_id, customer_name, start_at, end_at)
      values (owner, 'Refs', now() + interval '1 day', now() + interval '1 day 1 hour') returning id into key;
    when 'tracking_sessions' then
      insert into public.tracking_sessions (user_id) values (owner) returning id into key;
    when 'call_recordings' then
      insert into public.call_recordings (call_id, user_id) values (pg_temp.owner_row('calls', owner), owner) returning id into key;
    when 'call_text_backs' then
      insert into public.call_text_backs (user_id, call_id, customer_phone, local_day, reason, message_id)
      values (owner, pg_temp.owner_row('calls', owner), '+1303' || lpad((random() * 9999999)::int::text, 7, '0'), current_date, 'voicemail',
              pg_temp.owner_row('sms_messages', owner)::uuid)
      returning id into key;
    when 'leads' then
      insert into public.leads (user_id) values (owner) returning id into key;
    when 'sms_messages' then
      insert into public.sms_messages (conversation_id, user_id, direction, body, from_number, to_number, provider)
      values (pg_temp.owner_row('sms_conversations', owner)::uuid, owner, 'inbound', 'hi', '+13035550100', '+17205550100', 'twilio')
      returning id into key;
    when 'sms_consents' then
      insert into public.sms_consents (user_id, business_number, customer_phone)
      values (owner, '+1720' || lpad((random() * 9999999)::int::text, 7, '0'), '+13035550100') returning id into key;
    when 'sms_consent_events' then
      insert into public.sms_consent_events (consent_id, user_id, opted_out, source, message_id)
      values (pg_temp.owner_row('sms_consents', owner)::uuid, owner, true, 'keyword', pg_temp.owner_row('sms_messages', owner)::uuid)
      returning id into key;
    when 'webhook_endpoint_deliveries' then
      insert into public.webhook_endpoint_deliveries (event_id, webhook_config_id, user_id)
      values (pg_temp.owner_row('webhook_queue', owner)::bigint, pg_temp.owner_row('webhook_configs', owner)::uuid, owner)
      returning id into key;
    when 'webhook_deliveries' then
      insert into public.webhook_deliveries (queue_id, delivery_id, user_id, attempt)
      values (pg_temp.owner_row('webhook_queue', owner)::bigint, pg_temp.owner_row('webhook_endpoint_deliveries', owner)::bigint, owner, 1)
      returning id into key;
    when 'tracking_points' then
      insert into public.tracking_points (session_id, user_id, latitude, longitude)
      values (pg_temp.owner_row('tracking_sessions', owner)::uuid, owner, 39.7, -104.9) returning id into key;
    else
      key := null;
  end case;
  return key;
end
$$;

select cmp_ok((select count(*) from owner_references), '>=', 9::bigint,
  'the catalog query finds the foreign keys between owner tables');

select is_empty(
  $$ select child from owner_references where pg_temp.owner_row(child, tests.id('mine')) is null
     union select parent from owner_references where pg_temp.owner_row(parent, tests.id('mine')) is null $$,
  'every table joined by such a foreign key has a fixture here'
);

-- For each key: pointing the owner's row at another owner's row is refused; at their own, accepted.
create function pg_temp.repoint(r owner_references, target_owner uuid) returns text
language plpgsql as $$
begin
  execute format('update public.%I set %I = %L where %I = %L', r.child, r.child_column,
                 pg_temp.owner_row(r.parent, target_owner), r.child_key, pg_temp.owner_row(r.child, tests.id('mine')));
  return 'accepted';
exception when foreign_key_violation then
  return 'refused';
end
$$;

select is(pg_temp.repoint(r, tests.id('theirs')), 'refused',
          format('%s.%s refuses a row of another business', r.child, r.child_column))
from owner_references r order by r.constraint_name;

select is(pg_temp.repoint(r, tests.id('mine')), 'accepted',
          format('%s.%s accepts a row of the same business', r.child, r.child_column))
from owner_references r order by r.constraint_name;

select * from finish();
rollback;
