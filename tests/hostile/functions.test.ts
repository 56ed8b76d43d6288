// The functions people call, tried as a hostile client would: every function a signed-in user,
// an operator or the database calls, and the public ones (verify_jwt = false) that are not
// webhooks. Generated paths, methods, bodies and query strings from one fixed seed, sent with a
// genuine token (every answer a documented 2xx, redirect or 4xx, never a 5xx, within the budget),
// and with a missing or garbage bearer token (refused, and no row written anywhere).
import { createHmac, randomInt, randomUUID } from "node:crypto";
import http from "node:http";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newAdmin } from "../data-model/fixtures.ts";
import { API_URL, callFunction, newUser, sql, type TestUser } from "../helpers/stack.ts";
import {
  type Answer,
  broken,
  countingWrites,
  generated,
  mutationsOf,
  nastyString,
  reportAfterAll,
  rowsIn,
  sendAll,
  strangeBodies,
  tally,
} from "./hostile.ts";

reportAfterAll("functions");

/** What a person waits for: the authenticated role's statement timeout (8 s) and a little more. */
const BUDGET_MS = 10_000;
const PER_ROUTE = 60;

const documented = (status: number) => (status >= 200 && status < 300) || status === 302 || (status >= 400 && status < 500);

type Request = { path: string; method: string; body?: string; headers?: Record<string, string> };

function send(request: Request, token?: string): Promise<Answer> {
  return callFunction(request.path, {
    method: request.method,
    rawBody: request.method === "GET" ? undefined : request.body,
    headers: request.headers,
    token,
  });
}

/** Hostile text as one URL path segment: every UTF-8 byte percent-encoded (lone surrogates included). */
const segment = (text: string) => [...Buffer.from(text, "utf8")].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");

/** Route segments a hostile client tries: the real ones, others, and hostile text. */
const routeSegment = (real: string[]) =>
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...real) }, { weight: 1, arbitrary: nastyString.map(segment) });

const bodies = (base: unknown) => fc.oneof({ weight: 4, arbitrary: mutationsOf(base) }, { weight: 1, arbitrary: strangeBodies });

/** Requests to `fn` on the given routes (with a body made from `base`), any of the given methods. */
function requestsTo(fn: string, routes: string[], base: unknown, methods: string[]): fc.Arbitrary<Request> {
  return fc.record({
    path: routes.length ? routeSegment(routes).map((r) => (r ? `${fn}/${r}` : fn)) : fc.constant(fn),
    method: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...methods) }, { weight: 1, arbitrary: fc.constantFrom("GET", "PUT", "DELETE", "PATCH") }),
    body: bodies(base),
  });
}

// ---------------------------------------------------------------------------
// Tokens that must never be taken for a user
// ---------------------------------------------------------------------------

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** Missing, garbage, tampered, unsigned and wrongly signed tokens, in turn. */
function badAuthorization(victim: TestUser, index: number): Record<string, string> {
  const claims = { sub: victim.id, role: "authenticated", aud: "authenticated", exp: Math.floor(Date.now() / 1000) + 600 };
  const header = b64({ alg: "HS256", typ: "JWT" });
  const forged = `${header}.${b64(claims)}`;
  const [h, p, s] = victim.accessToken.split(".");
  const forms: Record<string, string>[] = [
    {},
    { authorization: "" },
    { authorization: "Bearer" },
    { authorization: "Bearer garbage" },
    { authorization: "Bearer a.b.c" },
    { authorization: `Basic ${Buffer.from("user:pass").toString("base64")}` },
    { authorization: `Bearer ${h}.${p}.${s.slice(0, -2)}${s.endsWith("AA") ? "BB" : "AA"}` },
    { authorization: `Bearer ${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.` },
    { authorization: `Bearer ${forged}.${createHmac("sha256", "not-the-project-secret").update(forged).digest("base64url")}` },
    { authorization: `Bearer ${h}.${b64({ ...claims, role: "service_role" })}.${s}` },
  ];
  return forms[index % forms.length];
}

// ---------------------------------------------------------------------------
// The functions a person calls, with the bodies each one documents
// ---------------------------------------------------------------------------

const GOOD_DETAILS = {
  business_name: "Hostile Heating", area_code: "415", industry: "hvac", business_hours: { mon: ["08:00", "17:00"] },
  transfer_number: "+14155550111", agent_tone: "calm", schedule_summary: "Weekdays", standard_fee: 89, emergency_fee: 149,
};

/** An appointment id of each kind a caller can name: theirs, another business's, none, garbage. */
let ids: string[] = [];

function userFunctionRequests(): { name: string; requests: fc.Arbitrary<Request> }[] {
  const future = new Date(Date.now() + 30 * 86_400_000).toISOString();
  return [
    { name: "create-checkout-session", requests: requestsTo("create-checkout-session", [], { kind: "topup", product: "call_300" }, ["POST"]) },
    { name: "deploy-agent", requests: requestsTo("deploy-agent", [], GOOD_DETAILS, ["POST"]) },
    { name: "calcom-oauth", requests: requestsTo("calcom-oauth", ["authorize-url", "status", "disconnect", ""], {}, ["GET", "POST"]) },
    {
      name: "appointments",
      requests: fc.record({
        path: fc.tuple(fc.oneof(fc.constantFrom(...ids), nastyString.map(segment)), routeSegment(["reschedule", "cancel"]))
          .map(([id, action]) => `appointments/${id}/${action}`),
        method: fc.constantFrom("PATCH", "POST", "GET"),
        body: bodies({ start_at: future, reason: "The customer asked" }),
      }),
    },
    {
      name: "admin-agents",
      requests: fc.oneof(
        requestsTo("admin-agents", ["deploy", "clone"], { user_id: randomUUID(), model: "dedicated" }, ["POST"]),
        requestsTo("admin-agents", ["update-agent"], { user_id: randomUUID(), agent: { agent_name: "x", voice_id: "v", language: "en-US" } }, ["POST"]),
        // Two fields wrong at once, so no single mutation makes an onboarding that would really run.
        requestsTo("admin-agents", ["quick-onboard"], {
          email: "not-an-email", business_name: "Hostile", industry: "hvac", area_code: "415", plan: "pro", consent_confirmed: false,
        }, ["POST"]),
      ),
    },
    { name: "agent-deployer", requests: requestsTo("agent-deployer", [], { user_id: randomUUID() }, ["POST"]) },
    { name: "master-agent-health", requests: requestsTo("master-agent-health", [], {}, ["POST"]) },
    { name: "master-rollout", requests: requestsTo("master-rollout", [], {}, ["POST"]) },
    { name: "retell-template-sync", requests: requestsTo("retell-template-sync", [], { force: true }, ["POST"]) },
    { name: "send-emails", requests: requestsTo("send-emails", [], {}, ["POST"]) },
    { name: "send-sms/queued", requests: requestsTo("send-sms", ["queued"], {}, ["POST", "GET"]) },
  ];
}

describe("functions a signed-in person calls", () => {
  let owner: TestUser;
  let deployers: TestUser[];
  let admin: TestUser;
  let otherOwner: TestUser;

  beforeAll(async () => {
    [owner, otherOwner, admin] = await Promise.all([newUser("hostile-owner"), newUser("hostile-other"), newAdmin()]);
    // deploy-agent allows 6 requests a minute per user: enough users that the body is always read.
    deployers = await Promise.all(Array.from({ length: Math.ceil(PER_ROUTE / 5) }, () => newUser("hostile-deployer")));
    const appointment = (userId: string) => sql`
      insert into public.appointments (user_id, customer_name, start_at, end_at)
      values (${userId}, 'Hostile Customer', now() + interval '40 days', now() + interval '40 days 1 hour') returning id`;
    const [[mine], [theirs]] = await Promise.all([appointment(owner.id), appointment(otherOwner.id)]);
    ids = [mine.id, theirs.id, randomUUID()];
  });

  it("answers every generated request with a genuine token with a documented status, never a 5xx, within the budget", async () => {
    const failures: Record<string, unknown> = {};
    for (const [i, { name, requests }] of userFunctionRequests().entries()) {
      const inputs = generated(requests, PER_ROUTE, 100 + i);
      const caller = (index: number) => {
        if (name === "deploy-agent") return deployers[Math.floor(index / 5)];
        if (name === "admin-agents" && index % 2 === 0) return admin;
        return owner;
      };
      const { result: sent, written } = await countingWrites(() => sendAll(inputs, (request, index) => send(request, caller(index).accessToken)));
      tally(name, "genuine token", sent, rowsIn(written));
      const wrong = broken(sent, { allowed: documented, budgetMs: BUDGET_MS });
      if (wrong.length) failures[name] = wrong;
    }
    expect(failures).toEqual({});
  });

  it("refuses every generated request with a missing or garbage bearer token with a 4xx, and writes no row anywhere", async () => {
    const all = userFunctionRequests().flatMap(({ name, requests }, i) =>
      generated(requests, PER_ROUTE / 2, 200 + i).map((request) => ({ name, request }))
    );
    const { result: sent, written } = await countingWrites(() =>
      sendAll(all, ({ request }, index) => send({ ...request, headers: badAuthorization(owner, index) }))
    );
    for (const name of new Set(all.map((a) => a.name))) tally(name, "missing or garbage token", sent.filter((s) => s.value.name === name));
    tally("all user-called functions", "missing or garbage token", [], rowsIn(written));
    // Each function checks the token itself (verify_jwt is off), after its method and route: a
    // wrong method or an unknown route is refused with 405 or 404 before the token is looked at,
    // and the gateway refuses a non-canonical path with 400. None of them reads or writes data.
    const refused = (status: number) => status >= 400 && status < 500;
    expect(broken(sent, { allowed: refused, budgetMs: BUDGET_MS })).toEqual([]);
    expect(written).toEqual({});
  });
});

// ---------------------------------------------------------------------------
// Public functions that are not webhooks: the demo call, health, the OAuth callback
// ---------------------------------------------------------------------------

describe("public functions", () => {
  const placed: string[] = [];
  afterAll(async () => {
    if (placed.length > 0) await sql`delete from public.calls where call_id in ${sql(placed)} and is_demo`;
  });

  /** demo-call from a loopback address of its own, as each visitor has one (the gateway reads the socket). */
  function demoCall(body: string): Promise<Answer> {
    const url = new URL(`${API_URL}/functions/v1/demo-call`);
    const localAddress = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
    return new Promise((resolve, reject) => {
      const request = http.request(
        { host: url.hostname, port: url.port, path: url.pathname, method: "POST", localAddress, headers: { "content-type": "application/json" } },
        (response) => {
          let text = "";
          response.on("data", (chunk) => (text += chunk));
          response.on("end", () => {
            let parsed: any = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // not JSON: keep the text
            }
            if (parsed?.call_id) placed.push(parsed.call_id);
            resolve({ status: response.statusCode ?? 0, body: parsed });
          });
        },
      );
      request.on("error", reject);
      request.end(body);
    });
  }

  it("demo-call answers every generated body with 201, 400 or 429, never a 5xx, within the budget", async () => {
    const inputs = generated(bodies({ to_number: "+14155550142" }), PER_ROUTE * 2, 300);
    const { result: sent, written } = await countingWrites(() => sendAll(inputs, demoCall));
    tally("demo-call", "public", sent, rowsIn(written));
    expect(broken(sent, { allowed: (s) => [201, 400, 429].includes(s), budgetMs: BUDGET_MS })).toEqual([]);
  });

  it("health answers every generated request 200, never a 5xx", async () => {
    const inputs = generated(requestsTo("health", [], {}, ["GET", "POST"]), PER_ROUTE, 301);
    const sent = await sendAll(inputs, (request) => send(request));
    tally("health", "public", sent);
    expect(broken(sent, { allowed: (s) => s === 200, budgetMs: BUDGET_MS })).toEqual([]);
  });

  it("calcom-oauth-callback refuses every generated state with a 400 (or sends the browser back), writing no row anywhere", async () => {
    const query = fc.record({
      code: fc.option(nastyString, { nil: undefined }),
      state: fc.option(fc.oneof(nastyString, fc.stringMatching(/^[A-Za-z0-9_-]{43}$/)), { nil: undefined }),
      error: fc.option(nastyString, { nil: undefined }),
    });
    const inputs = generated(query, PER_ROUTE * 2, 302).map((q) => {
      const params = new URLSearchParams(Object.entries(q).filter(([, v]) => v !== undefined) as [string, string][]);
      return { path: `calcom-oauth-callback?${params}`, method: "GET" };
    });
    const { result: sent, written } = await countingWrites(() => sendAll(inputs, (request) => send(request)));
    tally("calcom-oauth-callback", "public", sent, rowsIn(written));
    expect(broken(sent, { allowed: (s) => s === 400 || s === 302, budgetMs: BUDGET_MS })).toEqual([]);
    expect(written).toEqual({});
  });
});
