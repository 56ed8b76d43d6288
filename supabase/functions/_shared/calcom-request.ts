// Request plumbing of the Cal.com functions: who the caller acts for (checked by PostgREST, so
// impersonation works exactly as in the database), the route below the function's name, and one
// JSON error shape for everything a handler throws.
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { requireEnv } from "./env.ts";
import { HttpError } from "./http.ts";
import { errorAnswer, requestIdOf } from "./retell-request.ts";

/** Headers the database reads from a request (impersonation, the admin gate): passed on as the caller sent them. */
const FORWARDED_HEADERS = ["x-impersonation-session", "x-admin-access-code", "x-forwarded-for", "x-request-id"];

/** A supabase-js client acting as the caller, under RLS, with the caller's impersonation headers. */
function actingClient(request: Request, authorization: string): SupabaseClient {
  const headers: Record<string, string> = { Authorization: authorization };
  for (const name of FORWARDED_HEADERS) {
    const value = request.headers.get(name);
    if (value) headers[name] = value;
  }
  return createClient(requireEnv("SUPABASE_URL"), requireEnv("SUPABASE_ANON_KEY"), {
    auth: { persistSession: false, autoRefreshToken: false },
    global: { headers },
  });
}

export type ActingUser = { userId: string; client: SupabaseClient };

/** The user the request acts for (the caller, or the user an admin impersonates), or a 401/403. */
export async function actingUser(request: Request): Promise<ActingUser> {
  const authorization = request.headers.get("authorization");
  if (!authorization || !/^Bearer\s+\S+/i.test(authorization)) {
    throw new HttpError(401, "not_signed_in", "Send the user's access token as Authorization: Bearer <token>");
  }
  const client = actingClient(request, authorization);
  const { data, error } = await client.rpc("calcom_acting_user");
  if (error) {
    if (/impersonation/i.test(error.message)) throw new HttpError(403, "impersonation_inactive", error.message);
    if (error.code === "22023") throw new HttpError(400, "invalid_impersonation_header", error.message);
    // 42501: no user behind the token (anon key); PGRST30x: PostgREST refused the JWT.
    if (error.code === "42501" || error.code?.startsWith("PGRST30")) {
      throw new HttpError(401, "not_signed_in", "The access token is not a signed-in user's");
    }
    throw new Error(`checking the caller failed: ${error.message}`);
  }
  return { userId: data as string, client };
}

/** The path below the function's own name: `/calcom-oauth/status` -> `status`. */
export function routeOf(request: Request, functionName: string): string {
  const segments = new URL(request.url).pathname.split("/").filter(Boolean);
  const at = segments.indexOf(functionName);
  return segments.slice(at + 1).join("/");
}

/** Answers what a handler throws in the one error shape; unexpected errors are logged, not shown. */
export function withJsonErrors(name: string, handler: (request: Request) => Promise<Response>) {
  return async (request: Request): Promise<Response> => {
    try {
      return await handler(request);
    } catch (error) {
      return errorAnswer(error, { function: name, request_id: requestIdOf(request) });
    }
  };
}
