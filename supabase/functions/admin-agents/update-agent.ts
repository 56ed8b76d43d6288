// Admin update of a dedicated agent (the old POST /update-agent). Published versions are immutable,
// so a change is a new version: copy the live version into a draft, change the draft (agent fields
// and/or its Retell LLM), publish it, move the number onto it, record it. Shared (master) agents
// are refused: changing a master changes every business on it, which is done in Retell itself.
import { z } from "zod";
import { HttpError, jsonResponse, readJsonBody } from "../_shared/http.ts";
import { log } from "../_shared/log.ts";
import { deploymentView } from "../_shared/provisioning.ts";
import { databaseFailure } from "../_shared/provisioning-request.ts";
import { userClient } from "../_shared/supabase.ts";
import { BadRequestError, RetellClient, singleAgent } from "../_shared/retell-client.ts";

const UpdateAgent = z
  .object({
    user_id: z.uuid(),
    agent: z
      .object({ agent_name: z.string().trim().min(1).max(200), voice_id: z.string().min(1), language: z.string().min(2) })
      .partial()
      .strict()
      .optional(),
    llm: z
      .object({ general_prompt: z.string().min(1).max(50_000), begin_message: z.string().max(2_000), model: z.string().min(1) })
      .partial()
      .strict()
      .optional(),
  })
  .refine((body) => Object.keys(body.agent ?? {}).length + Object.keys(body.llm ?? {}).length > 0, "nothing to change");

export async function updateAgent(request: Request): Promise<Response> {
  const change = await readJsonBody(request, UpdateAgent);
  const db = userClient(request);
  const { data: current, error } = await db.rpc("admin_dedicated_agent", { target_user_id: change.user_id });
  if (error) throw databaseFailure(error);

  const retell = RetellClient.fromEnv();
  const agentId: string = current.retell_agent_id;
  let version: number;
  try {
    const draft = await retell.createAgentVersion(agentId, current.retell_agent_version);
    version = draft.version;
    if (change.agent) await retell.updateAgent(agentId, version, change.agent);
    const engine = draft.response_engine;
    if (change.llm) {
      if (engine.type !== "retell-llm" || !engine.llm_id || engine.version === undefined) {
        throw new HttpError(409, "conflict", `Agent ${agentId} does not run on a Retell LLM`);
      }
      await retell.updateRetellLlm(engine.llm_id, engine.version, change.llm);
    }
    await retell.publishAgentVersion(agentId, version);
    const binding = singleAgent(agentId, version);
    await retell.updatePhoneNumber(current.phone_number, { inbound_agents: binding, outbound_agents: binding });
  } catch (failure) {
    if (failure instanceof HttpError) throw failure;
    log("error", "agent update failed at Retell", { user_id: change.user_id, retell_agent_id: agentId, error: String(failure) });
    const code = failure instanceof BadRequestError ? "retell_rejected" : "retell_unavailable";
    throw new HttpError(502, code, `The agent was not changed: ${(failure as Error).message}`);
  }

  const changed = [...Object.keys(change.agent ?? {}), ...Object.keys(change.llm ?? {}).map((key) => `llm.${key}`)];
  const { data: updated, error: recordError } = await db.rpc("admin_record_agent_version", {
    target_user_id: change.user_id,
    agent_id: agentId,
    agent_version: version,
    changed_fields: changed,
  });
  if (recordError) throw databaseFailure(recordError);
  return jsonResponse(200, { deployment: deploymentView(updated), retell_agent_version: version });
}
