// Clients of the local stack as a frontend, a script or a test uses them: supabase-js with the
// publishable key (the secret key for the service role), and plain HTTP calls to Edge Functions.
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import ws from "ws";
import { API_URL, PUBLISHABLE_KEY, SECRET_KEY } from "./config.ts";

// Node 20 has no WebSocket of its own; supabase-js needs one for its (unused here) realtime client.
const clientOptions = {
  auth: { persistSession: false, autoRefreshToken: false },
  realtime: { transport: ws as unknown as typeof WebSocket },
};

/** A visitor who is not signed in (or is about to sign in), with any extra headers. */
export function anonClient(extraHeaders: Record<string, string> = {}): SupabaseClient {
  return createClient(API_URL, PUBLISHABLE_KEY, { ...clientOptions, global: { headers: extraHeaders } });
}

export function serviceClient(): SupabaseClient {
  return createClient(API_URL, SECRET_KEY, clientOptions);
}

/** A client acting as a signed-in user (their access token), with any extra headers. */
export function userClient(accessToken: string, extraHeaders: Record<string, string> = {}): SupabaseClient {
  return createClient(API_URL, PUBLISHABLE_KEY, {
    ...clientOptions,
    global: { headers: { Authorization: `Bearer ${accessToken}`, ...extraHeaders } },
  });
}

/** Calls an Edge Function through the gateway, as a browser or a webhook sender would. */
export async function callFunction(
  name: string,
  init: { method?: string; body?: unknown; rawBody?: string; headers?: Record<string, string>; token?: string } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { "content-type": "application/json", ...(init.headers ?? {}) };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const response = await fetch(`${API_URL}/functions/v1/${name}`, {
    method: init.method ?? "POST",
    headers,
    body: init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
  });
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body, headers: response.headers };
}
