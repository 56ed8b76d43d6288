// A business's Cal.com connection as the functions use it: loaded with the service role, tokens
// opened only in memory, the access token refreshed shortly before it expires and after a 401.
// Refreshes are serialised per connection across every function instance: one instance claims the
// refresh in the database, the others wait for the tokens it stores (Cal.com rotates refresh
// tokens, so two concurrent refreshes would leave one of them holding a dead token).
import { adminClient } from "./supabase.ts";
import { CalcomApi, CalcomError, CalcomOAuthError, refreshAccessToken, type CalcomTokens } from "./calcom-client.ts";
import { openToken, sealToken } from "./token-crypto.ts";
import { log } from "./log.ts";

const REFRESH_AHEAD_MS = 60_000;
const WAIT_FOR_OTHER_REFRESH_MS = 8_000;
const POLL_MS = 200;

const CONNECTION_COLUMNS =
  "id, user_id, status, external_user_id, external_username, external_email, time_zone, default_event_type_id, " +
  "booking_url, connected_at, access_token_encrypted, refresh_token_encrypted, token_key_id, token_expires_at";

export type CalcomConnection = {
  id: string;
  user_id: string;
  status: "connected" | "needs_reauth" | "disconnected";
  external_user_id: string | null;
  external_username: string | null;
  external_email: string | null;
  time_zone: string | null;
  default_event_type_id: number | null;
  booking_url: string | null;
  connected_at: string | null;
  access_token_encrypted: string;
  refresh_token_encrypted: string;
  token_key_id: string;
  token_expires_at: string;
};

/** The business has no usable connection: never connected, or Cal.com refused its refresh token. */
export class CalcomNotConnected extends Error {
  constructor(readonly reason: "not_connected" | "needs_reauth") {
    super(reason === "needs_reauth" ? "Cal.com needs to be reconnected" : "Cal.com is not connected");
    this.name = "CalcomNotConnected";
  }
}

const tokenContext = (userId: string, field: "access_token" | "refresh_token") => `calcom:${userId}:${field}`;

export type SealedTokens = {
  access_token_encrypted: string;
  refresh_token_encrypted: string;
  token_key_id: string;
  token_expires_at: string;
};

/** Seals a token pair for `userId` under the current key. */
export async function sealTokens(userId: string, tokens: CalcomTokens): Promise<SealedTokens> {
  const access = await sealToken(tokens.accessToken, tokenContext(userId, "access_token"));
  const refresh = await sealToken(tokens.refreshToken, tokenContext(userId, "refresh_token"));
  return {
    access_token_encrypted: access.sealed,
    refresh_token_encrypted: refresh.sealed,
    token_key_id: access.keyId,
    token_expires_at: new Date(Date.now() + tokens.expiresIn * 1000).toISOString(),
  };
}

export function openAccessToken(connection: CalcomConnection): Promise<string> {
  return openToken(connection.access_token_encrypted, connection.token_key_id, tokenContext(connection.user_id, "access_token"));
}

export function openRefreshToken(connection: CalcomConnection): Promise<string> {
  return openToken(connection.refresh_token_encrypted, connection.token_key_id, tokenContext(connection.user_id, "refresh_token"));
}

async function loadBy(column: "user_id" | "id", value: string): Promise<CalcomConnection | null> {
  const { data, error } = await adminClient()
    .from("integrations")
    .select(CONNECTION_COLUMNS)
    .eq("provider", "calcom")
    .eq(column, value)
    .maybeSingle();
  if (error) throw new Error(`loading the Cal.com connection failed: ${error.message}`);
  return data as CalcomConnection | null;
}

export function loadConnection(userId: string): Promise<CalcomConnection | null> {
  return loadBy("user_id", userId);
}

/** The user's connection, ready to use, or CalcomNotConnected. */
export async function requireConnection(userId: string): Promise<CalcomConnection> {
  const connection = await loadConnection(userId);
  if (!connection) throw new CalcomNotConnected("not_connected");
  if (connection.status !== "connected") throw new CalcomNotConnected("needs_reauth");
  return connection;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for the instance that holds the refresh claim to store new tokens, and returns them. */
async function awaitOtherRefresh(seen: CalcomConnection): Promise<CalcomConnection | "claim_free"> {
  const db = adminClient();
  const deadline = Date.now() + WAIT_FOR_OTHER_REFRESH_MS;
  while (Date.now() < deadline) {
    const latest = await loadBy("id", seen.id);
    if (!latest) throw new CalcomNotConnected("not_connected");
    if (latest.status !== "connected") throw new CalcomNotConnected("needs_reauth");
    if (latest.refresh_token_encrypted !== seen.refresh_token_encrypted) return latest;
    await sleep(POLL_MS);
    const { data: claimed, error } = await db.rpc("calcom_claim_token_refresh", {
      integration_id: seen.id,
      seen_refresh_token: seen.refresh_token_encrypted,
    });
    if (error) throw new Error(`claiming the token refresh failed: ${error.message}`);
    if (claimed) return "claim_free";
  }
  throw new CalcomError("unavailable", "another request is still refreshing the Cal.com token", null, "oauth.refresh");
}

/** New tokens for `seen`: refreshed by this instance, or by whichever instance got there first. */
export async function refreshConnection(seen: CalcomConnection): Promise<CalcomConnection> {
  const db = adminClient();
  const { data: claimed, error } = await db.rpc("calcom_claim_token_refresh", {
    integration_id: seen.id,
    seen_refresh_token: seen.refresh_token_encrypted,
  });
  if (error) throw new Error(`claiming the token refresh failed: ${error.message}`);
  if (!claimed) {
    const other = await awaitOtherRefresh(seen);
    if (other !== "claim_free") return other;
  }

  let tokens: CalcomTokens;
  try {
    tokens = await refreshAccessToken(await openRefreshToken(seen));
  } catch (error) {
    if (error instanceof CalcomOAuthError && error.error === "invalid_grant") {
      await db.rpc("calcom_mark_needs_reauth", { integration_id: seen.id, seen_refresh_token: seen.refresh_token_encrypted, reason: error.message });
      log("warn", "calcom refresh token refused", { integration_id: seen.id, user_id: seen.user_id });
      throw new CalcomNotConnected("needs_reauth");
    }
    await db.rpc("calcom_release_token_refresh", { integration_id: seen.id });
    throw error;
  }

  const sealed = await sealTokens(seen.user_id, tokens);
  const { data: saved, error: saveError } = await db.rpc("calcom_save_refreshed_tokens", {
    integration_id: seen.id,
    seen_refresh_token: seen.refresh_token_encrypted,
    ...sealed,
  });
  if (saveError) throw new Error(`storing refreshed tokens failed: ${saveError.message}`);
  log("info", "calcom tokens refreshed", { integration_id: seen.id, user_id: seen.user_id, stored: saved });
  // Not stored means the business reconnected meanwhile; the fresh tokens still work for this request.
  return { ...seen, ...sealed };
}

/**
 * Runs `work` with an API client for the connection: refreshes first when the access token is
 * about to expire, and once more when Cal.com answers 401 (a 401 means nothing was done, so
 * repeating `work` is safe).
 */
export async function withCalcom<T>(
  connection: CalcomConnection,
  work: (api: CalcomApi) => Promise<T>,
  timeoutMs?: number,
): Promise<T> {
  let current = connection;
  if (Date.parse(current.token_expires_at) - Date.now() < REFRESH_AHEAD_MS) current = await refreshConnection(current);
  try {
    return await work(new CalcomApi(await openAccessToken(current), timeoutMs));
  } catch (error) {
    if (!(error instanceof CalcomError && error.kind === "unauthorized")) throw error;
    current = await refreshConnection(current);
    return await work(new CalcomApi(await openAccessToken(current), timeoutMs));
  }
}
