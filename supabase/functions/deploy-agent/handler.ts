// The wizard's deploy step for the signed-in owner (or the user an admin impersonates): saves the
// business details and asks for the deployment in one database call, under the caller's identity.
// The number arrives later (the agent-deployer worker); the client watches its agents row. At most
// 6 requests per minute per user, counted in Postgres so every function instance shares the count.
import { adminClient } from "../_shared/supabase.ts";
import { HttpError, jsonResponse, readJsonBody, withJsonErrors } from "../_shared/http.ts";
import { log } from "../_shared/log.ts";
import { BusinessDetails, businessArguments } from "../_shared/business-details.ts";
import { deploymentView } from "../_shared/provisioning.ts";
import { verifiedUserId } from "../_shared/auth.ts";
import { databaseFailure } from "../_shared/provisioning-request.ts";
import { userClient } from "../_shared/supabase.ts";

const REQUESTS_PER_MINUTE = 6;

export const handleDeployAgent = withJsonErrors("deploy-agent", async (request) => {
  const userId = await verifiedUserId(request);
  await consumeRateLimit(userId);
  const details = await readJsonBody(request, BusinessDetails);
  const { data, error } = await userClient(request).rpc("deploy_my_agent", businessArguments(details));
  if (error) throw databaseFailure(error);
  const deployment = deploymentView(data);
  log("info", "deployment requested", {
    request_id: request.headers.get("x-request-id"),
    user_id: deployment.user_id,
    status: deployment.status,
  });
  return jsonResponse(deployment.status === "active" ? 200 : 202, { deployment });
}, ["POST"]);

async function consumeRateLimit(userId: string): Promise<void> {
  const { data, error } = await adminClient()
    .rpc("consume_rate_limit", { bucket: `deploy-agent:${userId}`, max_hits: REQUESTS_PER_MINUTE, window_seconds: 60 })
    .single<{ allowed: boolean; retry_after_seconds: number }>();
  if (error) throw databaseFailure(error);
  if (!data.allowed) {
    throw new HttpError(429, "rate_limited", `At most ${REQUESTS_PER_MINUTE} deploy requests a minute; try again later`, {
      "Retry-After": String(data.retry_after_seconds),
    });
  }
}
