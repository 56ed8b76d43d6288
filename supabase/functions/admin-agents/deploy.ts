// Admin deploy for any business (the old POST /admin/deploy-agent), and the legacy clone path (the
// old POST /deploy-agent: an agent of the business's own, Model B). Both request the deployment in
// the database, which checks the caller is an admin and audits it; the worker does the rest.
import { z } from "zod";
import { jsonResponse, readJsonBody } from "../_shared/http.ts";
import { deploymentView } from "../_shared/provisioning.ts";
import { databaseFailure } from "../_shared/provisioning-request.ts";
import { userClient } from "../_shared/supabase.ts";

const DeployRequest = z.object({ user_id: z.uuid(), model: z.enum(["shared", "dedicated"]).optional() });
const CloneRequest = z.object({ user_id: z.uuid() });

/** POST /admin-agents/deploy {user_id, model?}: deploys, or retries a failed deployment. */
export async function deploy(request: Request): Promise<Response> {
  const { user_id, model } = await readJsonBody(request, DeployRequest);
  return requestDeployment(request, user_id, model ?? null);
}

/** POST /admin-agents/clone {user_id}: a dedicated agent copied from the industry master. */
export async function clone(request: Request): Promise<Response> {
  const { user_id } = await readJsonBody(request, CloneRequest);
  return requestDeployment(request, user_id, "dedicated");
}

async function requestDeployment(request: Request, userId: string, model: string | null): Promise<Response> {
  const { data, error } = await userClient(request).rpc("admin_request_agent_deployment", {
    target_user_id: userId,
    agent_model: model,
  });
  if (error) throw databaseFailure(error);
  const deployment = deploymentView(data);
  return jsonResponse(deployment.status === "active" ? 200 : 202, { deployment });
}
