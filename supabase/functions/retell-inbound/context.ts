// What the inbound webhook answers, from what its one database round trip found. The safe
// behaviours (README, "Inbound calls"):
//   * business found and allowed: its variables (and its own agent for Model B);
//   * subscription inactive or over its cap: message-only (no calendar, no transfer number), the
//     call recorded as refused; over the cap, operators are alerted (the owner was warned by
//     email when the counter reached the cap: usage_warnings);
//   * caller on a block list: the same, plus call_disposition "blocked", on which the master
//     prompt ends the call at once; recorded as refused ('blocked'), never billed;
//   * number unknown, or the database not answering in time: empty variables with the calendar
//     off, which the master agent's prompt treats as "take a message".
// Retell always gets a 200 within the budget: a failing webhook would leave the caller ringing
// through three retries.
import { adminClient } from "../_shared/supabase.ts";
import { afterResponse, log } from "../_shared/log.ts";
import { buildDynamicVariables, type BusinessForCall } from "../../../packages/shared/src/dynamic-variables.ts";
import type { InboundAnswer } from "../../../packages/shared/src/retell-payloads.ts";

/** Retell waits 10 s and then retries; the lookup gets a fraction of that, the answer the rest. */
const LOOKUP_TIMEOUT_MS = 2000;

export type InboundContext = {
  user_id: string | null;
  refusal_reason: "unknown_number" | "blocked" | "subscription_inactive" | "over_cap" | null;
  business: BusinessForCall | null;
  agent: { model: "shared" | "dedicated"; retell_agent_id: string | null; retell_agent_version: number | null } | null;
  /**
   * Calls only: the agent to answer with instead of the usual one, while that one is unhealthy
   * (master-agent-health): the fallback agent for a shared business, the master (or the fallback)
   * for a dedicated one.
   */
  failover_agent?: { agent_id: string; agent_version?: number } | null;
};

/** Runs one inbound RPC with a deadline; null (and an error logged) when the database did not answer. */
export async function lookupInbound(
  rpc: "inbound_call_context" | "inbound_sms_context",
  args: Record<string, unknown>,
  requestId: string,
): Promise<InboundContext | null> {
  let failure: string;
  try {
    const { data, error } = await adminClient().rpc(rpc, args).abortSignal(AbortSignal.timeout(LOOKUP_TIMEOUT_MS));
    if (!error) return data as InboundContext;
    failure = error.message;
  } catch (error) {
    failure = String(error);
  }
  const callId = args.call_id ?? args.chat_id ?? null;
  log("error", "inbound lookup failed; answering with the generic variables", { request_id: requestId, rpc, call_id: callId, error: failure });
  // The database may be back a moment later; the trail is worth a try once the caller is served.
  afterResponse("error_logs insert", async () => {
    const { error } = await adminClient().from("error_logs").insert({
      source: "retell-inbound",
      message: `inbound lookup failed: ${failure}`,
      request_id: requestId,
      context: { rpc, call_id: callId },
    });
    if (error) throw new Error(error.message);
  }, { request_id: requestId });
  return null;
}

/** The current template of the number's industry, sent per call in backend prompt mode. */
export type BackendPrompt = { industry: string; version: number; general_prompt: string; begin_message: string | null };

/**
 * The `call_inbound` / `chat_inbound` answer for a lookup result (null: the lookup failed), with
 * the backend prompt when this business gets it (prompt-mode.ts) and answers with the master.
 */
export function inboundAnswer(context: InboundContext | null, backendPrompt: BackendPrompt | null = null): InboundAnswer {
  if (!context) {
    return { dynamic_variables: buildDynamicVariables(null), metadata: { lookup: "unavailable" } };
  }
  const answer: InboundAnswer = {
    dynamic_variables: buildDynamicVariables(context.business, {
      messageOnly: context.refusal_reason !== null,
      blocked: context.refusal_reason === "blocked",
    }),
    // Retell puts metadata on the call, so its events tell us about a refusal even without a call id here.
    metadata: context.refusal_reason ? { user_id: context.user_id, refusal_reason: context.refusal_reason } : { user_id: context.user_id },
  };
  if (context.failover_agent) {
    // The usual agent is unhealthy (master-agent-health): the agent it fails over to.
    answer.override_agent_id = context.failover_agent.agent_id;
    if (context.failover_agent.agent_version !== undefined) answer.override_agent_version = context.failover_agent.agent_version;
  } else if (context.agent?.model === "dedicated" && context.agent.retell_agent_id) {
    // Model B: the business has an agent of its own.
    answer.override_agent_id = context.agent.retell_agent_id;
    if (context.agent.retell_agent_version !== null) answer.override_agent_version = context.agent.retell_agent_version;
  } else if (backendPrompt && context.agent?.model === "shared") {
    // Model A on the backend prompt: our current template instead of the master LLM's own prompt.
    answer.agent_override = {
      retell_llm: {
        general_prompt: backendPrompt.general_prompt,
        ...(backendPrompt.begin_message !== null ? { begin_message: backendPrompt.begin_message } : {}),
      },
    };
  }
  return answer;
}
