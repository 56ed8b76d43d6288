-- The admin IP allowlist must read an address the client cannot choose. The first hop in front of
-- PostgREST sets these headers: on hosted Supabase, Cloudflare's cf-connecting-ip; locally, the
-- gateway's x-real-ip. x-forwarded-for's first entry is what the client claims, so it comes last.
create or replace function private.client_ip()
returns inet
language sql
stable
set search_path = ''
as $$
  select coalesce(
    nullif(trim(private.request_header('cf-connecting-ip')), ''),
    nullif(trim(private.request_header('x-real-ip')), ''),
    nullif(trim(split_part(private.request_header('x-forwarded-for'), ',', 1)), '')
  )::inet
$$;
comment on function private.client_ip() is 'The client''s address as the first trusted hop reports it (cf-connecting-ip, x-real-ip, then x-forwarded-for).';
