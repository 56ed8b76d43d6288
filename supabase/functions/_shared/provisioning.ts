// What provisioning needs to know beyond the Retell client: the master agent of each industry (and
// the version numbers are pinned to), where Retell sends our webhooks, the marker that identifies a
// business's number at Retell, and how a deployment row is shown to clients.
import { optionalEnv, requireEnv } from "./env.ts";

export type Industry = "hvac" | "plumbing";

/** A deployment that cannot work as configured (missing or malformed environment); not retried. */
export class ConfigurationError extends Error {}

export type MasterAgent = { agentId: string; version?: number };

/** RETELL_MASTER_AGENT_ID_<INDUSTRY>, pinned to RETELL_AGENT_VERSION_<INDUSTRY> when that is set. */
export function masterAgentFor(industry: string): MasterAgent {
  if (industry !== "hvac" && industry !== "plumbing") throw new ConfigurationError(`No master agent for industry ${industry}`);
  const suffix = industry.toUpperCase();
  const agentId = optionalEnv(`RETELL_MASTER_AGENT_ID_${suffix}`);
  if (!agentId) throw new ConfigurationError(`RETELL_MASTER_AGENT_ID_${suffix} is not set`);
  const pinned = optionalEnv(`RETELL_AGENT_VERSION_${suffix}`);
  if (pinned === undefined) return { agentId };
  if (!/^\d+$/.test(pinned)) throw new ConfigurationError(`RETELL_AGENT_VERSION_${suffix} must be a version number`);
  return { agentId, version: Number(pinned) };
}

/** The voice dedicated agents speak with: RETELL_VOICE_ID, else the master's. */
export function voiceFor(masterVoiceId: string): string {
  return optionalEnv("RETELL_VOICE_ID") ?? masterVoiceId;
}

/** Public URL of one of our functions (Retell calls retell-inbound and retell-webhook there). */
export function functionUrl(name: string): string {
  return `${requireEnv("SUPABASE_URL")}/functions/v1/${name}`;
}

/**
 * The nickname every number bought for a business carries. After a purchase whose outcome is
 * unknown, the deployer finds the number by it instead of buying another.
 */
export function numberMarker(userId: string): string {
  return `rcpt:${userId}`;
}

/** A deployment (agents row) as clients see it: state, number and what went wrong; no lease internals. */
export function deploymentView(row: Record<string, unknown>) {
  return {
    user_id: row.user_id,
    status: row.deploy_status,
    model: row.model,
    phone_number: row.phone_number,
    waiting_for: row.waiting_for,
    area_code_requested: row.area_code_requested,
    area_code_obtained: row.area_code_obtained,
    area_codes_tried: row.area_codes_tried,
    error_code: row.deploy_error_code,
    error_detail: row.deploy_error_detail,
    next_attempt_at: row.deploy_status === "pending" ? row.next_attempt_at : null,
    deployed_at: row.deployed_at,
  };
}
