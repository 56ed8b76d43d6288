-- Same objects and signatures as pg_net; the local stack's worker sends the queued requests.
create schema if not exists net;

create unlogged table net.http_request_queue (
  id bigserial primary key,
  method text not null check (method in ('GET', 'POST', 'DELETE')),
  url text not null,
  headers jsonb not null default '{}',
  body bytea,
  timeout_milliseconds integer not null default 5000
);

create unlogged table net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out boolean,
  error_msg text,
  created timestamptz not null default now()
);
create index on net._http_response (created);

create function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds integer default 5000
) returns bigint
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  request_id bigint;
  query text := (select string_agg(format('%s=%s', key, value), '&') from jsonb_each_text(params));
begin
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values (
    'POST',
    case when query is null then url else url || case when url like '%?%' then '&' else '?' end || query end,
    headers,
    convert_to(body::text, 'UTF8'),
    timeout_milliseconds
  )
  returning id into request_id;
  perform pg_notify('pg_net_local', request_id::text);
  return request_id;
end
$$;

create function net.http_get(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds integer default 5000
) returns bigint
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  request_id bigint;
  query text := (select string_agg(format('%s=%s', key, value), '&') from jsonb_each_text(params));
begin
  insert into net.http_request_queue (method, url, headers, timeout_milliseconds)
  values ('GET', case when query is null then url else url || '?' || query end, headers, timeout_milliseconds)
  returning id into request_id;
  perform pg_notify('pg_net_local', request_id::text);
  return request_id;
end
$$;

-- Hosted's grants (supabase/postgres, extensions.grant_pg_net_access): the API roles may queue
-- requests through the two functions; postgres may also read the queue and the answers.
grant usage on schema net to postgres, anon, authenticated, service_role;
revoke all on function net.http_get(text, jsonb, jsonb, integer), net.http_post(text, jsonb, jsonb, jsonb, integer) from public;
grant execute on function net.http_get(text, jsonb, jsonb, integer), net.http_post(text, jsonb, jsonb, jsonb, integer)
  to postgres, anon, authenticated, service_role;
grant select on net.http_request_queue, net._http_response to postgres;
