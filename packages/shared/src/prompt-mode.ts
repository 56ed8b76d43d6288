// Where a shared (Model A) business's call gets its prompt from, as the old server's settings said:
//   template: the master's Retell LLM answers with its own prompt (the template retell-template-sync
//             pushed there, and whatever was published with it);
//   backend:  every call carries our current prompt template from the database, sent per call in
//             the inbound webhook's agent_override.retell_llm, so a saved template reaches callers
//             at once, without a publish or a rollout.
// RETELL_PROMPT_MODE (template | backend) decides; when it is unset, RETELL_USE_BACKEND_PROMPT=true
// means backend (the older switch). RETELL_BACKEND_PROMPT_ALLOWLIST (comma-separated business user
// ids) puts just those businesses on the backend prompt while the mode is template.

export type PromptMode = "template" | "backend";
export type PromptSettings = { mode: PromptMode; allowlist: ReadonlySet<string> };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The settings from the three variables; throws on a value they cannot mean. */
export function promptSettings(env: {
  RETELL_PROMPT_MODE?: string;
  RETELL_USE_BACKEND_PROMPT?: string;
  RETELL_BACKEND_PROMPT_ALLOWLIST?: string;
}): PromptSettings {
  const mode = env.RETELL_PROMPT_MODE?.trim().toLowerCase() || undefined;
  if (mode !== undefined && mode !== "template" && mode !== "backend") {
    throw new Error(`RETELL_PROMPT_MODE must be template or backend, not ${env.RETELL_PROMPT_MODE}`);
  }
  const useBackend = env.RETELL_USE_BACKEND_PROMPT?.trim().toLowerCase() || undefined;
  if (useBackend !== undefined && useBackend !== "true" && useBackend !== "false") {
    throw new Error(`RETELL_USE_BACKEND_PROMPT must be true or false, not ${env.RETELL_USE_BACKEND_PROMPT}`);
  }
  const allowlist = (env.RETELL_BACKEND_PROMPT_ALLOWLIST ?? "").split(",").map((id) => id.trim().toLowerCase()).filter(Boolean);
  const malformed = allowlist.find((id) => !UUID.test(id));
  if (malformed) throw new Error(`RETELL_BACKEND_PROMPT_ALLOWLIST must list business user ids, not ${malformed}`);
  return { mode: mode ?? (useBackend === "true" ? "backend" : "template"), allowlist: new Set(allowlist) };
}

/** Whether this business's calls get the backend prompt. */
export function usesBackendPrompt(settings: PromptSettings, userId: string | null): boolean {
  return settings.mode === "backend" || (userId !== null && settings.allowlist.has(userId.toLowerCase()));
}
