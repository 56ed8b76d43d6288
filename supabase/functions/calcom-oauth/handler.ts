// The signed-in side of the Cal.com connection (each route verifies the token and checks whom it
// acts for): GET|POST authorize-url, GET status, POST disconnect. Cal.com's redirect back lands on
// the calcom-oauth-callback function, which needs no JWT.
import { HttpError, jsonResponse, routeOf, withJsonErrors } from "../_shared/http.ts";
import { type ActingUser, actingUser } from "../_shared/calcom-request.ts";
import { authorizeUrl } from "./authorize-url.ts";
import { connectionStatus } from "./status.ts";
import { disconnect } from "./disconnect.ts";

type Route = { methods: string[]; run: (request: Request, user: ActingUser) => Promise<unknown> };

const ROUTES: Record<string, Route> = {
  "authorize-url": { methods: ["GET", "POST"], run: authorizeUrl },
  status: { methods: ["GET"], run: connectionStatus },
  disconnect: { methods: ["POST"], run: disconnect },
};

export const handleCalcomOAuth = withJsonErrors("calcom-oauth", async (request) => {
  const name = routeOf(request, "calcom-oauth");
  const route = ROUTES[name];
  if (!route) throw new HttpError(404, "route_not_found", `No route ${name || "/"}; use authorize-url, status or disconnect`);
  if (!route.methods.includes(request.method)) {
    throw new HttpError(405, "method_not_allowed", `${name} accepts ${route.methods.join(" or ")}`, { Allow: route.methods.join(", ") });
  }
  return jsonResponse(200, await route.run(request, await actingUser(request)));
});
