// The website's demo call: our demo agent calls the visitor from the demo number (through the fake
// Retell API), the call is recorded as a demo, and visitors are rate-limited per address and per
// number called, in Postgres.
import { beforeAll, describe, expect, it } from "vitest";
import { randomInt } from "node:crypto";
import { fakeUrl } from "../../stack/config.ts";
import { functionEnv } from "../../stack/functions.ts";
import { FUNCTIONS_URL, postAsRetell } from "../../scripts/lib/call-simulator.ts";
import { storedCall, uniquePhone } from "./fixtures.ts";

const env = functionEnv();

async function demoCall(body: unknown, clientAddress = uniqueAddress()) {
  const response = await fetch(`${FUNCTIONS_URL}/demo-call`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": clientAddress },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

/** A documentation-range address (RFC 5737) no other test uses. */
function uniqueAddress(): string {
  return `198.51.${randomInt(0, 256)}.${randomInt(1, 255)}`;
}

// The stack prepares the demo number in the fake Retell account; a fake reset by another suite
// would have removed it, so make sure it is there (through the fake's own API).
beforeAll(async () => {
  const retell = (path: string, init: RequestInit = {}) =>
    fetch(`${fakeUrl("retell")}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${env.RETELL_API_KEY}`, "content-type": "application/json" },
    });
  const existing = await retell(`/get-phone-number/${encodeURIComponent(env.RETELL_DEMO_FROM_NUMBER)}`);
  if (existing.status === 404) {
    const created = await retell("/create-phone-number", {
      method: "POST",
      body: JSON.stringify({ phone_number: env.RETELL_DEMO_FROM_NUMBER, nickname: "demo line" }),
    });
    expect(created.status).toBe(201);
  }
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
    ["no number", {}, "invalid_request"],
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
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await retellCalls()).some((call) => call.to_number === visitor)).toBe(false);
    // Another address is not affected.
    expect((await demoCall({ to_number: visitor })).status).toBe(201);
  });

  it("three calls per number per day, whatever the address", async () => {
    const visitor = uniquePhone();
    for (let i = 0; i < 3; i++) expect((await demoCall({ to_number: visitor })).status).toBe(201);
    const refused = await demoCall({ to_number: visitor });
    expect(refused.status).toBe(429);
    expect(refused.body.error.message).toMatch(/this number/);
  });
});
