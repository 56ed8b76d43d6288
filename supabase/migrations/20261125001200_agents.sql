-- ============================================================================
-- Agents: one per business, the Retell side of its receptionist. The row is created when a
-- deployment is requested and moves through the deployment states until it has a phone number.
-- Written only by functions (service role); the owner and admins read it.
-- ============================================================================

create table public.agents (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null unique references auth.users (id) on delete cascade,
  model text not null default 'shared' check (model in ('shared', 'dedicated')),
  deploy_status text not null default 'pending'
    check (deploy_status in ('pending', 'waiting_for_profile', 'provisioning', 'active', 'failed')),
  deploy_error_code text,
  deploy_error_detail text,
  retell_agent_id text,
  retell_agent_version integer check (retell_agent_version >= 0),
  retell_llm_id text,
  phone_number public.phone_e164 unique,
  area_code_requested text check (area_code_requested ~ '^[2-9][0-9]{2}$'),
  area_code_obtained text check (area_code_obtained ~ '^[2-9][0-9]{2}$'),
  area_codes_tried text[] not null default '{}',
  deployed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (deploy_status <> 'active' or (phone_number is not null and retell_agent_id is not null)),
  check (deploy_status <> 'failed' or deploy_error_code is not null)
);
comment on table public.agents is 'Each business''s Retell agent binding and phone number, and the state of its deployment.';
comment on column public.agents.model is 'shared: number bound to the industry''s master agent (Model A); dedicated: an agent of its own (Model B).';
comment on column public.agents.phone_number is 'The Retell number callers dial; unique, and the key of the inbound call lookup.';

create trigger agents_set_updated_at before update on public.agents
  for each row execute function private.set_updated_at();

alter table public.agents enable row level security;

create policy "Users read their own agent"
  on public.agents for select to authenticated
  using (user_id = (select private.effective_user_id()));

create policy "Admins read every agent"
  on public.agents for select to authenticated
  using ((select private.acting_as_admin()));

revoke insert, update, delete, truncate on public.agents from anon, authenticated;
