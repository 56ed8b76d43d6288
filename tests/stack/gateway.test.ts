// The first vertical slice: the gateway, PostgREST, RLS and the functions host working together.
import http from "node:http";
import { describe, expect, it } from "vitest";
import { ANON_KEY, API_URL, anonClient, callFunction, newUser, serviceClient, sql, userClient } from "../helpers/stack.ts";

/** Sends a request with its path exactly as given (fetch would resolve dot segments first). */
function rawRequest(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string }> {
  const url = new URL(API_URL);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: url.hostname, port: url.port, method, path, headers }, (response) => {
      let text = "";
      response.on("data", (chunk) => (text += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    request.on("error", reject);
    request.end(body);
  });
}

describe("gateway", () => {
  it("reaches the health function without a JWT (verify_jwt = false)", async () => {
    const { status, body } = await callFunction("health", { method: "GET" });
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: "ok", database: "ok" });
  });

  it("refuses a verify_jwt function without a valid JWT", async () => {
    const unknown = await callFunction("no-such-function");
    expect(unknown.status).toBe(401);
    const forged = await callFunction("no-such-function", { token: `${ANON_KEY.slice(0, -4)}AAAA` });
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe("invalid_jwt");
  });

  it("refuses /rest/v1 without an API key, even with a valid bearer token (as hosted does)", async () => {
    const response = await fetch(`${API_URL}/rest/v1/black_box_events`);
    expect(response.status).toBe(401);
    const bearerOnly = await fetch(`${API_URL}/rest/v1/plans`, { headers: { authorization: `Bearer ${ANON_KEY}` } });
    expect(bearerOnly.status).toBe(401);
    expect((await bearerOnly.json()).error.code).toBe("invalid_api_key");
  });

  it.each([
    "/functions/v1/health/../deploy-agent",
    "/functions/v1/health/%2e%2e/deploy-agent",
    "/functions/v1/health/.%2E/deploy-agent",
    "/functions/v1/health%2f..%2fdeploy-agent",
    "/functions/v1/health/..\\deploy-agent",
    "/rest/v1/plans/../profiles",
  ])("refuses %s before routing, so it reaches no other function", async (path) => {
    const answer = await rawRequest("POST", path, { "content-type": "application/json" }, "{}");
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).error.code).toBe("invalid_path");
  });

  it("takes the client's address from the socket, never from headers the client sends", async () => {
    const owner = await newUser("address");
    const claimed = { "cf-connecting-ip": "203.0.113.7", "x-forwarded-for": "203.0.113.8", "x-real-ip": "203.0.113.9", forwarded: "for=203.0.113.10" };
    const consent = await userClient(owner.accessToken, claimed).rpc("record_consent", { version: "v1" });
    expect(consent.error).toBeNull();
    const [row] = await sql`select host(ip) as ip from public.consent_logs where user_id = ${owner.id}`;
    expect(row.ip).toBe("127.0.0.1");
  });

  it("answers CORS preflight as Supabase does", async () => {
    const response = await fetch(`${API_URL}/rest/v1/black_box_events`, { method: "OPTIONS" });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("access-control-allow-headers")).toContain("apikey");
  });
});

describe("an RLS-protected table through supabase-js", () => {
  it("keeps each user to their own rows", async () => {
    const a = await newUser("slice-a");
    const b = await newUser("slice-b");

    const inserted = await a.client.from("black_box_events").insert({ event_type: "wizard.step_completed", payload: { step: 1 } }).select().single();
    expect(inserted.error).toBeNull();
    expect(inserted.data.user_id).toBe(a.id);

    const seenByA = await a.client.from("black_box_events").select("id, user_id");
    expect(seenByA.data).toEqual([{ id: inserted.data.id, user_id: a.id }]);

    const seenByB = await b.client.from("black_box_events").select("id");
    expect(seenByB.data).toEqual([]);

    const forgedOwner = await b.client.from("black_box_events").insert({ user_id: a.id, event_type: "wizard.forged" });
    expect(forgedOwner.error?.code).toBe("42501");

    const anonymous = await anonClient().from("black_box_events").select("id");
    expect(anonymous.data ?? []).toEqual([]);
    const anonymousWrite = await anonClient().from("black_box_events").insert({ event_type: "wizard.anon" });
    expect(anonymousWrite.error).not.toBeNull();

    // Functions never read this table, so the service role holds no grant on it.
    const asService = await serviceClient().from("black_box_events").select("id").eq("user_id", a.id);
    expect(asService.error?.code).toBe("42501");
  });

  it("refuses bad input with a clear error and writes nothing", async () => {
    const a = await newUser("slice-bad");
    const bad = await a.client.from("black_box_events").insert({ event_type: "Not A Valid Name!" });
    expect(bad.error?.code).toBe("23514");
    const [{ count }] = await sql`select count(*)::int from public.black_box_events where user_id = ${a.id}`;
    expect(count).toBe(0);
  });
});
