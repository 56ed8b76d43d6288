// Request plumbing of the provisioning functions (deploy-agent, admin-agents, agent-deployer): who
// is calling, a supabase-js client acting as them, the JSON body checked by a zod schema, database
// errors turned into HTTP answers, and one JSON error shape for whatever a handler throws.
import { createClient, type PostgrestError, type SupabaseClient } from "@supabase/supabase-js";
import type { z } from "zod";
import { requireEnv } from "./env.ts";
import { errorResponse, HttpError } from "./http.ts";
import { log } from "./log.ts";

/** Headers the database reads from a request (impersonation, the admin access code), passed on as sent. */
const FORWARDED_HEADERS = ["x-impersonation-session", "x-admin-access-code", "x-request-id"];

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

/** A supabase-js client acting as the caller (RLS, auth.uid(), impersonation, admin gate). */
export function callerClient(request: Request): SupabaseClient {
  const headers: Record<string, string> = { Authorization: request.headers.get("authorization") ?? "" };
  for (const name of FORWARDED_HEADERS) {
    const value = request.headers.get(name);
    if (value) headers[name] = value;
  }
  return createClient(requireEnv("SUPABASE_URL"), requireEnv("SUPABASE_ANON_KEY"), {
    auth: { persistSession: false, autoRefreshToken: false },
    global: { headers },
  });
}

/** The JSON body checked against `schema`, or a 400 naming every problem. */
export async function readJsonBody<Schema extends z.ZodType>(request: Request, schema: Schema): Promise<z.infer<Schema>> {
  let json: unknown;
  try {
    json = JSON.parse(await request.text());
  } catch {
    throw new HttpError(400, "invalid_json", "The body must be a JSON object");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`);
    throw new HttpError(400, "invalid_payload", problems.join("; "));
  }
  return parsed.data;
}

/** The HTTP answer for an error raised by one of our SQL functions (by its SQLSTATE). */
export function databaseFailure(error: PostgrestError): HttpError {
  switch (error.code) {
    case "42501":
      return new HttpError(403, "forbidden", error.message);
    case "P0002":
      return new HttpError(404, "not_found", error.message);
    case "23505":
    case "55000":
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

/** The path below the function's name: `/admin-agents/quick-onboard` -> `quick-onboard`. */
export function routeOf(request: Request, functionName: string): string {
  const segments = new URL(request.url).pathname.split("/").filter(Boolean);
  return segments.slice(segments.indexOf(functionName) + 1).join("/");
}

/** Answers what a handler throws in the one error shape; unexpected errors are logged, not shown. */
export function withJsonErrors(name: string, handler: (request: Request) => Promise<Response>) {
  return async (request: Request): Promise<Response> => {
    try {
      if (request.method !== "POST") throw new HttpError(405, "method_not_allowed", `${name} takes POST requests`);
      return await handler(request);
    } catch (error) {
      if (error instanceof HttpError) return errorResponse(error.status, error.code, error.message, error.headers);
      log("error", "unhandled error", { function: name, request_id: request.headers.get("x-request-id"), error: String(error) });
      return errorResponse(500, "internal_error", "Something went wrong on our side; try again");
    }
  };
}
