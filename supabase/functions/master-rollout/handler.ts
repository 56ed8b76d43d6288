// The master-rollout job (pg_cron through the registry every minute, service role). The desired
// state of each rollout is in the database (admin_start_master_rollout / _roll_back_); this job
// carries it out and records what Retell confirmed:
//   * publishing: resolves the version (the newest draft when none was named), publishes it unless
//     it is already, and records that, so numbers start moving;
//   * rolling out / back: binds up to BATCH numbers to the stage's split with update-phone-number
//     and records each number's weight only after Retell answered with that binding.
// Advancing stages, halting on a worse new version and finishing happen in rollout_work() from the
// recorded calls and bindings. A run that dies or meets a Retell failure halfway leaves the rest
// unrecorded and the next run binds them again: update-phone-number sets the whole binding list,
// so repeating it can never double anything, and the Retell client makes each call exactly once
// (no hidden retries), so only this job decides what is sent again.
import { z } from "zod";
import { adminClient } from "../_shared/supabase.ts";
import { jsonResponse, readJsonBody, withJsonErrors } from "../_shared/http.ts";
import { log } from "../_shared/log.ts";
import { BadRequestError, RetellClient, RetellError } from "../_shared/retell-client.ts";
import { requireServiceRole } from "../_shared/auth.ts";
import { inboundAgentsFor, type MasterBinding, outboundAgentsFor, sameBindings } from "../_shared/master-binding.ts";

/** Numbers bound per rollout and run: the job runs every minute, so 100 is 6,000 numbers an hour. */
const BATCH = 100;
/** update-phone-number calls in flight at once, to stay well inside Retell's rate limits. */
const CONCURRENCY = 4;

const Body = z.object({}).strict();

type Rollout = {
  id: string;
  industry: string;
  agent_id: string;
  from_version: number;
  to_version: number | null;
  status: "publishing" | "rolling_out" | "rolling_back";
  target_weight: number;
  numbers: { user_id: string; phone_number: string }[];
};

export const handleRollouts = withJsonErrors("master-rollout", async (request) => {
  await requireServiceRole(request);
  await readJsonBody(request, Body);
  const db = adminClient();
  const { data, error } = await db.rpc("rollout_work", { batch: BATCH });
  if (error) throw new Error(`rollout_work: ${error.message}`);
  const retell = RetellClient.fromEnv();
  const results: Record<string, unknown> = {};
  for (const rollout of data as Rollout[]) {
    try {
      results[rollout.industry] = rollout.status === "publishing"
        ? await publish(retell, rollout)
        : await bindNumbers(retell, rollout);
    } catch (error) {
      if (!(error instanceof RetellError)) throw error;
      // Retell failing says nothing about the rollout: the next run carries on from what is recorded.
      log("warn", "rollout step not finished: Retell failed", { rollout_id: rollout.id, error: error.message });
      results[rollout.industry] = { status: rollout.status, interrupted: error.message };
    }
  }
  return jsonResponse(200, { rollouts: results });
}, ["POST"]);

async function record(rpc: string, args: Record<string, unknown>): Promise<void> {
  const { error } = await adminClient().rpc(rpc, args);
  if (error) throw new Error(`${rpc}: ${error.message}`);
}

async function publish(retell: RetellClient, rollout: Rollout): Promise<Record<string, unknown>> {
  let version = rollout.to_version;
  if (version === null) version = (await retell.getAgent(rollout.agent_id)).version;
  if (version === rollout.from_version) {
    await record("record_rollout_publish", { rollout_id: rollout.id, to_version: null, problem: "no_new_version" });
    return { status: "rolled_back", problem: "no_new_version" };
  }
  try {
    const agent = await retell.getAgent(rollout.agent_id, version);
    // Publishing an already published version is refused, so an interrupted run is finished by reading first.
    if (!agent.is_published) await retell.publishAgentVersion(rollout.agent_id, version);
  } catch (error) {
    if (!(error instanceof BadRequestError)) throw error;
    await record("record_rollout_publish", { rollout_id: rollout.id, to_version: version, problem: "publish_failed" });
    return { status: "rolled_back", problem: "publish_failed", detail: error.message };
  }
  await record("record_rollout_publish", { rollout_id: rollout.id, to_version: version });
  return { status: "rolling_out", published: version };
}

async function bindNumbers(retell: RetellClient, rollout: Rollout): Promise<Record<string, unknown>> {
  const binding: MasterBinding = {
    agentId: rollout.agent_id,
    fromVersion: rollout.from_version,
    toVersion: rollout.to_version ?? undefined,
    weight: Number(rollout.target_weight),
  };
  const inbound = inboundAgentsFor(binding);
  const outbound = outboundAgentsFor(binding);
  let bound = 0;
  let missing = 0;
  const queue = [...rollout.numbers];
  // Workers stop taking numbers after the first failure; the numbers they finished stay recorded.
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined) {
      const number = queue.shift();
      if (!number) return;
      try {
        const updated = await retell.updatePhoneNumber(number.phone_number, { inbound_agents: inbound, outbound_agents: outbound });
        if (!sameBindings(updated.inbound_agents, inbound)) {
          throw new RetellError("update-phone-number", `${number.phone_number} answered with other inbound_agents`);
        }
        await record("record_rollout_binding", { rollout_id: rollout.id, user_id: number.user_id, phone_number: number.phone_number, weight: binding.weight });
        bound++;
      } catch (error) {
        if (error instanceof BadRequestError && error.status === 404) {
          // Retell no longer has the number (released): nothing to move; recorded so the stage can end.
          await record("record_rollout_binding", {
            rollout_id: rollout.id, user_id: number.user_id, phone_number: number.phone_number, weight: binding.weight, missing_at_retell: true,
          });
          missing++;
        } else {
          failure ??= error;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  if (failure !== undefined) throw failure;
  return { status: rollout.status, target_weight: binding.weight, bound, missing_at_retell: missing };
}
