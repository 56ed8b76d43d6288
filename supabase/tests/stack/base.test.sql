-- The Supabase-compatible base the migrations rely on behaves as on hosted Supabase.
begin;
select plan(8);

select has_extension('pg_cron', 'pg_cron is installed');
select has_function('net', 'http_post', array['text', 'jsonb', 'jsonb', 'jsonb', 'integer'], 'net.http_post has pg_net''s signature');
select has_role('anon');
select has_role('service_role');

set local request.jwt.claims = '{"sub": "00000000-0000-0000-0000-000000000001", "role": "authenticated", "email": "a@example.com"}';
select is(auth.uid(), '00000000-0000-0000-0000-000000000001'::uuid, 'auth.uid() reads the sub claim');
select is(auth.role(), 'authenticated', 'auth.role() reads the role claim');
select is(auth.jwt() ->> 'email', 'a@example.com', 'auth.jwt() returns the claims');

select ok(net.http_post('http://127.0.0.1:1/never', '{}'::jsonb) > 0, 'net.http_post queues a request and returns its id');

select * from finish();
rollback;
