// The deployment worker. The database kicks it (pg_net, from request_agent_deployment, the resume
// triggers and the every-minute sweeper) with {"user_id": ...} and the Vault's service role key. It claims
// the deployment (exactly one of any number of concurrent kicks gets the lease), answers at once,
// and provisions after the response; a worker that dies leaves an expiring lease the sweeper retries.
import { z } from "zod";
import { adminClient } from "../_shared/supabase.ts";
import { jsonResponse, readJsonBody, withJsonErrors } from "../_shared/http.ts";
import { afterResponse } from "../_shared/log.ts";
import { RetellClient } from "../_shared/retell-client.ts";
import { requireServiceRole } from "../_shared/auth.ts";
import { Deployments } from "./deployments.ts";
import { provision } from "./provision.ts";

const Kick = z.object({ user_id: z.uuid() });

export const handleKick = withJsonErrors("agent-deployer", async (request) => {
  await requireServiceRole(request);
  const { user_id: userId } = await readJsonBody(request, Kick);
  const retell = RetellClient.fromEnv();
  const deployments = new Deployments(adminClient());
  const deployment = await deployments.claim(userId);
  if (!deployment) return jsonResponse(200, { claimed: false });
  afterResponse("deployment", () => provision(deployment, retell, deployments), { user_id: userId, attempt: deployment.attempt });
  return jsonResponse(202, { claimed: true, attempt: deployment.attempt });
}, ["POST"]);
