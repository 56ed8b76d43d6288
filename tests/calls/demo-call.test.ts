// The website's demo call: our demo agent calls the visitor from the demo number (through the fake
// Retell API), the call is recorded as a demo, and visitors are rate-limited per address and per
// number called, in Postgres.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomInt } from "node:crypto";
import http from "node:http";
import { fakeUrl } from "../../stack/config.ts";
import { functionEnv } from "../../stack/functions.ts";
import { FUNCTIONS_URL, postAsRetell } from "../../scripts/lib/call-simulator.ts";
import { sql } from "../helpers/stack.ts";
import { storedCall, uniquePhone } from "./fixtures.ts";

const env = functionEnv();

/**
 * POSTs to demo-call from `clientAddress`: the gateway reports the socket's address (it ignores
 * address headers a client sends), so the request leaves from that loopback address.
 */
function demoCall(
  body: unknown,
  clientAddress = uniqueAddress(),
  extraHeaders: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: any }> {
  const url = new URL(`${FUNCTIONS_URL}/demo-call`);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: url.hostname, port: url.port, path: url.pathname, method: "POST", localAddress: clientAddress,
        headers: { "content-type": "application/json", ...extraHeaders },
      },
      (response) => {
        let text = "";
        response.on("data", (chunk) => (text += chunk));
        response.on("end", () => {
          const answer = JSON.parse(text);
          if (answer.call_id) placed.push(answer.call_id);
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: answer });
        });
      },
    );
    request.on("error", reject);
    request.end(JSON.stringify(body));
  });
}

/** A loopback address (127.0.0.0/8) no other test uses. */
function uniqueAddress(): string {
  return `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
}

// The calls this file placed are removed afterwards, leaving the dev database as it found it.
const placed: string[] = [];
afterAll(async () => {
  if (placed.length > 0) await sql`delete from public.calls where call_id in ${sql(placed)} and is_demo`;
});

async function retellCalls(): Promise<Record<string, any>[]> {
  const response = await fetch(`${fakeUrl("retell")}/__control/state`);
  return (await response.json()).calls;
}

describe("a demo call", () => {
  it("is placed from the demo number through the demo agent and recorded as a demo", async () => {
    const visitor = uniquePhone();
    const answer = await demoCall({ to_number: visitor });
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({ call_id: expect.any(String), status: "registered" });

    const placed = (await retellCalls()).find((call) => call.call_id === answer.body.call_id);
    expect(placed).toMatchObject({
      from_number: env.RETELL_DEMO_FROM_NUMBER, to_number: visitor, agent_id: env.RETELL_DEMO_AGENT_ID, direction: "outbound",
    });
    expect(await storedCall(answer.body.call_id)).toMatchObject({
      is_demo: true, user_id: null, direction: "outbound", from_number: env.RETELL_DEMO_FROM_NUMBER, to_number: visitor, status: "registered",
    });

    // Its events complete the row and keep it a demo.
    await postAsRetell("retell-webhook", {
      event: "call_ended",
      call: { call_id: answer.body.call_id, direction: "outbound", from_number: env.RETELL_DEMO_FROM_NUMBER, to_number: visitor,
              call_status: "ended", start_timestamp: Date.now() - 60_000, end_timestamp: Date.now(), duration_ms: 60_000 },
    });
    expect(await storedCall(answer.body.call_id)).toMatchObject({ is_demo: true, status: "ended", duration_ms: 60_000 });
  });

  it("accepts a number as people type it", async () => {
    const visitor = uniquePhone();
    const typed = visitor.replace(/^\+1(\d{3})(\d{3})(\d{4})$/, "($1) $2-$3");
    const answer = await demoCall({ to_number: typed });
    expect(answer.status).toBe(201);
    expect((await storedCall(answer.body.call_id))?.to_number).toBe(visitor);
  });
});

describe("bad requests", () => {
  it.each([
    ["no number", {}, "invalid_payload"],
    ["not a number", { to_number: "call me maybe" }, "invalid_phone_number"],
    ["outside North America", { to_number: "+442079460958" }, "invalid_phone_number"],
  ])("%s: 400", async (_name, body, code) => {
    const before = (await retellCalls()).length;
    const answer = await demoCall(body);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe(code);
    expect((await retellCalls()).length).toBe(before);
  });
});

describe("rate limits", () => {
  it("five calls per address per hour, then 429 with Retry-After and no call placed", async () => {
    const address = uniqueAddress();
    for (let i = 0; i < 5; i++) expect((await demoCall({ to_number: uniquePhone() }, address)).status).toBe(201);
    const visitor = uniquePhone();
    const refused = await demoCall({ to_number: visitor }, address);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe("rate_limited");
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    expect((await retellCalls()).some((call) => call.to_number === visitor)).toBe(false);
    // Another address is not affected.
    expect((await demoCall({ to_number: visitor })).status).toBe(201);
  });

  it("counts the address the gateway saw, whatever address headers the client sends", async () => {
    const address = uniqueAddress();
    for (let i = 0; i < 6; i++) {
      const claimed = uniqueAddress();
      const answer = await demoCall({ to_number: uniquePhone() }, address, {
        "cf-connecting-ip": claimed, "x-forwarded-for": claimed, "x-real-ip": claimed, "true-client-ip": claimed,
      });
      expect(answer.status).toBe(i < 5 ? 201 : 429);
    }
  });

  it("three calls per number per day, whatever the address", async () => {
    const visitor = uniquePhone();
    for (let i = 0; i < 3; i++) expect((await demoCall({ to_number: visitor })).status).toBe(201);
    const refused = await demoCall({ to_number: visitor });
    expect(refused.status).toBe(429);
    expect(refused.body.error.message).toMatch(/this number/);
  });
});
