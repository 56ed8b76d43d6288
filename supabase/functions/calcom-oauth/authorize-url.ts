// Starts a connection: a fresh state, bound to the acting user in the database (only its hash is
// stored), and the Cal.com consent URL the frontend sends the browser to.
import type { ActingUser } from "../_shared/calcom-request.ts";
import { authorizeUrl as consentUrl } from "../_shared/calcom-client.ts";
import { calcomRedirectUri, hashOAuthState, newOAuthState } from "../_shared/calcom-oauth-state.ts";

const STATE_TTL_SECONDS = 600;

export async function authorizeUrl(_request: Request, { client }: ActingUser) {
  const state = newOAuthState();
  const { data: expiresAt, error } = await client.rpc("calcom_start_oauth", {
    state_hash: await hashOAuthState(state),
    ttl_seconds: STATE_TTL_SECONDS,
  });
  if (error) throw new Error(`recording the OAuth state failed: ${error.message}`);
  return { url: consentUrl(state, calcomRedirectUri()), expires_at: expiresAt };
}
