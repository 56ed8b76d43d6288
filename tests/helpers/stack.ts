// What every suite needs to talk to the local stack as its real users do: supabase-js clients as an
// anonymous visitor, a signed-in user and the service role, and a direct SQL connection for setup
// and for checking what was (or was not) written.
import type { SupabaseClient } from "@supabase/supabase-js";
import postgres from "postgres";
import { randomUUID } from "node:crypto";
import { afterAll } from "vitest";
import { API_URL, DB_URL, PUBLISHABLE_KEY, SECRET_KEY } from "../../stack/config.ts";
import { ANON_KEY, SERVICE_ROLE_KEY } from "../../stack/keys.ts";
import { signIn, type SignedInUser } from "../../stack/auth.ts";
import { anonClient, callFunction, serviceClient, userClient } from "../../stack/clients.ts";

export { API_URL, ANON_KEY, PUBLISHABLE_KEY, SECRET_KEY, SERVICE_ROLE_KEY, anonClient, callFunction, serviceClient, userClient };
export const FUNCTIONS_URL = `${API_URL}/functions/v1`;

export const sql = postgres(DB_URL, { max: 5, onnotice: () => {} });
afterAll(async () => {
  await sql.end({ timeout: 2 });
});

export type TestUser = SignedInUser & { client: SupabaseClient };

/** A new signed-in user with a unique email, and a supabase-js client acting as them. */
export async function newUser(prefix = "user", extraHeaders: Record<string, string> = {}): Promise<TestUser> {
  const user = await signIn(`${prefix}-${randomUUID().slice(0, 8)}@test.local`);
  return { ...user, client: userClient(user.accessToken, extraHeaders) };
}
