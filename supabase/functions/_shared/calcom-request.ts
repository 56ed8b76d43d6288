// Whom a Cal.com function acts for: the caller, or the user an admin impersonates, as PostgREST
// and the database decide it (so impersonation works exactly as in the database).
import type { SupabaseClient } from "@supabase/supabase-js";
import { verifiedUserId } from "./auth.ts";
import { HttpError } from "./http.ts";
import { userClient } from "./supabase.ts";

export type ActingUser = { userId: string; client: SupabaseClient };

/** The user the request acts for (the caller, or the user an admin impersonates), or a 401/403. */
export async function actingUser(request: Request): Promise<ActingUser> {
  await verifiedUserId(request);
  const client = userClient(request);
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
