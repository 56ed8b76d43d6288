// Request plumbing of the provisioning functions (deploy-agent, admin-agents, agent-deployer): who
// is calling, and database errors turned into HTTP answers.
import type { PostgrestError } from "@supabase/supabase-js";
import { requireEnv } from "./env.ts";
import { HttpError } from "./http.ts";
import { log } from "./log.ts";

function bearerToken(request: Request): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "")?.[1];
}

/**
 * The signed-in user's id (the token's `sub`). The gateway has already verified the token
 * (verify_jwt), so its claims can be read here without checking the signature again.
 */
export function callerUserId(request: Request): string {
  const token = bearerToken(request);
  let sub: unknown;
  try {
    const payload = token?.split(".")[1] ?? "";
    sub = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))).sub;
  } catch {
    sub = undefined;
  }
  if (typeof sub !== "string") {
    throw new HttpError(401, "not_signed_in", "Send the user's access token as Authorization: Bearer <token>");
  }
  return sub;
}

/** Only the database (pg_net kicks, cron) and operators' scripts hold the service role key. */
export function requireServiceRole(request: Request): void {
  const given = new TextEncoder().encode(bearerToken(request) ?? "");
  const expected = new TextEncoder().encode(requireEnv("SUPABASE_SERVICE_ROLE_KEY"));
  let difference = given.length ^ expected.length;
  for (let i = 0; i < expected.length; i++) difference |= expected[i] ^ (given[i] ?? 0);
  if (difference !== 0) throw new HttpError(403, "forbidden", "Only the service role may call this function");
}

/** The HTTP answer for an error raised by one of our SQL functions (by its SQLSTATE). */
export function databaseFailure(error: PostgrestError): HttpError {
  switch (error.code) {
    case "42501":
      return new HttpError(403, "forbidden", error.message);
    case "PT404":
      return new HttpError(404, "not_found", error.message);
    case "23505":
    case "PT409":
      return new HttpError(409, "conflict", error.message);
    case "22023":
    case "22P02":
    case "23502":
    case "23503":
    case "23514":
      return new HttpError(400, "invalid_input", error.message);
    default:
      log("error", "database error", { code: error.code, error: error.message });
      return new HttpError(500, "internal_error", "Something went wrong on our side; try again");
  }
}
