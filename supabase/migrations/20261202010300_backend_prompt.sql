-- ============================================================================
-- The backend prompt: the current prompt template of a number's industry, for the inbound webhook.
--
-- With RETELL_PROMPT_MODE=backend (or a business on RETELL_BACKEND_PROMPT_ALLOWLIST) retell-inbound
-- sends the current template with each call of a shared business instead of leaving the prompt to
-- the master's Retell LLM. It asks for it by the called number alongside the inbound lookup (in
-- parallel, so the call waits for neither twice), which leaves that lookup unchanged.
-- ============================================================================

create function public.backend_prompt(to_number text)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object('industry', t.industry, 'version', t.version,
                            'general_prompt', t.general_prompt, 'begin_message', t.begin_message)
  from public.agents a
  join public.profiles p on p.id = a.user_id
  cross join lateral (
    select * from public.prompt_templates pt where pt.industry = p.industry order by pt.version desc limit 1
  ) t
  where a.phone_number = backend_prompt.to_number and a.model = 'shared'
$$;
comment on function public.backend_prompt(text) is 'Service role (retell-inbound): the current prompt template (industry, version, general_prompt, begin_message) of the shared business behind to_number (E.164), or null (unknown number, dedicated agent, no template).';
revoke execute on function public.backend_prompt(text) from public, anon, authenticated;
grant execute on function public.backend_prompt(text) to service_role;
