// Every function that acts for a user runs with verify_jwt = false (as a project on JWT signing keys
// must) and verifies the token itself against the JWKS: a token with a forged signature, an expired
// one, `alg: none`, one signed with another key, or a real token whose `sub` was edited to someone
// else's gets 401, and nothing is written for anyone.
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { SignJWT, decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIGNING_KEY_ID, signingPrivateKey } from "../../stack/keys.ts";
import { callFunction, newUser, sql, type TestUser } from "../helpers/stack.ts";

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

let attacker: TestUser;
let victim: TestUser;
let appointmentId: string;

beforeAll(async () => {
  attacker = await newUser("forger");
  // The victim is an admin with a business and an appointment, so an edited token would reach every route.
  victim = await newUser("victim");
  await sql`insert into private.admin_emails (email) values (${victim.email})`;
  [{ id: appointmentId }] = await sql`
    insert into public.appointments (user_id, start_at, end_at, source, customer_name)
    values (${victim.id}, now() + interval '2 days', now() + interval '2 days 1 hour', 'manual', 'Vic Tim') returning id`;
});

afterAll(async () => {
  await sql`delete from private.admin_emails where email = ${victim.email}`;
});

/** Tokens an attacker could present, each claiming to be the victim (or the attacker, for expired). */
async function badTokens(): Promise<Record<string, string>> {
  const [header, payload] = attacker.accessToken.split(".");
  const claims = decodeJwt(attacker.accessToken);
  const asVictim = { ...claims, sub: victim.id, email: victim.email, session_id: victim.sessionId };
  const now = Math.floor(Date.now() / 1000);
  const { privateKey: otherKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const sign = (key: typeof signingPrivateKey, body: Record<string, unknown>) =>
    new SignJWT(body).setProtectedHeader({ alg: "ES256", kid: SIGNING_KEY_ID, typ: "JWT" }).sign(key);
  return {
    "forged signature": `${header}.${payload}.${Buffer.from(randomUUID()).toString("base64url")}`,
    expired: await sign(signingPrivateKey, { ...claims, iat: now - 7200, exp: now - 3600 }),
    "alg none": `${b64({ alg: "none", typ: "JWT" })}.${b64(asVictim)}.`,
    "another key": await sign(otherKey, asVictim),
    "edited sub": `${header}.${b64(asVictim)}.${attacker.accessToken.split(".")[2]}`,
  };
}

/** Everything the victim's requests could have written, in one comparable value. */
async function victimState(): Promise<unknown> {
  const [state] = await sql`
    select
      (select md5(p::text) from public.profiles p where p.id = ${victim.id}) as profile,
      (select md5(coalesce(string_agg(a::text, ',' order by a.id), '')) from public.appointments a where a.user_id = ${victim.id}) as appointments,
      (select count(*) from public.agents where user_id = ${victim.id}) as agents,
      (select count(*) from public.subscriptions where user_id = ${victim.id}) as subscriptions,
      (select count(*) from public.audit_logs where actor_user_id = ${victim.id} or on_behalf_of_user_id = ${victim.id}) as audit_rows,
      (select coalesce(sum(hits), 0) from public.rate_limit_counters where bucket like ${`%${victim.id}%`}) as rate_limit_hits,
      (select count(*) from private.calcom_oauth_states where user_id = ${victim.id}) as oauth_states,
      (select count(*) from public.integrations where user_id = ${victim.id}) as integrations,
      (select count(*) from auth.users) as accounts`;
  return state;
}

const onboarding = {
  email: `forged-onboard-${randomUUID().slice(0, 8)}@test.local`,
  business_name: "Forged HVAC",
  industry: "hvac",
  area_code: "505",
  plan: "pro",
  consent_confirmed: true,
};

const calls: [string, { method: string; body?: unknown; name: () => string }][] = [
  ["deploy-agent", { method: "POST", name: () => "deploy-agent", body: { business_name: "Forged", industry: "hvac", area_code: "505" } }],
  ["admin-agents/deploy", { method: "POST", name: () => "admin-agents/deploy", body: { user_id: randomUUID() } }],
  ["admin-agents/clone", { method: "POST", name: () => "admin-agents/clone", body: { user_id: randomUUID() } }],
  ["admin-agents/quick-onboard", { method: "POST", name: () => "admin-agents/quick-onboard", body: onboarding }],
  ["admin-agents/update-agent", { method: "POST", name: () => "admin-agents/update-agent", body: { user_id: randomUUID(), agent: { agent_name: "x" } } }],
  ["create-checkout-session", { method: "POST", name: () => "create-checkout-session", body: { kind: "subscription", plan: "pro" } }],
  ["calcom-oauth/authorize-url", { method: "POST", name: () => "calcom-oauth/authorize-url" }],
  ["calcom-oauth/status", { method: "GET", name: () => "calcom-oauth/status" }],
  ["calcom-oauth/disconnect", { method: "POST", name: () => "calcom-oauth/disconnect" }],
  ["appointments/<id>/reschedule", { method: "PATCH", name: () => `appointments/${appointmentId}/reschedule`, body: { start_at: new Date(Date.now() + 5 * 86_400_000).toISOString() } }],
  ["appointments/<id>/cancel", { method: "POST", name: () => `appointments/${appointmentId}/cancel`, body: { reason: "forged" } }],
];

describe.each(calls)("%s", (_label, call) => {
  it("answers 401 to a forged, expired, alg none, wrong-key or edited-sub token, and writes nothing", async () => {
    const before = await victimState();
    for (const [kind, token] of Object.entries(await badTokens())) {
      const answer = await callFunction(call.name(), { method: call.method, body: call.body, token });
      expect({ kind, status: answer.status, code: answer.body?.error?.code }).toEqual({ kind, status: 401, code: "not_signed_in" });
    }
    expect(await victimState()).toEqual(before);
  });
});

it("the same requests with the victim's real token get past authentication (the check above can fail)", async () => {
  const answer = await callFunction("calcom-oauth/status", { method: "GET", token: victim.accessToken });
  expect(answer.status).toBe(200);
});
