// Connecting Cal.com through OAuth, as a business owner's browser does: the state binds the round
// trip to the user and works once; tokens are sealed at rest and never readable by the owner;
// status shows the account without tokens; tokens refresh before expiry and after a 401, once
// across concurrent requests; disconnect revokes and deletes.
import { createHash, randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { ANON_KEY, callFunction, newUser, sql, type TestUser } from "../helpers/stack.ts";
import { newAdmin } from "../data-model/fixtures.ts";
import {
  authorizeUrl,
  calcomRequestsSince,
  connectCalcom,
  consent,
  env,
  fakeCalcom,
  keyIdOf,
  openCallback,
  openSealed,
  restoreCalcomFakeAfterAll,
  sealWith,
  signInAtCalcom,
  storedConnection,
  uniqueCalUser,
} from "./calcom.ts";

restoreCalcomFakeAfterAll();

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

async function integrationCount(userId: string): Promise<number> {
  const [{ count }] = await sql`select count(*)::int as count from public.integrations where user_id = ${userId}`;
  return count;
}

describe("authorize-url", () => {
  it("needs a signed-in user", async () => {
    const { status, body } = await callFunction("calcom-oauth/authorize-url");
    expect(status).toBe(401);
    expect(body.error.code).toBe("not_signed_in");
  });

  it("answers Cal.com's consent URL with a fresh state, of which only the hash is stored", async () => {
    const owner = await newUser("calcom");
    const url = await authorizeUrl(owner);
    expect(url.origin + url.pathname).toBe(`${env.CALCOM_APP_BASE}/auth/oauth2/authorize`);
    expect(url.searchParams.get("client_id")).toBe(env.CALCOM_CLIENT_ID);
    expect(url.searchParams.get("redirect_uri")).toBe("http://127.0.0.1:54321/functions/v1/calcom-oauth-callback");
    expect(url.searchParams.get("scope")!.split(" ")).toEqual(expect.arrayContaining(["BOOKING_WRITE", "PROFILE_READ"]));
    const state = url.searchParams.get("state")!;
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const rows = await sql`select state_hash, user_id, expires_at - created_at as ttl from private.calcom_oauth_states where user_id = ${owner.id}`;
    expect(rows).toHaveLength(1);
    expect(rows[0].state_hash).toBe(sha256(state));
    const [{ found }] = await sql`select count(*)::int as found from private.calcom_oauth_states where state_hash = ${state}`;
    expect(found).toBe(0);

    const second = await authorizeUrl(owner);
    expect(second.searchParams.get("state")).not.toBe(state);
  });
});

describe("callback", () => {
  let owner: TestUser;
  const calUser = uniqueCalUser({ timeZone: "America/Chicago" });
  beforeAll(async () => {
    owner = await newUser("calcom");
    await signInAtCalcom(calUser);
  });

  it("connects the user the state was issued to and sends the browser back to the frontend", async () => {
    const started = new Date().toISOString();
    const callback = await consent(await authorizeUrl(owner));
    expect(callback.origin + callback.pathname).toBe("http://127.0.0.1:54321/functions/v1/calcom-oauth-callback");
    const back = await openCallback(callback);
    expect(back.status).toBe(302);
    expect(back.location!.toString()).toBe(`${env.FRONTEND_URL}/settings/integrations?calcom=connected`);

    const [row] = await sql`
      select status, external_user_id, external_username, external_email, time_zone, default_event_type_id, booking_url, scopes, token_expires_at
      from public.integrations where user_id = ${owner.id} and provider = 'calcom'`;
    expect(row).toMatchObject({
      status: "connected",
      external_user_id: String(calUser.id),
      external_username: calUser.username,
      external_email: calUser.email,
      time_zone: "America/Chicago",
      default_event_type_id: "501",
      booking_url: `${env.CALCOM_APP_BASE}/${calUser.username}/service-call`,
    });
    expect(row.scopes).toEqual(expect.arrayContaining(["BOOKING_READ", "BOOKING_WRITE"]));
    expect(row.token_expires_at.getTime()).toBeGreaterThan(Date.now() + 25 * 60_000);

    // The exchange used our callback as redirect_uri, and the API calls sent their documented versions.
    const requests = await calcomRequestsSince(started);
    expect(requests.find((r) => r.path === "/v2/auth/oauth2/token")?.body).toMatchObject({
      grant_type: "authorization_code",
      redirect_uri: "http://127.0.0.1:54321/functions/v1/calcom-oauth-callback",
    });
    expect(requests.find((r) => r.path === "/v2/event-types")?.headers["cal-api-version"]).toBe("2024-06-14");
  });

  it("refuses a replayed callback with 400 and changes nothing", async () => {
    const callback = await consent(await authorizeUrl(owner));
    expect((await openCallback(callback)).status).toBe(302);
    const [before] = await sql`select updated_at, access_token_encrypted from public.integrations where user_id = ${owner.id}`;

    const replay = await openCallback(callback);
    expect(replay.status).toBe(400);
    expect(replay.body.error.code).toBe("state_already_used");
    const [after] = await sql`select updated_at, access_token_encrypted from public.integrations where user_id = ${owner.id}`;
    expect(after).toEqual(before);
  });

  it("refuses a tampered, unknown, malformed or missing state with 400 and writes nothing", async () => {
    const stranger = await newUser("calcom");
    const callback = await consent(await authorizeUrl(stranger));
    const state = callback.searchParams.get("state")!;

    const tampered = new URL(callback);
    tampered.searchParams.set("state", (state[0] === "A" ? "B" : "A") + state.slice(1));
    const forged = new URL(callback);
    forged.searchParams.set("state", randomBytes(32).toString("base64url"));
    const malformed = new URL(callback);
    malformed.searchParams.set("state", `${state}'--`);
    const missing = new URL(callback);
    missing.searchParams.delete("state");

    expect((await openCallback(tampered)).body.error.code).toBe("state_unknown");
    expect((await openCallback(forged)).body.error.code).toBe("state_unknown");
    expect((await openCallback(malformed)).body.error.code).toBe("invalid_state");
    const none = await openCallback(missing);
    expect(none.status).toBe(400);
    expect(none.body.error.code).toBe("invalid_state");
    expect(await integrationCount(stranger.id)).toBe(0);

    // The genuine state was not used up by the forgeries.
    expect((await openCallback(callback)).status).toBe(302);
    expect(await integrationCount(stranger.id)).toBe(1);
  });

  it("refuses an expired state with 400 and writes nothing", async () => {
    const late = await newUser("calcom");
    const callback = await consent(await authorizeUrl(late));
    await sql`update private.calcom_oauth_states set created_at = now() - interval '20 minutes', expires_at = now() - interval '10 minutes'
              where state_hash = ${sha256(callback.searchParams.get("state")!)}`;
    const back = await openCallback(callback);
    expect(back.status).toBe(400);
    expect(back.body.error.code).toBe("state_expired");
    expect(await integrationCount(late.id)).toBe(0);
  });

  it("sends the browser back with the reason when the owner declines, without connecting", async () => {
    const declining = await newUser("calcom");
    const url = await authorizeUrl(declining);
    const callback = new URL(url.searchParams.get("redirect_uri")!);
    callback.searchParams.set("state", url.searchParams.get("state")!);
    callback.searchParams.set("error", "access_denied");
    const back = await openCallback(callback);
    expect(back.status).toBe(302);
    expect(back.location!.searchParams.get("calcom")).toBe("error");
    expect(back.location!.searchParams.get("reason")).toBe("access_denied");
    expect(await integrationCount(declining.id)).toBe(0);
  });
});

describe("tokens at rest", () => {
  it("are sealed with the configured key, bound to their owner, and not selectable by the owner", async () => {
    const owner = await newUser("calcom");
    await signInAtCalcom(uniqueCalUser());
    const started = new Date().toISOString();
    await connectCalcom(owner);
    // The access token the function used, as Cal.com saw it.
    const [meRequest] = await calcomRequestsSince(started, "/v2/me");
    const accessToken = (meRequest.headers.authorization as string).replace(/^Bearer /, "");

    const stored = (await storedConnection(owner.id))!;
    expect(stored.token_key_id).toBe(keyIdOf(env.CALCOM_ENCRYPTION_KEY));
    expect(stored.access_token_encrypted).not.toContain(accessToken);
    expect(stored.access_token_encrypted).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(openSealed(stored.access_token_encrypted, env.CALCOM_ENCRYPTION_KEY, `calcom:${owner.id}:access_token`)).toBe(accessToken);
    expect(openSealed(stored.refresh_token_encrypted, env.CALCOM_ENCRYPTION_KEY, `calcom:${owner.id}:refresh_token`)).toMatch(/^cal_rt_/);

    // Another key, or the same value presented as another user's or another column's, does not open.
    const otherKey = randomBytes(32).toString("base64");
    expect(() => openSealed(stored.access_token_encrypted, otherKey, `calcom:${owner.id}:access_token`)).toThrow();
    expect(() => openSealed(stored.access_token_encrypted, env.CALCOM_ENCRYPTION_KEY, `calcom:${owner.id}:refresh_token`)).toThrow();

    // The owner reads the connection but not the token columns, whichever way they ask.
    const visible = await owner.client.from("integrations").select("status, external_username").eq("user_id", owner.id).single();
    expect(visible.error).toBeNull();
    for (const columns of ["access_token_encrypted", "refresh_token_encrypted", "token_key_id", "*"]) {
      const attempt = await owner.client.from("integrations").select(columns).eq("user_id", owner.id);
      expect(attempt.error?.code, columns).toBe("42501");
      expect(attempt.data).toBeNull();
    }
  });
});

describe("key rotation", () => {
  it("opens tokens sealed with a retired key and seals them again with the current key at the next refresh", async () => {
    const owner = await newUser("calcom");
    await signInAtCalcom(uniqueCalUser());
    await connectCalcom(owner);
    const retired = env.CALCOM_ENCRYPTION_KEYS_PREVIOUS.split(",")[0];
    const stored = (await storedConnection(owner.id))!;
    const context = (field: string) => `calcom:${owner.id}:${field}`;
    const reseal = (sealed: string, field: string) =>
      sealWith(openSealed(sealed, env.CALCOM_ENCRYPTION_KEY, context(field)), retired, context(field));
    await sql`
      update public.integrations
      set access_token_encrypted = ${reseal(stored.access_token_encrypted, "access_token")},
          refresh_token_encrypted = ${reseal(stored.refresh_token_encrypted, "refresh_token")},
          token_key_id = ${keyIdOf(retired)}
      where id = ${stored.id}`;

    const withRetiredKey = await callFunction("calcom-oauth/status", { method: "GET", token: owner.accessToken });
    expect(withRetiredKey.body.calendar_reachable).toBe(true);

    await fakeCalcom("POST", "/__control/expire-tokens");
    const refreshed = await callFunction("calcom-oauth/status", { method: "GET", token: owner.accessToken });
    expect(refreshed.body.calendar_reachable).toBe(true);
    expect((await storedConnection(owner.id))!.token_key_id).toBe(keyIdOf(env.CALCOM_ENCRYPTION_KEY));
  });
});

describe("status", () => {
  it("shows the account, its default event type and booking link, never tokens", async () => {
    const owner = await newUser("calcom");
    const none = await callFunction("calcom-oauth/status", { method: "GET", token: owner.accessToken });
    expect(none).toMatchObject({ status: 200, body: { connected: false, status: "not_connected" } });

    const calUser = uniqueCalUser();
    await signInAtCalcom(calUser);
    await connectCalcom(owner);
    const { status, body } = await callFunction("calcom-oauth/status", { method: "GET", token: owner.accessToken });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      connected: true,
      status: "connected",
      calendar_reachable: true,
      account: { id: String(calUser.id), username: calUser.username, email: calUser.email, time_zone: calUser.timeZone },
      default_event_type: { id: 501, title: "Service call", slug: "service-call", length_in_minutes: 60 },
      booking_url: `${env.CALCOM_APP_BASE}/${calUser.username}/service-call`,
    });
    const text = JSON.stringify(body);
    expect(text).not.toMatch(/token|cal_at_|cal_rt_|v1\./);
  });

  it("acts for the user an admin impersonates, and refuses a token that is no user's", async () => {
    const owner = await newUser("calcom");
    const calUser = uniqueCalUser();
    await signInAtCalcom(calUser);
    await connectCalcom(owner);
    const admin = await newAdmin();
    const { data: session } = await admin.client.rpc("admin_start_impersonation", { target_user_id: owner.id, reason: "calendar support", minutes: 10 });
    const asOwner = await callFunction("calcom-oauth/status", { method: "GET", token: admin.accessToken, headers: { "x-impersonation-session": session.id } });
    expect(asOwner.body).toMatchObject({ connected: true, account: { username: calUser.username } });
    const asThemselves = await callFunction("calcom-oauth/status", { method: "GET", token: admin.accessToken });
    expect(asThemselves.body).toMatchObject({ connected: false });

    const anonymous = await callFunction("calcom-oauth/status", { method: "GET", token: ANON_KEY });
    expect(anonymous).toMatchObject({ status: 401, body: { error: { code: "not_signed_in" } } });
  });

  it("answers 405 for the wrong method and 404 for an unknown route", async () => {
    const owner = await newUser("calcom");
    expect((await callFunction("calcom-oauth/status", { method: "DELETE", token: owner.accessToken })).status).toBe(405);
    const unknown = await callFunction("calcom-oauth/tokens", { method: "GET", token: owner.accessToken });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("route_not_found");
  });
});

describe("token refresh", () => {
  let owner: TestUser;
  beforeAll(async () => {
    owner = await newUser("calcom");
    await signInAtCalcom(uniqueCalUser());
    await connectCalcom(owner);
  });

  async function refreshRequestsSince(since: string) {
    return (await calcomRequestsSince(since, "/v2/auth/oauth2/token")).filter((r) => r.body?.grant_type === "refresh_token");
  }

  it("refreshes after Cal.com answers 401, and the call succeeds", async () => {
    const before = (await storedConnection(owner.id))!;
    const started = new Date().toISOString();
    await fakeCalcom("POST", "/__control/expire-tokens");

    const { body } = await callFunction("calcom-oauth/status", { method: "GET", token: owner.accessToken });
    expect(body).toMatchObject({ connected: true, calendar_reachable: true });
    expect(await refreshRequestsSince(started)).toHaveLength(1);
    const after = (await storedConnection(owner.id))!;
    expect(after.refresh_token_encrypted).not.toBe(before.refresh_token_encrypted);
    expect(after.access_token_encrypted).not.toBe(before.access_token_encrypted);
  });

  it("refreshes ahead of the expiry it was told", async () => {
    await sql`update public.integrations set token_expires_at = now() + interval '20 seconds' where user_id = ${owner.id}`;
    const started = new Date().toISOString();
    const { body } = await callFunction("calcom-oauth/status", { method: "GET", token: owner.accessToken });
    expect(body.calendar_reachable).toBe(true);
    expect(await refreshRequestsSince(started)).toHaveLength(1);
    // No 401 was needed: the only API call went out with the new token.
    const eventTypeCalls = await calcomRequestsSince(started, "/v2/event-types");
    expect(eventTypeCalls).toHaveLength(1);
    expect((await storedConnection(owner.id))!.token_expires_at.getTime()).toBeGreaterThan(Date.now() + 25 * 60_000);
  });

  it("refreshes once when many requests find the token expired at the same time", async () => {
    const started = new Date().toISOString();
    await fakeCalcom("POST", "/__control/expire-tokens");
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => callFunction("calcom-oauth/status", { method: "GET", token: owner.accessToken })),
    );
    for (const answer of answers) expect(answer.body).toMatchObject({ connected: true, calendar_reachable: true });
    expect(await refreshRequestsSince(started)).toHaveLength(1);
    expect((await storedConnection(owner.id))!.status).toBe("connected");
  });

  it("marks the connection as needing a new consent when Cal.com refuses the refresh token", async () => {
    const doomed = await newUser("calcom");
    await signInAtCalcom(uniqueCalUser());
    await connectCalcom(doomed);
    // Cal.com forgets the grant (revoked on its side); the stored refresh token is now dead.
    const stored = (await storedConnection(doomed.id))!;
    const refreshToken = openSealed(stored.refresh_token_encrypted, env.CALCOM_ENCRYPTION_KEY, `calcom:${doomed.id}:refresh_token`);
    await fakeCalcom("POST", "/v2/auth/oauth2/revoke", { client_id: env.CALCOM_CLIENT_ID, client_secret: env.CALCOM_CLIENT_SECRET, token: refreshToken });

    const { body } = await callFunction("calcom-oauth/status", { method: "GET", token: doomed.accessToken });
    expect(body).toMatchObject({ connected: false, status: "needs_reauth", calendar_reachable: false });
    expect((await storedConnection(doomed.id))!.status).toBe("needs_reauth");
    const alerts = await sql`select kind from public.ops_alerts where user_id = ${doomed.id} and resolved_at is null`;
    expect(alerts.map((a) => a.kind)).toEqual(["calcom_needs_reauth"]);
  });
});

describe("disconnect", () => {
  it("revokes the grant at Cal.com and deletes the connection; a second disconnect is harmless", async () => {
    const owner = await newUser("calcom");
    await signInAtCalcom(uniqueCalUser());
    const started = new Date().toISOString();
    await connectCalcom(owner);
    const [meRequest] = await calcomRequestsSince(started, "/v2/me");
    const accessToken = (meRequest.headers.authorization as string).replace(/^Bearer /, "");

    const { status, body } = await callFunction("calcom-oauth/disconnect", { token: owner.accessToken });
    expect(status).toBe(200);
    expect(body).toEqual({ disconnected: true, revoked: true, status: "not_connected" });
    expect(await integrationCount(owner.id)).toBe(0);
    expect((await fakeCalcom("GET", "/v2/me", undefined, accessToken)).status).toBe(401);

    const again = await callFunction("calcom-oauth/disconnect", { token: owner.accessToken });
    expect(again.body).toEqual({ disconnected: false, status: "not_connected" });
    const shown = await callFunction("calcom-oauth/status", { method: "GET", token: owner.accessToken });
    expect(shown.body.connected).toBe(false);
  });

  it("only ever touches the caller's own connection", async () => {
    const owner = await newUser("calcom");
    const other = await newUser("calcom");
    await signInAtCalcom(uniqueCalUser());
    await connectCalcom(owner);
    const { body } = await callFunction("calcom-oauth/disconnect", { token: other.accessToken });
    expect(body.disconnected).toBe(false);
    expect(await integrationCount(owner.id)).toBe(1);
  });
});
