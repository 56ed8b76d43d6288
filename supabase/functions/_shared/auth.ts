// Who is calling a function, checked by the function itself. On a project with JWT signing keys the
// platform's verify_jwt cannot check user tokens (it knows only the legacy secret), so every function
// runs with verify_jwt = false and trusts nothing it has not verified here:
// - a user: an access token verified against the project's JWKS (SUPABASE_JWKS) by the official
//   @supabase/server verifier (signature, kid, alg, expiry, audience); the user id is its `sub`;
// - the service role (the database's pg_net kicks, cron, operators' scripts): a secret key in the
//   apikey header, or the legacy service_role JWT, for a project that has not replaced it yet.
import { verifyAuth } from "@supabase/server/core";
import { requireEnv } from "./env.ts";
import { HttpError } from "./http.ts";

/** The signed-in user's id, read only from a verified token; a 401 for anything else. */
export async function verifiedUserId(request: Request): Promise<string> {
  const { data, error } = await verifyAuth(request, { auth: "user", audience: "authenticated" });
  const sub = data?.jwtClaims?.sub;
  if (error || typeof sub !== "string") {
    const why = error ? `: ${error.message}` : "";
    throw new HttpError(401, "not_signed_in", `Send a signed-in user's access token as Authorization: Bearer <token>${why}`);
  }
  return sub;
}

function constantTimeEqual(given: string, expected: string): boolean {
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  let difference = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) difference |= b[i] ^ (a[i] ?? 0);
  return difference === 0;
}

/** Only the database and operators' scripts hold a secret key (or the legacy service_role key). */
export async function requireServiceRole(request: Request): Promise<void> {
  const { error } = await verifyAuth(request, { auth: "secret:*" });
  if (!error) return;
  const legacyKey = requireEnv("SUPABASE_SERVICE_ROLE_KEY");
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "")?.[1] ?? "";
  const presented = [bearer, request.headers.get("apikey") ?? ""];
  if (presented.some((value) => constantTimeEqual(value, legacyKey))) return;
  throw new HttpError(403, "forbidden", "Only the service role may call this function");
}
