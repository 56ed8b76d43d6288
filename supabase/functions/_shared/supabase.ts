// Supabase clients for functions. The admin client uses the service role and bypasses RLS, so it is
// only for work the function has already authorised; the user client acts as the caller, under RLS.
// They use the project's default secret and publishable keys (what the platform injects as
// SUPABASE_SECRET_KEYS and SUPABASE_PUBLISHABLE_KEYS), or the legacy keys where those are absent.
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { optionalEnv, requireEnv } from "./env.ts";

const clientOptions = { auth: { persistSession: false, autoRefreshToken: false } };
let admin: SupabaseClient | undefined;

/** The `default` key of a JSON dictionary of keys, else the legacy variable. */
function projectKey(keysVariable: string, legacyVariable: string): string {
  const keys = optionalEnv(keysVariable);
  const key = keys ? (JSON.parse(keys) as Record<string, string>).default : undefined;
  return key ?? requireEnv(legacyVariable);
}

export function adminClient(): SupabaseClient {
  admin ??= createClient(requireEnv("SUPABASE_URL"), projectKey("SUPABASE_SECRET_KEYS", "SUPABASE_SERVICE_ROLE_KEY"), clientOptions);
  return admin;
}

/** Headers the database reads from a request (impersonation, the admin access code), passed on as sent. */
const FORWARDED_HEADERS = ["x-impersonation-session", "x-admin-access-code", "x-request-id"];

/** A client acting as the caller: RLS, auth.uid(), impersonation and the admin gate as in the database. */
export function userClient(request: Request): SupabaseClient {
  const headers: Record<string, string> = { Authorization: request.headers.get("Authorization") ?? "" };
  for (const name of FORWARDED_HEADERS) {
    const value = request.headers.get(name);
    if (value) headers[name] = value;
  }
  const publishableKey = projectKey("SUPABASE_PUBLISHABLE_KEYS", "SUPABASE_ANON_KEY");
  return createClient(requireEnv("SUPABASE_URL"), publishableKey, { ...clientOptions, global: { headers } });
}
