-- record_call_event is total: a duration or timestamp that no column can hold is refused with
-- 22023 and a message naming the field (PostgREST: 400), never an overflow deep in the function, and
-- the values at the bounds are stored. The function checks the same bounds first (retell-payloads.ts).
begin;
select plan(11);

select throws_ok($$ select private.epoch_ms('1e20') $$, '22023', null, 'a timestamp of 1e20 ms is refused as out of range');
select throws_ok($$ select private.epoch_ms('1e308') $$, '22023', null, 'a timestamp of 1e308 ms is refused as out of range');
select throws_ok($$ select private.epoch_ms('-1e20') $$, '22023', null, 'a timestamp of -1e20 ms is refused as out of range');
select is(private.epoch_ms('1790000000000'), to_timestamp(1790000000), 'a timestamp of today''s kind is read as milliseconds');
select is(private.epoch_ms('"1790000000000"'), null, 'a timestamp that is not a number is no timestamp');

create function pg_temp.ended_call(call_id text, extra jsonb) returns jsonb language sql as $$
  select jsonb_build_object('call_id', call_id, 'direction', 'inbound', 'from_number', '+15015550199', 'to_number', '+15015559999',
                            'call_status', 'ended', 'start_timestamp', 1790000000000, 'end_timestamp', 1790000120000) || extra
$$;

select throws_ok($$ select public.record_call_event('call_ended', pg_temp.ended_call('call_bounds_1', '{"duration_ms": 2147483648}')) $$,
  '22023', null, 'a duration of 2^31 ms is refused, not an integer overflow');
select throws_ok($$ select public.record_call_event('call_ended', pg_temp.ended_call('call_bounds_2', '{"duration_ms": 9007199254740991}')) $$,
  '22023', null, 'a duration of 2^53-1 ms is refused, not an integer overflow');
select throws_ok($$ select public.record_call_event('call_ended', pg_temp.ended_call('call_bounds_3', '{"duration_ms": -1}')) $$,
  '22023', null, 'a negative duration is refused');
select lives_ok($$ select public.record_call_event('call_ended', pg_temp.ended_call('call_bounds_4', '{"duration_ms": 86400000}')) $$,
  'a day-long duration, the longest we take, is stored');
select lives_ok($$ select public.record_call_event('call_ended', pg_temp.ended_call('call_bounds_5', '{"end_timestamp": 4102444799000}')) $$,
  'timestamps decades apart are stored');
select is((select duration_ms from public.calls where call_id = 'call_bounds_5'), null,
  'a duration the timestamps would give beyond a day is left unknown rather than overflowing');

select * from finish();
rollback;
