// What makes a master agent fit to answer calls, read from Retell. Retell documents no health
// endpoint, so the check reads the agent (the pinned version when one is) and its Retell LLM and
// looks for what would break every call of the industry: the agent or its LLM gone, the pinned
// version not published, no voice, call events or tool calls sent anywhere but our functions.
import { BadRequestError, type RetellClient } from "../_shared/retell-client.ts";
import type { MasterAgent } from "../_shared/provisioning.ts";

export type Problem =
  | "agent_not_found"
  | "version_not_published"
  | "voice_missing"
  | "webhook_not_ours"
  | "llm_not_found"
  | "tool_not_ours";

/** The problems found (empty: fit), for a master or a dedicated agent alike. Throws only when Retell could not be asked (RetellUnavailable...). */
export async function checkMasterAgent(retell: RetellClient, master: MasterAgent, ourFunctions: string): Promise<Problem[]> {
  const agent = await orNotFound(retell.getAgent(master.agentId, master.version));
  if (!agent) return ["agent_not_found"];
  const problems: Problem[] = [];
  // Numbers bound without a version follow the agent's latest one, which may be a draft by design.
  if (master.version !== undefined && !agent.is_published) problems.push("version_not_published");
  if (!agent.voice_id) problems.push("voice_missing");
  if (typeof agent.webhook_url !== "string" || !agent.webhook_url.startsWith(ourFunctions)) problems.push("webhook_not_ours");
  const engine = agent.response_engine;
  if (engine?.type === "retell-llm" && engine.llm_id) {
    const llm = await orNotFound(retell.getRetellLlm(engine.llm_id, engine.version));
    if (!llm) problems.push("llm_not_found");
    else if (!customToolUrls(llm).every((url) => url.startsWith(ourFunctions))) problems.push("tool_not_ours");
  }
  return problems;
}

/** The urls of the LLM's custom tools, general and per state (Retell's `type: "custom"` tools). */
function customToolUrls(llm: Record<string, unknown>): string[] {
  const states = Array.isArray(llm.states) ? llm.states as { tools?: unknown }[] : [];
  const tools = [llm.general_tools, ...states.map((state) => state.tools)].flatMap((list) => Array.isArray(list) ? list : []);
  return tools
    .filter((tool): tool is { type: string; url?: unknown } => typeof tool === "object" && tool !== null && tool.type === "custom")
    .map((tool) => typeof tool.url === "string" ? tool.url : "");
}

/** null for Retell's 404 (deleted, or a version that does not exist); other failures propagate. */
async function orNotFound<T>(read: Promise<T>): Promise<T | null> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof BadRequestError && error.status === 404) return null;
    throw error;
  }
}
