// The part of a Retell LLM a prompt template sets, and its hash: what a push writes, and what is
// compared to find out whether a pushed draft was changed at Retell since.

export type TemplateContent = { general_prompt: string; begin_message: string | null; general_tools: unknown[] };

/** The template fields of a template row or of a Retell LLM version, absent ones as Retell's defaults. */
export function templateContent(source: Record<string, unknown>): TemplateContent {
  return {
    general_prompt: typeof source.general_prompt === "string" ? source.general_prompt : "",
    begin_message: typeof source.begin_message === "string" ? source.begin_message : null,
    general_tools: Array.isArray(source.general_tools) ? source.general_tools : [],
  };
}

/** SHA-256 (hex) of the content as JSON with keys sorted, so key order at Retell never counts as a change. */
export async function contentHash(content: TemplateContent): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(stableJson(content)));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableJson(item)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}
