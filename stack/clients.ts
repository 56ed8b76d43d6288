// supabase-js clients against the local stack, as a frontend, a script or a test creates them.
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import ws from "ws";
import { API_URL } from "./config.ts";
import { ANON_KEY, SERVICE_ROLE_KEY } from "./keys.ts";

// Node 20 has no WebSocket of its own; supabase-js needs one for its (unused here) realtime client.
const clientOptions = {
  auth: { persistSession: false, autoRefreshToken: false },
  realtime: { transport: ws as unknown as typeof WebSocket },
};

export function anonClient(): SupabaseClient {
  return createClient(API_URL, ANON_KEY, clientOptions);
}

export function serviceClient(): SupabaseClient {
  return createClient(API_URL, SERVICE_ROLE_KEY, clientOptions);
}

/** A client acting as a signed-in user (their access token), with any extra headers. */
export function userClient(accessToken: string, extraHeaders: Record<string, string> = {}): SupabaseClient {
  return createClient(API_URL, ANON_KEY, {
    ...clientOptions,
    global: { headers: { Authorization: `Bearer ${accessToken}`, ...extraHeaders } },
  });
}
