import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createResendFake } from "../../fakes/resend.ts";
import { listenOnFreePort } from "../../fakes/lib/common.ts";

const apiKey = "re_test_123";
const fake = createResendFake({ apiKey });
let base: string;

const email = {
  from: "Receptionist <notify@example.com>",
  to: ["owner@example.com"],
  subject: "New booking",
  html: "<p>Pat booked Monday 9:00</p>",
};

async function send(body: unknown, headers: Record<string, string> = {}, key: string | null = apiKey) {
  const res = await fetch(`${base}/emails`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key !== null && { authorization: `Bearer ${key}` }), ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function sent(): Promise<any[]> {
  return (await fetch(`${base}/__control/emails`)).json() as Promise<any[]>;
}

beforeAll(async () => {
  base = await listenOnFreePort(fake.server);
});
afterAll(() => fake.server.close());
beforeEach(async () => {
  await fetch(`${base}/__control/reset`, { method: "POST" });
});

describe("Resend fake", () => {
  it("answers a missing key with 401 and a wrong one with 403", async () => {
    expect(await send(email, {}, null)).toMatchObject({ status: 401, body: { statusCode: 401, name: "missing_api_key" } });
    expect(await send(email, {}, "re_wrong")).toEqual({
      status: 403,
      body: { statusCode: 403, name: "invalid_api_key", message: "API key is invalid" },
    });
    expect(await sent()).toEqual([]);
  });

  it("sends an email and keeps it for inspection", async () => {
    const { status, body } = await send({ ...email, to: "owner@example.com", reply_to: "support@example.com", tags: [{ name: "kind", value: "booking" }] });
    expect(status).toBe(200);
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    const [stored] = await sent();
    expect(stored).toMatchObject({ id: body.id, to: ["owner@example.com"], reply_to: ["support@example.com"], subject: "New booking", tags: [{ name: "kind", value: "booking" }] });

    const logged = (await (await fetch(`${base}/__control/requests`)).json()) as any[];
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ method: "POST", path: "/emails" });
  });

  it("validates fields in Resend's error shape", async () => {
    expect(await send({ ...email, to: undefined })).toEqual({
      status: 422,
      body: { statusCode: 422, name: "missing_required_field", message: "Missing `to` field." },
    });
    const badFrom = await send({ ...email, from: "not an address" });
    expect(badFrom.status).toBe(400);
    expect(badFrom.body).toMatchObject({ statusCode: 400, name: "validation_error" });
    expect(badFrom.body.message).toMatch(/`from`/);
    const tooMany = await send({ ...email, to: Array.from({ length: 51 }, (_, i) => `u${i}@example.com`) });
    expect(tooMany.body.name).toBe("validation_error");
    expect((await send({ ...email, html: undefined })).status).toBe(422);
  });

  it("replays the original response for a repeated Idempotency-Key and refuses a different payload", async () => {
    const first = await send(email, { "idempotency-key": "booking-42/confirmation" });
    const again = await send(email, { "idempotency-key": "booking-42/confirmation" });
    expect(again).toEqual(first);
    expect(await sent()).toHaveLength(1);

    const other = await send({ ...email, subject: "Changed" }, { "idempotency-key": "booking-42/confirmation" });
    expect(other).toMatchObject({ status: 409, body: { statusCode: 409, name: "invalid_idempotent_request" } });

    const tooLong = await send(email, { "idempotency-key": "k".repeat(257) });
    expect(tooLong).toMatchObject({ status: 400, body: { name: "invalid_idempotency_key" } });
    expect(await sent()).toHaveLength(1);
  });

  it("fails the next send when a fault is injected", async () => {
    await fetch(`${base}/__control/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ failNext: 1, failStatus: 429 }) });
    expect(await send(email)).toMatchObject({ status: 429, body: { statusCode: 429, name: "rate_limit_exceeded" } });
    expect((await send(email)).status).toBe(200);
    expect(await sent()).toHaveLength(1);
  });
});
