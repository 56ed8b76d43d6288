-- The SMS SQL on its own: keywords and the revocation classifier, segments, the shared inbound
-- path with the consent ledger (both providers), and the owner's send: opt-out, sender, quiet
-- hours, the allowance in segments, idempotency, a provider failure giving the charge back, 21610.
begin;
select plan(80);

-- ---------------------------------------------------------------------------
-- Keywords: whole message, any case; revocations in other words; nothing about appointments
-- ---------------------------------------------------------------------------

select is(private.sms_keyword(k), 'opt_out', k || ' opts out')
from unnest(array['STOP', 'stop', ' Stopall ', 'UNSUBSCRIBE', 'cancel', 'End', 'QUIT', 'revoke', 'OptOut']) k;
select is(private.sms_keyword(k), 'opt_in', k || ' opts in') from unnest(array['START', 'yes', 'Unstop']) k;
select is(private.sms_keyword(k), 'help', k || ' asks for help') from unnest(array['HELP', 'info']) k;
select is(private.sms_keyword('Reschedule'), 'reschedule', 'RESCHEDULE asks for the next appointment');
select is(private.sms_keyword(k), 'revocation', quote_literal(k) || ' revokes consent')
from unnest(array['please stop texting me', 'Stop!', 'Don’t text me again', 'unsubscribe me please', 'opt me out',
                  'remove me from your list', 'no more texts', 'STOP SENDING ME MESSAGES']) k;
select is(private.sms_keyword(k), null, quote_literal(k) || ' is an ordinary message')
from unnest(array['cancel my appointment', 'can you stop by at noon?', 'the tap will not stop dripping', 'yes please come at 3', 'hello']) k;

-- ---------------------------------------------------------------------------
-- Segments: GSM-7 160/153, extension characters count twice, UCS-2 70/67
-- ---------------------------------------------------------------------------

select is(array[private.sms_segments(repeat('a', 160)), private.sms_segments(repeat('a', 161)), private.sms_segments(repeat('a', 306)),
                private.sms_segments(repeat('a', 307)), private.sms_segments(repeat('€', 80)), private.sms_segments(repeat('€', 81))],
          array[1, 2, 2, 3, 1, 2], 'GSM-7 text: 160 characters in one segment, 153 per part, extension characters take two');
select is(array[private.sms_segments(repeat('ж', 70)), private.sms_segments(repeat('ж', 71)), private.sms_segments(repeat('ж', 134)),
                private.sms_segments(repeat('ж', 135)), private.sms_segments(repeat('😀', 35)), private.sms_segments(repeat('😀', 36))],
          array[1, 2, 2, 3, 1, 2], 'UCS-2 text: 70 units in one segment, 67 per part, an emoji takes two units');

-- ---------------------------------------------------------------------------
-- A business with a number and an allowance of 3 segments
-- ---------------------------------------------------------------------------

select tests.name_people('owner', 'other');
insert into auth.users (id, email, email_confirmed_at)
values (tests.id('owner'), 'sms-pgtap@sms.test', now()), (tests.id('other'), 'sms-pgtap-other@sms.test', now());
update public.profiles set business_name = 'PgTAP Plumbing', time_zone = 'America/New_York' where id = tests.id('owner');
insert into public.subscriptions (user_id, plan, status) values (tests.id('owner'), 'pro', 'active');
insert into public.usage_limits (user_id, period_start, period_end, call_minutes_allowance, sms_allowance)
values (tests.id('owner'), now() - interval '1 day', now() + interval '29 days', 100, 3);
insert into public.agents (user_id, deploy_status, retell_agent_id, phone_number)
values (tests.id('owner'), 'active', 'agent_master_plumbing', '+15015550301');

create temporary table inbound (name text, answer jsonb) on commit drop;
grant all on inbound to authenticated, service_role;
create function pg_temp.text_in(name text, sid text, body text, from_number text default '+15015550302') returns jsonb
language sql as $$
  insert into inbound select name, public.twilio_sms_inbound(sid, '+15015550301', from_number, body) returning answer
$$;

-- ---------------------------------------------------------------------------
-- Inbound: stored once per MessageSid; STOP, START, a phrase; HELP; the Retell path shares it
-- ---------------------------------------------------------------------------

select pg_temp.text_in('hello', 'SM' || repeat('a', 32), 'Hi, is anyone there?');
select pg_temp.text_in('hello again', 'SM' || repeat('a', 32), 'Hi, is anyone there?');
select is((select count(*)::int from public.sms_messages where user_id = tests.id('owner')), 1, 'a redelivered MessageSid is stored once');
select is((select answer ->> 'duplicate' from inbound where name = 'hello again'), 'true', 'and is answered as a duplicate');
select is((select count(*)::int from public.webhook_queue where user_id = tests.id('owner') and event_type = 'sms_received'), 1,
          'one sms_received event per message');
select is((select total_calls from public.customers where user_id = tests.id('owner') and phone = '+15015550302'), 0,
          'the texting customer is a customer of the business');

select pg_temp.text_in('help', 'SM' || repeat('b', 32), 'help');
select matches((select answer ->> 'reply' from inbound where name = 'help'), '^PgTAP Plumbing: .*Reply STOP to opt out\.$',
               'HELP is answered with the business''s name and how to opt out');

select pg_temp.text_in('stop', 'SM' || repeat('c', 32), 'STOP');
select is((select answer -> 'reply' from inbound where name = 'stop'), 'null'::jsonb, 'no reply of ours to STOP (Twilio sends its own)');
select ok(private.sms_opted_out('+15015550301', '+15015550302'), 'STOP opts the customer out of the business''s number');
select isnt((select sms_opted_out_at from public.customers where user_id = tests.id('owner') and phone = '+15015550302'), null,
            'and the customer shows it');

select pg_temp.text_in('start', 'SM' || repeat('d', 32), 'start');
select ok(not private.sms_opted_out('+15015550301', '+15015550302'), 'START opts back in');

select pg_temp.text_in('phrase', 'SM' || repeat('e', 32), 'please stop texting me');
select ok(private.sms_opted_out('+15015550301', '+15015550302'), '"please stop texting me" opts out');
select matches((select answer ->> 'reply' from inbound where name = 'phrase'), 'Reply START',
               'and is confirmed once, since Twilio does not know it was a revocation');
select is((select array_agg(source || ':' || opted_out order by id) from public.sms_consent_events where user_id = tests.id('owner')),
          array['keyword:true', 'keyword:false', 'phrase:true'], 'the ledger keeps every change and its cause');

select is((public.inbound_sms_context('+15015550301', '+15015550303', 'chat_pgtap_1', 'STOP')) ->> 'keyword', 'opt_out',
          'Retell''s chat_inbound goes through the same keywords');
select ok(private.sms_opted_out('+15015550301', '+15015550303'), 'and the same consent ledger');

select throws_ok($$ select public.twilio_sms_inbound('SM' || repeat('f', 32), '+15015550399', '+15015550302', 'hi') $$,
                 'PT404', null, 'a text to a number no business has is not found');
select throws_ok($$ select public.twilio_sms_inbound('not-a-sid', '+15015550301', '+15015550302', 'hi') $$,
                 '22023', null, 'a malformed MessageSid is bad input');

-- ---------------------------------------------------------------------------
-- Sending, as the owner
-- ---------------------------------------------------------------------------

create function pg_temp.send(to_number text, body text, key text) returns jsonb
language sql as $$ select public.queue_owner_sms(to_number, body, key) $$;
grant execute on function pg_temp.send(text, text, text) to authenticated;

select tests.act_as('owner');
select is(pg_temp.send('+15015550302', 'Your quote is ready', 'k-opted-out') ->> 'refusal', 'recipient_opted_out',
          'no text to a customer who opted out');
select is(pg_temp.send('12345', 'Hello', 'k-bad') ->> 'refusal', 'invalid_recipient', 'a recipient must be E.164');
select is(pg_temp.send('+15015550301', 'Hello', 'k-self') ->> 'refusal', 'invalid_recipient', 'a business does not text its own number');
reset role;

-- The customer texted a moment ago, so the owner's texts are replies and quiet hours do not apply.
select pg_temp.text_in('new customer', 'SM' || repeat('0', 32), 'Can you come today?', '+15015550304');
select tests.act_as('owner');
create temporary table sent on commit drop as select pg_temp.send('+15015550304', 'Yes, at 3 pm', 'k-1') as answer;
select is((select answer ->> 'send' from sent), 'true', 'the first call records the message and sends it');
select is((select answer #>> '{message,from}' from sent), '+15015550301', 'from the business''s own number');
select is(pg_temp.send('+15015550304', 'Yes, at 3 pm', 'k-1') ->> 'send', 'false', 'the same key again sends nothing');
select throws_ok($$ select pg_temp.send('+15015550304', 'Something else', 'k-1') $$, 'PT409', null,
                 'the same key with another text is refused');
reset role;
select is((select count(*)::int from public.usage_sms where user_id = tests.id('owner')), 1, 'and is charged once');
select is((select sms_used from public.usage_limits where user_id = tests.id('owner')), 1, 'one segment used');

select tests.act_as('owner');
select is(pg_temp.send('+15015550304', repeat('a', 161), 'k-2') #>> '{message,segments}', '2', 'a 161-character text is charged 2 segments');
select is(pg_temp.send('+15015550304', 'One more', 'k-3') ->> 'refusal', 'sms_cap_reached', 'at the cap the send is refused');
reset role;
update public.usage_limits set topup_sms = 5 where user_id = tests.id('owner');
select tests.act_as('owner');
select is(pg_temp.send('+15015550304', 'One more', 'k-3') ->> 'send', 'true', 'a top-up restores sending');
reset role;
select is((select topup_sms from public.usage_limits where user_id = tests.id('owner')), 4, 'paid from the top-up');

-- The provider refused the last one: failed, the segment given back.
select is(public.finish_sms_send(((select answer from sent) #>> '{message,id}')::uuid, 'SM' || repeat('1', 32), null) ->> 'status', 'sent',
          'a provider id marks the message sent');
select is(public.finish_sms_send((select id from public.sms_messages where idempotency_key = 'k-3'), null, '30003') ->> 'status', 'failed',
          'a provider error marks it failed');
select is((select topup_sms from public.usage_limits where user_id = tests.id('owner')), 5, 'and gives the charge back');
select is((select count(*)::int from public.usage_sms where message_id = (select id::text from public.sms_messages where idempotency_key = 'k-3')), 0,
          'the usage row goes too');
select is(public.finish_sms_send((select id from public.sms_messages where idempotency_key = 'k-3'), 'SM' || repeat('2', 32), null) ->> 'status', 'failed',
          'a late answer changes nothing');

-- 21610: Twilio knows of an opt-out we never saw.
select tests.act_as('owner');
select is(pg_temp.send('+15015550304', 'Are you there?', 'k-4') ->> 'send', 'true', 'a send to the customer');
reset role;
select public.finish_sms_send((select id from public.sms_messages where idempotency_key = 'k-4'), null, '21610');
select ok(private.sms_opted_out('+15015550301', '+15015550304'), '21610 from the provider opts the customer out in the ledger');
select is((select provider_error from public.sms_consent_events e join public.sms_consents c on c.id = e.consent_id
           where c.customer_phone = '+15015550304'), '21610', 'with the provider error as its cause');

-- Quiet hours apply to texts that are not replies.
select ok(private.sms_quiet_hours('America/New_York', '2026-12-01 02:30:00+00'), '9:30 pm in New York is quiet');
select ok(not private.sms_quiet_hours('America/New_York', '2026-12-01 14:00:00+00'), '9 am in New York is not');

-- Someone else's business has no number to send from, and reads nothing of this one.
select tests.act_as('other');
select is(pg_temp.send('+15015550304', 'Hello', 'k-other') ->> 'refusal', 'no_sms_sender', 'a business without a number cannot send');
select is((select count(*)::int from public.sms_consents), 0, 'and reads no other business''s consent ledger');

reset role;

-- A status callback that comes before send-sms has recorded the sid waits for it.
select pg_temp.text_in('pending customer', 'SM' || repeat('9', 32), 'Hi', '+15015550305');
select tests.act_as('owner');
select is(pg_temp.send('+15015550305', 'Early callback', 'k-5') ->> 'send', 'true', 'a send whose callback comes first');
reset role;
select is(public.twilio_sms_status('SM' || repeat('8', 32), 'delivered', null) ->> 'pending', 'true', 'a callback before its sid is known waits');
select is(public.finish_sms_send((select id from public.sms_messages where idempotency_key = 'k-5'), 'SM' || repeat('8', 32), null) ->> 'status',
          'delivered', 'and applies when send-sms records the sid');
select is(public.twilio_sms_status('SM' || repeat('8', 32), 'sent', null) ->> 'status', 'delivered', 'a late sent does not move it back');
select is(public.twilio_sms_status('SM' || repeat('8', 32), 'sending', null) ->> 'applied', 'false', 'statuses we do not record are ignored');

-- The inbox: last message, unread count, opt-out; opening a conversation reads it. In one
-- transaction every row has the same now(), so the owner's reply is dated a moment later.
update public.sms_messages set created_at = now() + interval '1 second' where idempotency_key = 'k-5';
select tests.act_as('owner');
select is((select (unread_count, last_message_body, opted_out)::text from public.sms_conversation_summaries where customer_phone = '+15015550305'),
          '(1,"Early callback",f)', 'the inbox shows the last message, one unread text and the consent state');
select public.mark_sms_conversation_read((select id from public.sms_conversations where customer_phone = '+15015550305'));
select is((select unread_count from public.sms_conversation_summaries where customer_phone = '+15015550305'), 0,
          'opening the conversation reads it');
reset role;
select set_config('test.conversation', (select id::text from public.sms_conversations where customer_phone = '+15015550305'), true);
select tests.act_as('other');
select is((select count(*)::integer from public.sms_conversation_summaries), 0, 'another business sees none of it');
select throws_ok($$ select public.mark_sms_conversation_read(current_setting('test.conversation')::uuid) $$,
                 'PT404', null, 'nor marks it read');
reset role;

select * from finish();
rollback;
