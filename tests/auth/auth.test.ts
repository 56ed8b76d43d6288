// The Auth stand-in through the gateway, driven by supabase-js as the frontend and our functions
// drive Supabase Auth: sign-up, password sign-in, refresh with rotation, the current user, sign-out
// scopes, the admin API, and the JWKS. Rows land in Auth's own tables in Auth's shape.
import { randomUUID } from "node:crypto";
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { API_URL, TEST_PASSWORD } from "../../stack/config.ts";
import { anonClient, PUBLISHABLE_KEY, serviceClient, sql, userClient } from "../helpers/stack.ts";

const AUTH = `${API_URL}/auth/v1`;
const sessionIdOf = (accessToken: string): string => String(decodeJwt(accessToken).session_id);
const email = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}@test.local`;

async function signedUp(prefix: string, headers: Record<string, string> = {}) {
  const client = anonClient(headers);
  const address = email(prefix);
  const { data, error } = await client.auth.signUp({ email: address, password: TEST_PASSWORD, options: { data: { full_name: "Sue Signup" } } });
  expect(error).toBeNull();
  return { client, address, session: data.session!, user: data.user! };
}

describe("sign-up and sign-in", () => {
  it("signs a new user up (confirmed, as `supabase start` has it) with an ES256 token from the published key", async () => {
    const { session, user, address } = await signedUp("signup");
    expect(user).toMatchObject({ email: address, aud: "authenticated", role: "authenticated", user_metadata: { full_name: "Sue Signup", email_verified: true } });
    expect(user.identities).toEqual([expect.objectContaining({ provider: "email", id: user.id, identity_data: expect.objectContaining({ email: address }) })]);
    expect(session).toMatchObject({ token_type: "bearer", expires_in: 3600 });

    const jwks = await (await fetch(`${AUTH}/.well-known/jwks.json`)).json();
    expect(jwks.keys).toEqual([expect.objectContaining({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" })]);
    expect(jwks.keys[0].d).toBeUndefined();
    const header = decodeProtectedHeader(session.access_token);
    expect(header).toMatchObject({ alg: "ES256", kid: jwks.keys[0].kid });
    const { payload } = await jwtVerify(session.access_token, createRemoteJWKSet(new URL(`${AUTH}/.well-known/jwks.json`)), {
      issuer: AUTH,
      audience: "authenticated",
    });
    expect(payload).toMatchObject({ sub: user.id, email: address, role: "authenticated", aal: "aal1", amr: [expect.objectContaining({ method: "password" })] });
  });

  it("stores the user as Auth does: every token column a string, bcrypt password, an email identity", async () => {
    const { user } = await signedUp("shape");
    const [row] = await sql`
      select confirmation_token, recovery_token, email_change_token_new, email_change, encrypted_password, email_confirmed_at is not null as confirmed,
             (select count(*)::int from auth.identities i where i.user_id = u.id and i.provider = 'email') as identities
      from auth.users u where id = ${user.id}`;
    expect(row).toMatchObject({ confirmation_token: "", recovery_token: "", email_change_token_new: "", email_change: "", confirmed: true, identities: 1 });
    expect(row.encrypted_password).toMatch(/^\$2a\$10\$/);
  });

  it("refuses a second sign-up, a weak password, an invalid email and wrong credentials with GoTrue's codes", async () => {
    const { address } = await signedUp("codes");
    const auth = anonClient().auth;
    expect((await auth.signUp({ email: address, password: TEST_PASSWORD })).error).toMatchObject({ status: 422, code: "user_already_exists" });
    expect((await auth.signUp({ email: email("weak"), password: "123" })).error).toMatchObject({ status: 422, code: "weak_password" });
    expect((await auth.signUp({ email: "not-an-email", password: TEST_PASSWORD })).error).toMatchObject({ status: 400, code: "validation_failed" });
    expect((await auth.signInWithPassword({ email: address, password: "wrong-password" })).error).toMatchObject({ status: 400, code: "invalid_credentials" });
    expect((await auth.signInWithPassword({ email: email("nobody"), password: TEST_PASSWORD })).error).toMatchObject({ status: 400, code: "invalid_credentials" });
  });

  it("signs in with the password, recording the browser and the address the gateway saw on the session", async () => {
    const { address } = await signedUp("signin");
    const client = anonClient({ "User-Agent": "Test Browser/1.0", "X-Forwarded-For": "203.0.113.5" });
    const { data, error } = await client.auth.signInWithPassword({ email: address, password: TEST_PASSWORD });
    expect(error).toBeNull();
    const [session] = await sql`select user_agent, host(ip) as ip, aal::text from auth.sessions where id = ${sessionIdOf(data.session!.access_token)}`;
    expect(session).toEqual({ user_agent: "Test Browser/1.0", ip: "127.0.0.1", aal: "aal1" });
  });

  it("refuses a user a bare SQL insert made: Auth cannot read the NULL token columns (supabase/auth issue 1940)", async () => {
    const address = email("sql-made");
    await sql`
      insert into auth.users (id, aud, role, email, encrypted_password, email_confirmed_at)
      values (gen_random_uuid(), 'authenticated', 'authenticated', ${address}, extensions.crypt(${TEST_PASSWORD}, extensions.gen_salt('bf')), now())`;
    try {
      const response = await fetch(`${AUTH}/token?grant_type=password`, {
        method: "POST",
        headers: { apikey: PUBLISHABLE_KEY, "content-type": "application/json", "x-supabase-api-version": "2024-01-01" },
        body: JSON.stringify({ email: address, password: TEST_PASSWORD }),
      });
      expect(response.status).toBe(500);
      expect(await response.json()).toMatchObject({ code: "unexpected_failure", message: "Database error querying schema" });
    } finally {
      await sql`delete from auth.users where email = ${address}`;
    }
  });
});


describe("sessions", () => {
  it("rotates refresh tokens: the new one works, the used one is refused after the reuse interval", async () => {
    const { session } = await signedUp("refresh");
    const auth = anonClient().auth;
    const first = await auth.refreshSession({ refresh_token: session.refresh_token });
    expect(first.error).toBeNull();
    expect(first.data.session!.refresh_token).not.toBe(session.refresh_token);
    expect(sessionIdOf(first.data.session!.access_token)).toBe(sessionIdOf(session.access_token));
    const [parent] = await sql`select revoked from auth.refresh_tokens where token = ${session.refresh_token}`;
    expect(parent.revoked).toBe(true);
    // Within the reuse interval a second use of the old token gets the current one (two tabs at once).
    const concurrent = await auth.refreshSession({ refresh_token: session.refresh_token });
    expect(concurrent.data.session!.refresh_token).toBe(first.data.session!.refresh_token);
    // After it, the old token is a replay: refused, and the whole session's tokens are revoked.
    await sql`update auth.refresh_tokens set created_at = now() - interval '1 minute' where token = ${first.data.session!.refresh_token}`;
    expect((await auth.refreshSession({ refresh_token: session.refresh_token })).error).toMatchObject({ status: 400, code: "refresh_token_already_used" });
    expect((await auth.refreshSession({ refresh_token: first.data.session!.refresh_token })).error).toMatchObject({ code: "refresh_token_already_used" });
    expect((await auth.refreshSession({ refresh_token: "nosuchtoken1" })).error).toMatchObject({ status: 400, code: "refresh_token_not_found" });
  });

  it("answers the current user, and updates the password and metadata", async () => {
    const { session, address } = await signedUp("user");
    const auth = userClient(session.access_token).auth;
    const { data } = await auth.getUser(session.access_token);
    expect(data.user).toMatchObject({ email: address });
    const client = anonClient();
    await client.auth.setSession({ access_token: session.access_token, refresh_token: session.refresh_token });
    const changed = await client.auth.updateUser({ password: "a-new-password", data: { full_name: "Renamed" } });
    expect(changed.error).toBeNull();
    expect(changed.data.user!.user_metadata.full_name).toBe("Renamed");
    expect((await anonClient().auth.signInWithPassword({ email: address, password: "a-new-password" })).error).toBeNull();
    expect((await anonClient().auth.signInWithPassword({ email: address, password: TEST_PASSWORD })).error).toMatchObject({ code: "invalid_credentials" });
  });

  it("signs out this session, the others, or all of them", async () => {
    const { address, session: first } = await signedUp("logout");
    const second = (await anonClient().auth.signInWithPassword({ email: address, password: TEST_PASSWORD })).data.session!;
    const third = (await anonClient().auth.signInWithPassword({ email: address, password: TEST_PASSWORD })).data.session!;
    const sessions = async () => (await sql`select id from auth.sessions where user_id = ${second.user.id}`).map((s) => s.id).sort();
    const ids = [first, second, third].map((s) => sessionIdOf(s.access_token));

    const as = async (session: typeof first) => {
      const client = anonClient();
      await client.auth.setSession({ access_token: session.access_token, refresh_token: session.refresh_token });
      return client;
    };
    expect((await (await as(first)).auth.signOut({ scope: "local" })).error).toBeNull();
    expect(await sessions()).toEqual([ids[1], ids[2]].sort());
    const signedOut = await fetch(`${AUTH}/user`, { headers: { apikey: PUBLISHABLE_KEY, authorization: `Bearer ${first.access_token}` } });
    expect({ status: signedOut.status, code: signedOut.headers.get("x-sb-error-code") }).toEqual({ status: 403, code: "session_not_found" });
    expect((await (await as(second)).auth.signOut({ scope: "others" })).error).toBeNull();
    expect(await sessions()).toEqual([ids[1]]);
    expect((await anonClient().auth.refreshSession({ refresh_token: third.refresh_token })).error).toMatchObject({ status: 400 });
    expect((await (await as(second)).auth.signOut({ scope: "global" })).error).toBeNull();
    expect(await sessions()).toEqual([]);
  });
});

describe("the admin API (secret key)", () => {
  const admin = () => serviceClient().auth.admin;

  it("creates, reads, updates, lists and deletes users", async () => {
    const address = email("admin-made");
    const created = await admin().createUser({ email: address, password: TEST_PASSWORD, email_confirm: true, user_metadata: { full_name: "Ada Made" } });
    expect(created.error).toBeNull();
    const id = created.data.user!.id;
    expect((await admin().createUser({ email: address, password: TEST_PASSWORD })).error).toMatchObject({ status: 422, code: "email_exists" });
    expect((await admin().getUserById(id)).data.user).toMatchObject({ email: address, user_metadata: { full_name: "Ada Made" } });
    expect((await anonClient().auth.signInWithPassword({ email: address, password: TEST_PASSWORD })).error).toBeNull();

    const updated = await admin().updateUserById(id, { user_metadata: { plan: "pro" }, app_metadata: { tier: "gold" } });
    expect(updated.data.user).toMatchObject({ user_metadata: { full_name: "Ada Made", plan: "pro" }, app_metadata: { provider: "email", tier: "gold" } });
    const banned = await admin().updateUserById(id, { ban_duration: "24h" });
    expect(banned.data.user!.banned_until).toBeDefined();
    expect((await anonClient().auth.signInWithPassword({ email: address, password: TEST_PASSWORD })).error).toMatchObject({ code: "user_banned" });

    const page = await admin().listUsers({ page: 1, perPage: 2 });
    expect(page.error).toBeNull();
    expect(page.data.users).toHaveLength(2);
    expect((page.data as { total?: number }).total).toBeGreaterThan(2);
    expect(page.data).toMatchObject({ nextPage: 2 });

    expect((await admin().deleteUser(id)).error).toBeNull();
    expect((await admin().getUserById(id)).error).toMatchObject({ status: 404, code: "user_not_found" });
    expect(await sql`select 1 from auth.identities where user_id = ${id}`).toHaveLength(0);
  });

  it("is refused with the publishable key or a user's token", async () => {
    const { session } = await signedUp("not-admin");
    const asAnon = await anonClient().auth.admin.listUsers();
    expect(asAnon.error).toMatchObject({ status: 403, code: "not_admin" });
    const response = await fetch(`${AUTH}/admin/users`, { headers: { apikey: PUBLISHABLE_KEY, authorization: `Bearer ${session.access_token}` } });
    expect(response.status).toBe(403);
  });

  it("generates an invite link that signs the invited user in", async () => {
    const address = email("invited");
    const { data, error } = await admin().generateLink({ type: "invite", email: address, options: { redirectTo: "http://localhost:3000/welcome" } });
    expect(error).toBeNull();
    expect(data.user).toMatchObject({ email: address });
    expect(data.user!.invited_at).toBeDefined();
    expect(data.properties).toMatchObject({ verification_type: "invite", email_otp: expect.stringMatching(/^\d{6}$/) });

    // The link, followed as a browser would: Auth redirects with the session in the fragment.
    const followed = await fetch(data.properties!.action_link, { redirect: "manual" });
    expect(followed.status).toBe(303);
    const landing = new URL(followed.headers.get("location")!);
    expect(landing.origin + landing.pathname).toBe("http://localhost:3000/welcome");
    const fragment = new URLSearchParams(landing.hash.slice(1));
    const me = await anonClient().auth.getUser(fragment.get("access_token")!);
    expect(me.data.user).toMatchObject({ email: address });
    expect(me.data.user!.email_confirmed_at).toBeDefined();

    // Used up: the same link again lands with an error.
    const again = new URL((await fetch(data.properties!.action_link, { redirect: "manual" })).headers.get("location")!);
    expect(new URLSearchParams(again.hash.slice(1)).get("error_code")).toBe("otp_expired");
  });
});

describe("through the gateway", () => {
  it("needs an API key, except for email links and the JWKS", async () => {
    expect((await fetch(`${AUTH}/settings`)).status).toBe(401);
    expect((await fetch(`${AUTH}/settings`, { headers: { apikey: PUBLISHABLE_KEY } })).status).toBe(200);
    expect((await fetch(`${AUTH}/.well-known/jwks.json`)).status).toBe(200);
    expect((await fetch(`${AUTH}/verify?token=nope&type=invite&redirect_to=http://localhost:3000`, { redirect: "manual" })).status).toBe(303);
  });

  it("answers browsers' preflights and adds GoTrue's CORS headers to answers", async () => {
    const preflight = await fetch(`${AUTH}/token?grant_type=password`, {
      method: "OPTIONS",
      headers: { origin: "http://localhost:3000", "access-control-request-method": "POST", "access-control-request-headers": "apikey, authorization, content-type, x-client-info, x-supabase-api-version" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-headers")).toContain("x-supabase-api-version");
    const answer = await fetch(`${AUTH}/settings`, { headers: { apikey: PUBLISHABLE_KEY, origin: "http://localhost:3000" } });
    expect(answer.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    expect(answer.headers.get("access-control-allow-credentials")).toBe("true");
  });
});
