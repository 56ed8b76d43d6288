// Supabase clients for functions. The admin client uses the service role and bypasses RLS, so it is
// only for work the function has already authorised; the user client acts as the caller, under RLS.
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { requireEnv } from "./env.ts";

const clientOptions = { auth: { persistSession: false, autoRefreshToken: false } };
let admin: SupabaseClient | undefined;

export function adminClient(): SupabaseClient {
  admin ??= createClient(requireEnv("SUPABASE_URL"), requireEnv("SUPABASE_SERVICE_ROLE_KEY"), clientOptions);
  return admin;
}

export function userClient(request: Request): SupabaseClient {
  return createClient(requireEnv("SUPABASE_URL"), requireEnv("SUPABASE_ANON_KEY"), {
    ...clientOptions,
    global: { headers: { Authorization: request.headers.get("Authorization") ?? "" } },
  });
}
