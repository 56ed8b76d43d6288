// Where Cal.com sends the browser back after consent (no JWT: the state authenticates the round
// trip). A state that is missing, altered, unknown, expired or already used gets a 400 and nothing
// is written. A good state is used up, the code exchanged, the account and its default event type
// read, the tokens sealed and stored, and the browser sent back to the frontend with the outcome.
import { errorResponse, HttpError, withJsonErrors } from "../_shared/http.ts";
import { requireEnv } from "../_shared/env.ts";
import { adminClient } from "../_shared/supabase.ts";
import { log } from "../_shared/log.ts";
import { CalcomApi, CalcomError, CalcomOAuthError, exchangeAuthorizationCode } from "../_shared/calcom-client.ts";
import { calcomRedirectUri, hashOAuthState, isWellFormedOAuthState } from "../_shared/calcom-oauth-state.ts";
import { sealTokens } from "../_shared/calcom-connection.ts";

/** The frontend page that shows the outcome (`?calcom=connected` or `?calcom=error&reason=...`). */
const FRONTEND_RETURN_PATH = "/settings/integrations";

const STATE_PROBLEMS: Record<string, string> = {
  unknown: "This Cal.com connection link is not one we issued (or it was altered). Start connecting again from the settings page.",
  expired: "This Cal.com connection link expired. Start connecting again from the settings page.",
  already_used: "This Cal.com connection link was already used. Start connecting again from the settings page.",
};

function backToFrontend(outcome: Record<string, string>): Response {
  const url = new URL(FRONTEND_RETURN_PATH, requireEnv("FRONTEND_URL"));
  for (const [key, value] of Object.entries(outcome)) url.searchParams.set(key, value);
  return new Response(null, { status: 302, headers: { Location: url.toString(), "Cache-Control": "no-store" } });
}

/** The user the state was issued to, after using it up; a 400 for any state we cannot honour. */
async function consumeState(state: string | null): Promise<string> {
  if (!isWellFormedOAuthState(state)) {
    throw new HttpError(400, "invalid_state", "The state parameter is missing or malformed.");
  }
  const { data, error } = await adminClient()
    .rpc("calcom_consume_oauth_state", { state_hash: await hashOAuthState(state) })
    .single<{ user_id: string | null; problem: string | null }>();
  if (error) throw new Error(`checking the OAuth state failed: ${error.message}`);
  if (!data.user_id) {
    const problem = data.problem ?? "unknown";
    throw new HttpError(400, `state_${problem}`, STATE_PROBLEMS[problem] ?? STATE_PROBLEMS.unknown);
  }
  return data.user_id;
}

/** Reads the account behind fresh tokens and stores the connection. */
async function connect(userId: string, code: string): Promise<void> {
  const tokens = await exchangeAuthorizationCode(code, calcomRedirectUri());
  const api = new CalcomApi(tokens.accessToken);
  const [me, eventTypes] = await Promise.all([api.me(), api.eventTypes()]);
  const defaultType = eventTypes.find((t) => !t.hidden) ?? null;
  const bookingUrl = me.username
    ? new URL(`/${me.username}${defaultType ? `/${defaultType.slug}` : ""}`, requireEnv("CALCOM_APP_BASE")).toString()
    : null;
  const { error } = await adminClient().rpc("calcom_save_connection", {
    target_user: userId,
    account: {
      external_user_id: String(me.id),
      external_username: me.username,
      external_email: me.email,
      time_zone: me.timeZone,
      default_event_type_id: defaultType?.id ?? null,
      booking_url: bookingUrl,
    },
    ...(await sealTokens(userId, tokens)),
    scopes: tokens.scopes,
  });
  if (error) throw new Error(`storing the connection failed: ${error.message}`);
  log("info", "calcom connected", { user_id: userId, calcom_user_id: me.id, default_event_type_id: defaultType?.id ?? null });
}

export const handleCalcomOAuthCallback = withJsonErrors("calcom-oauth-callback", async (request) => {
  if (request.method !== "GET") return errorResponse(405, "method_not_allowed", "Cal.com redirects here with GET", { Allow: "GET" });
  const params = new URL(request.url).searchParams;
  const userId = await consumeState(params.get("state"));

  const refusal = params.get("error");
  if (refusal) {
    log("info", "calcom consent not given", { user_id: userId, error: refusal });
    return backToFrontend({ calcom: "error", reason: refusal === "access_denied" ? "access_denied" : "calcom_refused" });
  }
  const code = params.get("code");
  if (!code) return backToFrontend({ calcom: "error", reason: "missing_code" });

  try {
    await connect(userId, code);
  } catch (error) {
    if (!(error instanceof CalcomOAuthError || error instanceof CalcomError)) throw error;
    log("warn", "calcom connection failed", { user_id: userId, error: error.message });
    return backToFrontend({ calcom: "error", reason: error instanceof CalcomOAuthError ? "exchange_failed" : "calcom_unavailable" });
  }
  return backToFrontend({ calcom: "connected" });
});
