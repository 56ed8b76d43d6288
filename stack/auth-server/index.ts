// The local stand-in for Supabase Auth (GoTrue), served by the gateway under /auth/v1 on an internal
// port. It keeps its state in Auth's own tables, connected as supabase_auth_admin as Auth is on
// hosted. Which endpoints it has is in routes.ts; README lists what it leaves out.
import http from "node:http";
import postgres from "postgres";
import { AUTH_DB_URL } from "../config.ts";
import { AuthError, errorAnswer, readRequest, send } from "./http.ts";
import { ROUTES } from "./routes.ts";

export function createAuthServer(): { server: http.Server; stop: () => Promise<void> } {
  const sql = postgres(AUTH_DB_URL, { max: 10, onnotice: () => {} });

  const server = http.createServer(async (req, res) => {
    const origin = req.headers.origin;
    try {
      const request = await readRequest(req);
      for (const candidate of ROUTES) {
        const match = candidate.pattern.exec(request.path);
        if (!match) continue;
        if (candidate.method !== request.method) continue;
        return send(res, await candidate.run(request, sql, match.slice(1).map(decodeURIComponent)), origin);
      }
      const known = ROUTES.some((candidate) => candidate.pattern.test(request.path));
      throw known
        ? new AuthError(405, "method_not_allowed", `${request.method} is not allowed on ${request.path}`)
        : new AuthError(404, "not_found", `Not found: ${request.path} is not an endpoint of the local Auth stand-in`);
    } catch (error) {
      if (error instanceof AuthError) return send(res, errorAnswer(error, req.headers), origin);
      console.error(`auth: ${req.method} ${req.url} failed:`, error);
      const failure = new AuthError(500, "unexpected_failure", "Unexpected failure, please check server logs for more information");
      send(res, errorAnswer(failure, req.headers), origin);
    }
  });
  return { server, stop: () => sql.end({ timeout: 2 }) };
}
