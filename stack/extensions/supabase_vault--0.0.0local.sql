-- Same interface as Supabase Vault (vault.create_secret, vault.update_secret, vault.decrypted_secrets).
-- Locally the secret is kept in clear text: the local stack holds only local-only values.
create table vault.secrets (
  id uuid primary key default gen_random_uuid(),
  name text unique,
  description text not null default '',
  secret text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create view vault.decrypted_secrets as
  select id, name, description, secret, secret as decrypted_secret, created_at, updated_at
  from vault.secrets;

create function vault.create_secret(new_secret text, new_name text default null, new_description text default '')
returns uuid language sql security definer set search_path = ''
as $$
  insert into vault.secrets (secret, name, description) values (new_secret, new_name, new_description) returning id
$$;

create function vault.update_secret(secret_id uuid, new_secret text default null, new_name text default null, new_description text default null)
returns void language sql security definer set search_path = ''
as $$
  update vault.secrets
  set secret = coalesce(new_secret, secret),
      name = coalesce(new_name, name),
      description = coalesce(new_description, description),
      updated_at = now()
  where id = secret_id
$$;

-- Hosted's grants: postgres (migrations, the SQL editor, security definer functions) reads and
-- manages secrets; the API roles get nothing.
revoke all on schema vault from public;
revoke all on function vault.create_secret(text, text, text), vault.update_secret(uuid, text, text, text) from public;
grant usage on schema vault to postgres with grant option;
grant select, delete on vault.secrets, vault.decrypted_secrets to postgres with grant option;
grant execute on function vault.create_secret(text, text, text), vault.update_secret(uuid, text, text, text) to postgres with grant option;
