-- ============================================================================
-- Safety of webhook targets (SSRF). An endpoint saved through the Data API must be https and name a
-- public host: no loopback, private, link-local (169.254.169.254), multicast or reserved address
-- literal, no localhost or internal names. SQL cannot resolve DNS, so names are resolved, and
-- every address checked again, by webhook-dispatcher right before each delivery (DNS can change)
-- and by the webhooks function when it saves an endpoint.
--
-- The column check itself also allows http: the functions (service role) save and deliver to plain
-- http://127.0.0.1 only when WEBHOOK_ALLOW_LOOPBACK_TARGETS is set, which only the local stack does.
-- ============================================================================

create function private.non_public_address(address inet)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select case when family(address) = 4 then
    address <<= any (array['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12',
                          '192.0.0.0/24', '192.0.2.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24',
                          '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4']::inet[])
  else
    address <<= any (array['::/128', '::1/128', '::ffff:0:0/96', '64:ff9b::/96', '100::/64', '2001:db8::/32',
                          'fc00::/7', 'fe80::/10', 'ff00::/8']::inet[])
  end
$$;
comment on function private.non_public_address(inet) is 'True for addresses a webhook must never reach: loopback, private, carrier-grade NAT, link-local (cloud metadata), documentation, benchmarking, multicast, reserved, unspecified, and the IPv6 equivalents (unique local, link-local, multicast, NAT64, and every IPv4-mapped address).';

create function private.webhook_url_problem(url text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  parts text[] := regexp_match(url, '^([a-zA-Z][a-zA-Z0-9+.-]*)://([^/?#]*@)?(\[[^\]/]*\]|[^/?#:@]*)(:[0-9]{1,5})?([/?#].*)?$');
  host text := lower(parts[3]);
  address inet;
begin
  if parts is null then
    return 'is not a URL';
  elsif lower(parts[1]) <> 'https' then
    return 'must use https';
  elsif parts[2] is not null then
    return 'must not carry a user name or password';
  elsif host = '' then
    return 'has no host';
  elsif host = 'localhost' or host ~ '\.(localhost|local|internal|localdomain|home\.arpa)\.?$' or host !~ '\.' and host !~ '^\[' then
    return 'must name a public host';
  elsif host ~ '^[0-9.]+$' or host ~ '^0x' or host ~ '^\[' then
    -- An address literal; numeric forms other than dotted quads (2130706433, 0x7f.1) are refused outright.
    begin
      address := trim(both '[]' from host)::inet;
    exception when invalid_text_representation then
      return 'has an address that is not a plain IPv4 or IPv6 literal';
    end;
    if host !~ '^\[' and host !~ '^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$' then
      return 'has an address that is not a plain IPv4 or IPv6 literal';
    elsif private.non_public_address(address) then
      return 'points at a private, loopback, link-local or reserved address';
    end if;
  end if;
  return null;
end
$$;
comment on function private.webhook_url_problem(text) is 'Why a URL may not be a webhook endpoint saved through the Data API (not https, credentials, no public host, a non-public address literal), or null when it may. Names are resolved and checked at delivery.';

create function private.refuse_unsafe_webhook_url()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  problem text := private.webhook_url_problem(new.url);
begin
  -- Owners and admins write through the Data API as authenticated (the request's role, which a
  -- security definer function does not change); the functions (service role) check targets
  -- themselves, with DNS and the loopback setting.
  -- A missing url is left to its not-null constraint.
  if current_setting('role', true) in ('anon', 'authenticated') and problem is not null and new.url is not null then
    raise exception 'webhook url %', problem using errcode = '23514';
  end if;
  return new;
end
$$;
comment on function private.refuse_unsafe_webhook_url() is 'Trigger: refuses a webhook endpoint saved through the Data API whose URL private.webhook_url_problem() refuses (check_violation).';

create trigger webhook_configs_refuse_unsafe_url before insert or update of url on public.webhook_configs
  for each row execute function private.refuse_unsafe_webhook_url();

alter table public.webhook_configs drop constraint webhook_configs_url_check;
alter table public.webhook_configs add constraint webhook_configs_url_check
  check (url ~ '^https?://[^\s/$.?#].[^\s]*$' and length(url) <= 2000);

revoke execute on function
  private.non_public_address(inet), private.webhook_url_problem(text), private.refuse_unsafe_webhook_url()
from public, anon, authenticated;
