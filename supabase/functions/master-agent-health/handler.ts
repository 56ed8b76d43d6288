// The master-agent-health job (pg_cron through the registry, every 3 minutes, with the service
// role): checks each configured industry's master agent at Retell and records the verdict with
// record_master_agent_health(), which adds the recent error disconnections, alerts operators and
// switches that industry's calls to RETELL_FALLBACK_AGENT_ID_<INDUSTRY> while the master is unfit.
// When Retell cannot be asked, nothing is recorded: an API outage says nothing about the agent, and
// the previous verdict stands until a check gets an answer.
import { adminClient } from "../_shared/supabase.ts";
import { jsonResponse, withJsonErrors } from "../_shared/http.ts";
import { log } from "../_shared/log.ts";
import { optionalEnv } from "../_shared/env.ts";
import { RetellClient, RetellError } from "../_shared/retell-client.ts";
import { requireServiceRole } from "../_shared/auth.ts";
import { functionUrl, type Industry, masterAgentFor } from "../_shared/provisioning.ts";
import { checkMasterAgent } from "./check.ts";

const INDUSTRIES: Industry[] = ["hvac", "plumbing"];

export const handleHealthCheck = withJsonErrors("master-agent-health", async (request) => {
  await requireServiceRole(request);
  const retell = RetellClient.fromEnv();
  const ourFunctions = functionUrl("");
  const results: Record<string, unknown> = {};
  for (const industry of INDUSTRIES) {
    const suffix = industry.toUpperCase();
    if (!optionalEnv(`RETELL_MASTER_AGENT_ID_${suffix}`)) continue;
    const master = masterAgentFor(industry);
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
  return jsonResponse(200, { industries: results });
}, ["POST"]);
