// The master-agent-health job (pg_cron through the registry, every 3 minutes, with the service
// role): checks each configured industry's master agent at Retell and records the verdict with
// record_master_agent_health(), which adds the recent error disconnections, alerts operators and
// switches that industry's calls to RETELL_FALLBACK_AGENT_ID_<INDUSTRY> while the master is unfit.
// When Retell cannot be asked, nothing is recorded: an API outage says nothing about the agent, and
// the previous verdict stands until a check gets an answer.
//
// Dedicated agents (Model B) get the same check, up to DEDICATED_BATCH per run, least recently
// checked first, CONCURRENCY at a time: with the job every 3 minutes that is 4,000 agents an hour
// in at most 2 Retell reads each; more businesses than that are each checked less often, never
// with more Retell calls per run. While one is unhealthy its business's calls fail over to the
// industry's master (or its fallback agent).
import { adminClient } from "../_shared/supabase.ts";
import { jsonResponse, withJsonErrors } from "../_shared/http.ts";
import { log } from "../_shared/log.ts";
import { optionalEnv } from "../_shared/env.ts";
import { RetellClient, RetellError } from "../_shared/retell-client.ts";
import { requireServiceRole } from "../_shared/auth.ts";
import { functionUrl, type Industry } from "../_shared/provisioning.ts";
import { currentMasterBinding, primaryVersion } from "../_shared/master-binding.ts";
import { checkMasterAgent } from "./check.ts";

const INDUSTRIES: Industry[] = ["hvac", "plumbing"];
const DEDICATED_BATCH = 200;
const CONCURRENCY = 4;

type DedicatedAgent = { user_id: string; agent_id: string; version: number | null };

export const handleHealthCheck = withJsonErrors("master-agent-health", async (request) => {
  await requireServiceRole(request);
  const retell = RetellClient.fromEnv();
  const ourFunctions = functionUrl("");
  const results: Record<string, unknown> = {};
  for (const industry of INDUSTRIES) {
    const suffix = industry.toUpperCase();
    if (!optionalEnv(`RETELL_MASTER_AGENT_ID_${suffix}`)) continue;
    // After a rollout the numbers answer with the version it left them on, not the configured pin.
    const binding = await currentMasterBinding(industry);
    const master = { agentId: binding.agentId, version: primaryVersion(binding) };
    let problems: string[];
    try {
      problems = await checkMasterAgent(retell, master, ourFunctions);
    } catch (error) {
      if (!(error instanceof RetellError)) throw error;
      log("warn", "master agent not checked: Retell did not answer", { industry, error: error.message });
      results[industry] = { checked: false, error: error.message };
      continue;
    }
    const { data, error } = await adminClient().rpc("record_master_agent_health", {
      industry,
      retell_agent_id: master.agentId,
      retell_agent_version: master.version ?? null,
      fallback_agent_id: optionalEnv(`RETELL_FALLBACK_AGENT_ID_${suffix}`) ?? null,
      retell_problems: problems,
    });
    if (error) throw new Error(`record_master_agent_health: ${error.message}`);
    results[industry] = { checked: true, healthy: data.healthy, problems: data.problems };
  }
  return jsonResponse(200, { industries: results, dedicated: await checkDedicatedAgents(retell, ourFunctions) });
}, ["POST"]);

/** Checks up to DEDICATED_BATCH dedicated agents, CONCURRENCY at a time; counts what it found. */
async function checkDedicatedAgents(retell: RetellClient, ourFunctions: string) {
  const db = adminClient();
  const { data, error } = await db.rpc("dedicated_agents_to_check", { batch: DEDICATED_BATCH });
  if (error) throw new Error(`dedicated_agents_to_check: ${error.message}`);
  const queue = [...data as DedicatedAgent[]];
  const counts = { checked: 0, unhealthy: 0, not_checked: 0 };
  const worker = async () => {
    for (let agent = queue.shift(); agent; agent = queue.shift()) {
      let problems: string[];
      try {
        problems = await checkMasterAgent(retell, { agentId: agent.agent_id, version: agent.version ?? undefined }, ourFunctions);
      } catch (error) {
        if (!(error instanceof RetellError)) throw error;
        counts.not_checked++;
        continue;
      }
      const { data: saved, error: saveError } = await db.rpc("record_dedicated_agent_health", {
        target_user_id: agent.user_id,
        retell_agent_id: agent.agent_id,
        retell_agent_version: agent.version,
        retell_problems: problems,
      });
      if (saveError) throw new Error(`record_dedicated_agent_health: ${saveError.message}`);
      counts.checked++;
      if (!saved.healthy) counts.unhealthy++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  if (counts.not_checked > 0) log("warn", "dedicated agents not checked: Retell did not answer", { not_checked: counts.not_checked });
  return counts;
}
