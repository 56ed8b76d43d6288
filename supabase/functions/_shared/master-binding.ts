// How an industry's numbers are bound to its master agent right now: the configured pin
// (RETELL_AGENT_VERSION_<INDUSTRY>) until a rollout has run, then what the rollout in progress or
// the last finished one says (public.master_binding). The deployer binds a new number with it, the
// master-rollout job with the split of the stage it is moving numbers to, and the health check
// reads the version numbers answer with.
import { adminClient } from "./supabase.ts";
import { type AgentBinding, singleAgent } from "./retell-client.ts";
import { type Industry, masterAgentFor } from "./provisioning.ts";

export type MasterBinding = { agentId: string; fromVersion?: number; toVersion?: number; weight: number };

/** inbound_agents for a split: the old version with 1 - weight, the new one with weight (alone at 0 and 1). */
export function inboundAgentsFor(binding: MasterBinding): AgentBinding[] {
  const { agentId, fromVersion, toVersion, weight } = binding;
  if (weight <= 0 || toVersion === undefined) return singleAgent(agentId, fromVersion);
  if (weight >= 1) return singleAgent(agentId, toVersion);
  // Rounded so the two weights add up to exactly 1 as Retell requires.
  const newShare = Math.round(weight * 10_000) / 10_000;
  return [
    { agent_id: agentId, agent_version: fromVersion, weight: Math.round((1 - newShare) * 10_000) / 10_000 },
    { agent_id: agentId, agent_version: toVersion, weight: newShare },
  ];
}

/** outbound_agents: one agent only (an outbound call has no caller to split); the new version from weight 1. */
export function outboundAgentsFor(binding: MasterBinding): AgentBinding[] {
  return singleAgent(binding.agentId, binding.weight >= 1 && binding.toVersion !== undefined ? binding.toVersion : binding.fromVersion);
}

/** The version most of the traffic answers with (the one failover and health checks name). */
export function primaryVersion(binding: MasterBinding): number | undefined {
  return binding.weight >= 1 && binding.toVersion !== undefined ? binding.toVersion : binding.fromVersion;
}

/** The industry's current binding; the configured pin when no rollout ever ran. */
export async function currentMasterBinding(industry: Industry): Promise<MasterBinding> {
  const { data, error } = await adminClient().rpc("master_binding", { industry });
  if (error) throw new Error(`master_binding: ${error.message}`);
  if (!data) {
    const master = masterAgentFor(industry);
    return { agentId: master.agentId, fromVersion: master.version, weight: 0 };
  }
  const row = data as { agent_id: string; from_version: number; to_version: number | null; weight: number };
  return { agentId: row.agent_id, fromVersion: row.from_version, toVersion: row.to_version ?? undefined, weight: Number(row.weight) };
}

/** The same set of bindings, whatever order Retell lists them or their keys in. */
export function sameBindings(a: AgentBinding[] | null | undefined, b: AgentBinding[]): boolean {
  const key = (list: AgentBinding[]) =>
    list.map((x) => `${x.agent_id}@${x.agent_version ?? ""}=${Number(x.weight)}`).sort().join(",");
  return key(a ?? []) === key(b);
}
