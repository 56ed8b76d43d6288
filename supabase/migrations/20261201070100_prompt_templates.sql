-- ============================================================================
-- Prompt templates as data, and their sync to each industry's master Retell LLM.
--
-- Admins save a new version of an industry's template (prompt, begin message, tools, the dynamic
-- variables it reads) through admin_save_prompt_template(), audited; the newest version is the
-- current one. The retell-template-sync function pushes the current template to the master's
-- Retell LLM as a new draft when its content hash differs from what was last pushed, and reports
-- drift (the pushed draft edited at Retell) with an ops alert instead of overwriting it. What was
-- pushed is kept on master_agents.
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Templates
-- ---------------------------------------------------------------------------

create table public.prompt_templates (
  id uuid primary key default gen_random_uuid(),
  industry text not null check (industry in ('hvac', 'plumbing')),
  version integer not null check (version >= 1),
  general_prompt text not null check (length(general_prompt) between 1 and 100000),
  begin_message text check (length(begin_message) <= 5000),
  general_tools jsonb not null default '[]'::jsonb check (jsonb_typeof(general_tools) = 'array' and pg_column_size(general_tools) <= 200000),
  dynamic_variables text[] not null default '{}' check (cardinality(dynamic_variables) <= 100),
  created_at timestamptz not null default now(),
  unique (industry, version)
);
comment on table public.prompt_templates is 'Versioned prompt templates of the master agents, per industry; the highest version is current and is what retell-template-sync pushes to the master''s Retell LLM. Never changed once saved.';
comment on column public.prompt_templates.general_tools is 'The Retell LLM''s general_tools, as Retell takes them (custom tools must call our functions: master-agent-health checks).';
comment on column public.prompt_templates.dynamic_variables is 'The dynamic variables the prompt reads ({{business_name}}...), all of which retell-inbound must answer.';

alter table public.prompt_templates enable row level security;
revoke all on public.prompt_templates from anon, authenticated, service_role;
grant select on public.prompt_templates to authenticated;

create policy "Admins read prompt templates" on public.prompt_templates
  for select to authenticated using ((select private.acting_as_admin()));

create function public.admin_save_prompt_template(
  industry text,
  general_prompt text,
  begin_message text default null,
  general_tools jsonb default '[]'::jsonb,
  dynamic_variables text[] default '{}'
)
returns public.prompt_templates
language plpgsql
security definer
set search_path = ''
as $$
declare
  saved public.prompt_templates;
begin
  perform private.assert_admin();
  if admin_save_prompt_template.industry is null or admin_save_prompt_template.industry not in ('hvac', 'plumbing') then
    raise exception 'industry must be hvac or plumbing' using errcode = '22023';
  end if;
  if coalesce(length(admin_save_prompt_template.general_prompt), 0) = 0 then
    raise exception 'general_prompt is required' using errcode = '22023';
  end if;
  if admin_save_prompt_template.general_tools is null or jsonb_typeof(admin_save_prompt_template.general_tools) <> 'array' then
    raise exception 'general_tools must be an array' using errcode = '22023';
  end if;
  if exists (select 1 from unnest(admin_save_prompt_template.dynamic_variables) v where v is null or v !~ '^[a-z][a-z0-9_]{0,63}$') then
    raise exception 'dynamic_variables must be names like business_name' using errcode = '22023';
  end if;
  -- One saver at a time per industry, so versions never collide.
  perform pg_advisory_xact_lock(hashtextextended('prompt_templates:' || admin_save_prompt_template.industry, 0));
  insert into public.prompt_templates (industry, version, general_prompt, begin_message, general_tools, dynamic_variables)
  select admin_save_prompt_template.industry, coalesce(max(t.version), 0) + 1, admin_save_prompt_template.general_prompt,
         admin_save_prompt_template.begin_message, admin_save_prompt_template.general_tools,
         coalesce(admin_save_prompt_template.dynamic_variables, '{}')
  from public.prompt_templates t
  where t.industry = admin_save_prompt_template.industry
  returning * into saved;
  perform private.write_audit('prompt_template.save', null,
    jsonb_build_object('industry', saved.industry, 'version', saved.version), 'prompt_templates', saved.id::text);
  return saved;
end
$$;
comment on function public.admin_save_prompt_template(text, text, text, jsonb, text[]) is 'Admin: saves the next version of an industry''s prompt template, which becomes current (audited). The next retell-template-sync run pushes it.';

revoke execute on function public.admin_save_prompt_template(text, text, text, jsonb, text[]) from public, anon;
grant execute on function public.admin_save_prompt_template(text, text, text, jsonb, text[]) to authenticated;

-- ---------------------------------------------------------------------------
-- What was pushed to Retell
-- ---------------------------------------------------------------------------

alter table public.master_agents
  add column template_version integer check (template_version >= 1),
  add column template_hash text check (template_hash ~ '^[0-9a-f]{64}$'),
  add column template_llm_id text,
  add column template_llm_version integer check (template_llm_version >= 0),
  add column template_push_started_at timestamptz,
  add column template_checked_at timestamptz;
comment on column public.master_agents.template_version is 'The prompt_templates version last pushed to the master''s Retell LLM.';
comment on column public.master_agents.template_hash is 'SHA-256 of the pushed content (general_prompt, begin_message, general_tools); the draft at Retell is compared with it to find drift.';
comment on column public.master_agents.template_llm_id is 'The Retell LLM the template was pushed to.';
comment on column public.master_agents.template_llm_version is 'The LLM draft version the template was written into.';
comment on column public.master_agents.template_push_started_at is 'Set before a new agent version (with its LLM draft) is created and cleared once the template is written: while set, the latest draft at Retell is ours, so a retry fills it instead of creating another.';
comment on column public.master_agents.template_checked_at is 'When retell-template-sync last looked at this industry; with RETELL_AUTO_SYNC_MINUTES it decides when to look again.';

create function public.template_sync_state()
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object(
    'industry', i.industry,
    'template', (select to_jsonb(t) from public.prompt_templates t where t.industry = i.industry order by t.version desc limit 1),
    'pushed', (select jsonb_build_object('template_version', m.template_version, 'template_hash', m.template_hash,
                                         'llm_id', m.template_llm_id, 'llm_version', m.template_llm_version,
                                         'push_started_at', m.template_push_started_at, 'checked_at', m.template_checked_at)
               from public.master_agents m where m.industry = i.industry)
  ) order by i.industry), '[]'::jsonb)
  from (values ('hvac'), ('plumbing')) as i (industry)
$$;
comment on function public.template_sync_state() is 'Service role (retell-template-sync): per industry, the current template and what was last pushed to Retell.';

create function public.record_template_sync(
  industry text,
  retell_agent_id text,
  outcome text,
  template_version integer default null,
  template_hash text default null,
  llm_id text default null,
  llm_version integer default null
)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if record_template_sync.industry is null or record_template_sync.industry not in ('hvac', 'plumbing') or record_template_sync.retell_agent_id is null then
    raise exception 'industry (hvac or plumbing) and retell_agent_id are required' using errcode = '22023';
  end if;
  if record_template_sync.outcome is null or record_template_sync.outcome not in ('checked', 'push_started', 'pushed', 'drift') then
    raise exception 'outcome must be checked, push_started, pushed or drift' using errcode = '22023';
  end if;
  insert into public.master_agents (industry, retell_agent_id)
  values (record_template_sync.industry, record_template_sync.retell_agent_id)
  on conflict on constraint master_agents_pkey do nothing;

  update public.master_agents m set
    template_checked_at = now(),
    template_push_started_at = case record_template_sync.outcome when 'push_started' then coalesce(m.template_push_started_at, now())
                                                               when 'pushed' then null else m.template_push_started_at end,
    template_version = case when record_template_sync.outcome = 'pushed' then record_template_sync.template_version else m.template_version end,
    template_hash = case when record_template_sync.outcome = 'pushed' then record_template_sync.template_hash else m.template_hash end,
    template_llm_id = case when record_template_sync.outcome = 'pushed' then record_template_sync.llm_id else m.template_llm_id end,
    template_llm_version = case when record_template_sync.outcome = 'pushed' then record_template_sync.llm_version else m.template_llm_version end
  where m.industry = record_template_sync.industry;

  if record_template_sync.outcome = 'drift' then
    insert into public.ops_alerts (kind, severity, message, details, dedupe_key)
    select 'retell_llm_drift', 'warning',
           format('The %s master''s Retell LLM %s (version %s) was changed at Retell after template version %s was pushed; it is not overwritten. Save its content as a template or change it back.',
                  m.industry, m.template_llm_id, m.template_llm_version, m.template_version),
           jsonb_build_object('industry', m.industry, 'llm_id', m.template_llm_id, 'llm_version', m.template_llm_version,
                              'template_version', m.template_version, 'pushed_hash', m.template_hash,
                              'found_hash', record_template_sync.template_hash),
           format('retell_llm_drift:%s:%s:%s', m.industry, m.template_llm_id, m.template_llm_version)
    from public.master_agents m
    where m.industry = record_template_sync.industry
    on conflict (dedupe_key) where resolved_at is null do nothing;
  end if;
end
$$;
comment on function public.record_template_sync(text, text, text, integer, text, text, integer) is 'Service role (retell-template-sync): records a look at an industry (checked), the start of a push (push_started), its end (pushed: template version, hash, LLM and draft version), or drift (the pushed draft changed at Retell: an ops alert, one per LLM version).';

revoke execute on function public.template_sync_state(), public.record_template_sync(text, text, text, integer, text, text, integer) from public, anon, authenticated;
grant execute on function public.template_sync_state(), public.record_template_sync(text, text, text, integer, text, text, integer) to service_role;

-- ---------------------------------------------------------------------------
-- The job: every minute; the function itself waits RETELL_AUTO_SYNC_MINUTES between looks (0: off).
-- ---------------------------------------------------------------------------

insert into private.cron_jobs (name, schedule, command, max_gap, description) values
  ('retell-template-sync', '* * * * *', $$select private.call_function('retell-template-sync')$$, '5 minutes',
   'Calls retell-template-sync, which pushes each industry''s changed prompt template to its master Retell LLM as a new draft every RETELL_AUTO_SYNC_MINUTES and reports drift.');
select private.setup_cron_jobs();
