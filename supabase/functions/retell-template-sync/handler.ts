// The retell-template-sync job (pg_cron through the registry every minute, service role). For each
// industry it looks at, at most every RETELL_AUTO_SYNC_MINUTES (0 or unset: off; {"force": true}
// looks now, for operators and tests):
//   * the current template's content hash equals the one last pushed: the pushed LLM draft is read
//     back, and if it was changed at Retell (or deleted) that is drift: an ops alert, nothing written;
//   * it differs: a new draft of the master agent is made from its pinned version (Retell gives the
//     agent's LLM a matching draft) and the template is written into that LLM draft. The start is
//     recorded first: a run that dies between creating the draft and recording the push leaves
//     template_push_started_at set, and the next run fills the newest draft instead of creating
//     another, so a retry never makes two drafts. The Retell client never retries by itself.
// Numbers keep their bound (pinned) version: a draft reaches callers only when it is published and
// rolled out.
import { z } from "zod";
import { adminClient } from "../_shared/supabase.ts";
import { jsonResponse, readJsonBody, withJsonErrors } from "../_shared/http.ts";
import { optionalEnv } from "../_shared/env.ts";
import { type Agent, BadRequestError, RetellClient } from "../_shared/retell-client.ts";
import { requireServiceRole } from "../_shared/auth.ts";
import { ConfigurationError, type MasterAgent, masterAgentFor } from "../_shared/provisioning.ts";
import { contentHash, templateContent } from "./content.ts";

const Body = z.object({ force: z.boolean().optional() }).strict();

type Pushed = {
  template_version: number | null;
  template_hash: string | null;
  llm_id: string | null;
  llm_version: number | null;
  push_started_at: string | null;
  checked_at: string | null;
};
type IndustryState = { industry: "hvac" | "plumbing"; template: Record<string, unknown> | null; pushed: Pushed | null };

export const handleSync = withJsonErrors("retell-template-sync", async (request) => {
  await requireServiceRole(request);
  const { force = false } = await readJsonBody(request, Body);
  const minutes = Number(optionalEnv("RETELL_AUTO_SYNC_MINUTES") ?? 0);
  if (!Number.isInteger(minutes) || minutes < 0) throw new ConfigurationError("RETELL_AUTO_SYNC_MINUTES must be a whole number of minutes");
  if (minutes === 0 && !force) return jsonResponse(200, { enabled: false });

  const db = adminClient();
  const { data, error } = await db.rpc("template_sync_state");
  if (error) throw new Error(`template_sync_state: ${error.message}`);
  const retell = RetellClient.fromEnv();
  const results: Record<string, string> = {};
  for (const state of data as IndustryState[]) {
    if (!state.template || !optionalEnv(`RETELL_MASTER_AGENT_ID_${state.industry.toUpperCase()}`)) continue;
    const lastLook = state.pushed?.checked_at ? Date.parse(state.pushed.checked_at) : 0;
    if (!force && Date.now() - lastLook < minutes * 60_000) continue;
    const master = masterAgentFor(state.industry);
    results[state.industry] = await syncIndustry(retell, state, master, async (outcome, fields = {}) => {
      const { error } = await db.rpc("record_template_sync", { industry: state.industry, retell_agent_id: master.agentId, outcome, ...fields });
      if (error) throw new Error(`record_template_sync: ${error.message}`);
    });
  }
  return jsonResponse(200, { enabled: true, industries: results });
}, ["POST"]);

type Recorder = (outcome: "checked" | "push_started" | "pushed" | "drift", fields?: Record<string, unknown>) => Promise<void>;

async function syncIndustry(retell: RetellClient, state: IndustryState, master: MasterAgent, record: Recorder): Promise<string> {
  const template = state.template!;
  const content = templateContent(template);
  const hash = await contentHash(content);
  const pushed = state.pushed;

  if (pushed?.template_hash === hash && pushed.llm_id !== null && pushed.llm_version !== null && !pushed.push_started_at) {
    const llm = await retell.getRetellLlm(pushed.llm_id, pushed.llm_version).catch((error) => {
      if (error instanceof BadRequestError && error.status === 404) return null;
      throw error;
    });
    const found = llm ? await contentHash(templateContent(llm)) : "0".repeat(64);
    if (found !== hash) {
      await record("drift", { template_hash: found });
      return "drift";
    }
    await record("checked");
    return "unchanged";
  }

  // A push left unfinished by an earlier run made the newest draft: fill it rather than make another.
  let draft: Agent;
  const latest = await retell.getAgent(master.agentId);
  if (pushed?.push_started_at && !latest.is_published) {
    draft = latest;
  } else {
    await record("push_started");
    draft = await retell.createAgentVersion(master.agentId, master.version ?? latest.version);
  }
  const engine = draft.response_engine;
  if (engine?.type !== "retell-llm" || !engine.llm_id || engine.version === undefined) {
    throw new ConfigurationError(`Master agent ${master.agentId} does not run on a Retell LLM`);
  }
  await retell.updateRetellLlm(engine.llm_id, engine.version, content);
  await record("pushed", {
    template_version: template.version,
    template_hash: hash,
    llm_id: engine.llm_id,
    llm_version: engine.version,
  });
  return "pushed";
}
