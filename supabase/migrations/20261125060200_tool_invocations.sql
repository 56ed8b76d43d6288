-- ============================================================================
-- Tool calls the voice agent makes during a call (check availability, book an appointment).
-- Retell may retry a tool call; each (call, tool, arguments) runs once and its first result is
-- replayed to every retry. Written by the retell-tools function (service role); admins read.
-- ============================================================================

create table public.tool_invocations (
  call_id text not null,
  tool_name text not null check (tool_name ~ '^[A-Za-z0-9_-]{1,64}$'),
  args_hash text not null check (args_hash ~ '^[0-9a-f]{64}$'),
  args jsonb not null,
  user_id uuid references auth.users (id) on delete cascade,
  result jsonb,
  attempts integer not null default 1 check (attempts > 0),
  claimed_at timestamptz not null default now(),
  completed_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (call_id, tool_name, args_hash),
  check ((result is null) = (completed_at is null))
);
comment on table public.tool_invocations is 'One row per distinct tool call of a call (same tool, same arguments): who runs it, and the result every retry gets.';
comment on column public.tool_invocations.args_hash is 'SHA-256 (hex) of the arguments as jsonb text, which orders keys the same way whatever order they were sent in.';
comment on column public.tool_invocations.claimed_at is 'When a request last took the call over to run it; another request may take over once the claim is stale.';
create index tool_invocations_user_id_idx on public.tool_invocations (user_id, created_at desc);

alter table public.tool_invocations enable row level security;
create policy "Admins read tool invocations" on public.tool_invocations for select to authenticated
  using ((select private.acting_as_admin()));
revoke insert, update, delete, truncate on public.tool_invocations from anon, authenticated;

-- ---------------------------------------------------------------------------
-- Claim, then complete
-- ---------------------------------------------------------------------------

create function public.claim_tool_invocation(call_id text, tool_name text, args jsonb, business_number text default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  hash text := encode(sha256(convert_to(claim_tool_invocation.args::text, 'UTF8')), 'hex');
  owner uuid;
  business_time_zone text;
  claimed boolean;
  stored public.tool_invocations;
begin
  select c.user_id into owner from public.calls c where c.call_id = claim_tool_invocation.call_id;
  if owner is null then
    select a.user_id into owner from public.agents a where a.phone_number = claim_tool_invocation.business_number;
  end if;
  select p.time_zone into business_time_zone from public.profiles p where p.id = owner;

  -- A request that died mid-run leaves a stale claim; a retry after 15 seconds takes it over.
  insert into public.tool_invocations as t (call_id, tool_name, args_hash, args, user_id)
  values (claim_tool_invocation.call_id, claim_tool_invocation.tool_name, hash, claim_tool_invocation.args, owner)
  on conflict on constraint tool_invocations_pkey do update
    set attempts = t.attempts + 1, claimed_at = now()
    where t.result is null and t.claimed_at < now() - interval '15 seconds'
  returning true into claimed;

  if coalesce(claimed, false) then
    return jsonb_build_object('state', 'claimed', 'args_hash', hash, 'user_id', owner,
                              'time_zone', coalesce(business_time_zone, 'America/New_York'));
  end if;
  select * into stored from public.tool_invocations t
  where t.call_id = claim_tool_invocation.call_id and t.tool_name = claim_tool_invocation.tool_name and t.args_hash = hash;
  return jsonb_build_object('state', case when stored.result is null then 'running' else 'done' end,
                            'args_hash', hash, 'user_id', owner, 'result', stored.result);
end
$$;
comment on function public.claim_tool_invocation(text, text, jsonb, text) is 'Before running a tool: state claimed (run it; with the business''s user_id and time_zone), done (replay result) or running (another request is on it).';

create function public.complete_tool_invocation(call_id text, tool_name text, args_hash text, result jsonb)
returns jsonb
language sql
security definer
set search_path = ''
as $$
  with completed as (
    update public.tool_invocations t
    set result = complete_tool_invocation.result, completed_at = now()
    where t.call_id = complete_tool_invocation.call_id and t.tool_name = complete_tool_invocation.tool_name
      and t.args_hash = complete_tool_invocation.args_hash and t.result is null
    returning t.result
  )
  select coalesce(
    (select c.result from completed c),
    (select t.result from public.tool_invocations t
     where t.call_id = complete_tool_invocation.call_id and t.tool_name = complete_tool_invocation.tool_name
       and t.args_hash = complete_tool_invocation.args_hash)
  )
$$;
comment on function public.complete_tool_invocation(text, text, text, jsonb) is 'Stores a tool''s result unless one is stored already, and returns the stored one: the first result wins.';

revoke execute on function
  public.claim_tool_invocation(text, text, jsonb, text), public.complete_tool_invocation(text, text, text, jsonb)
from public, anon, authenticated;
grant execute on function
  public.claim_tool_invocation(text, text, jsonb, text), public.complete_tool_invocation(text, text, text, jsonb)
to service_role;
