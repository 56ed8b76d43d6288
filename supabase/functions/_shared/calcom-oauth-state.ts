// The OAuth `state` of a Cal.com consent round trip: 32 random bytes (base64url), of which the
// database keeps only the SHA-256, bound to the user who asked. Anything else that comes back to
// the callback (altered, guessed, replayed, late) finds no usable row.
import { requireEnv } from "./env.ts";

const STATE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newOAuthState(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function isWellFormedOAuthState(state: string | null): state is string {
  return state !== null && STATE_PATTERN.test(state);
}

export async function hashOAuthState(state: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(state)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Where Cal.com sends the browser back: the callback function, which needs no JWT. */
export function calcomRedirectUri(): string {
  return `${requireEnv("SUPABASE_URL").replace(/\/+$/, "")}/functions/v1/calcom-oauth-callback`;
}
