// Operators' agent actions, one route each under /admin-agents/. The caller's token is verified
// first; every action then runs the caller's admin check (private.assert_admin) in the database and
// leaves an audit_logs row there.
import { verifiedUserId } from "../_shared/auth.ts";
import { HttpError, routeOf, withJsonErrors } from "../_shared/http.ts";
import { clone, deploy } from "./deploy.ts";
import { quickOnboard } from "./quick-onboard.ts";
import { updateAgent } from "./update-agent.ts";

const ROUTES: Record<string, (request: Request) => Promise<Response>> = {
  deploy,
  clone,
  "quick-onboard": quickOnboard,
  "update-agent": updateAgent,
};

export const handleAdminAgents = withJsonErrors("admin-agents", async (request) => {
  await verifiedUserId(request);
  const route = ROUTES[routeOf(request, "admin-agents")];
  if (!route) throw new HttpError(404, "not_found", `No route; use one of ${Object.keys(ROUTES).join(", ")}`);
  return route(request);
}, ["POST"]);
