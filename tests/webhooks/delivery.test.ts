// Delivery of outbox events to the business's endpoints, through the real dispatcher: fan-out,
// Standard Webhooks signatures verified with the official package, at-least-once with one
// webhook-id, and what each kind of answer does.
import { describe, expect, it } from "vitest";
import {
  attemptsOf, deliveriesOf, emailsTo, newEndpoint, newEvent, newUser, receiver, sql, sweep, verified, waitForDelivery,
} from "./fixtures.ts";

describe("delivering an outbox event", () => {
  it("delivers an event to an active endpoint within seconds, signed with the endpoint's secret", async () => {
    const owner = await newUser("hooks");
    const endpoint = await newEndpoint(owner);
    const started = Date.now();
    const event = await newEvent(owner, "call_ended", { call_id: "call_signed", duration_seconds: 42 });
    const [request] = await endpoint.waitFor(1, 10_000);
    expect(Date.now() - started).toBeLessThan(10_000);

    expect(verified(request, endpoint.secret)).toEqual({
      type: "call_ended",
      timestamp: new Date(event.created_at).toISOString(),
      data: { call_id: "call_signed", duration_seconds: 42 },
    });
    const delivery = await waitForDelivery(event.id, endpoint.id, (d) => d.status === "delivered");
    expect(request.headers["webhook-id"]).toBe(delivery.message_id);
    expect(Math.abs(Number(request.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(30);
    const attempts = await attemptsOf(delivery.id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ attempt: 1, status_code: 200, response_excerpt: "ok", replay: false, error: null });
  });

  it("fans an event out to every active endpoint subscribed to its type, and only those", async () => {
    const owner = await newUser("fanout");
    const [calls, both, leadsOnly, inactive] = [
      await newEndpoint(owner, undefined, { events: ["call_ended"] }),
      await newEndpoint(owner, undefined, { events: ["call_ended", "lead_created"] }),
      await newEndpoint(owner, undefined, { events: ["lead_created"] }),
      await newEndpoint(owner, undefined, { events: ["call_ended"], active: false }),
    ];
    const event = await newEvent(owner, "call_ended");
    const later = await newEndpoint(owner, undefined, { events: ["call_ended"] });
    await calls.waitFor(1);
    await both.waitFor(1);
    const deliveries = await deliveriesOf(event.id);
    expect(deliveries.map((d) => d.webhook_config_id).sort()).toEqual([calls.id, both.id].sort());
    expect(verified(calls.received[0], calls.secret).type).toBe("call_ended");
    expect(verified(both.received[0], both.secret).type).toBe("call_ended");
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect([leadsOnly.received.length, inactive.received.length, later.received.length]).toEqual([0, 0, 0]);
  });

  it("retries a failed attempt about 5 seconds later with the same webhook-id", async () => {
    const owner = await newUser("retry");
    const endpoint = await newEndpoint(owner, [{ status: 500, body: "try later" }, { status: 204 }]);
    const event = await newEvent(owner);
    const [first, second] = await endpoint.waitFor(2, 15_000);
    expect(second.at - first.at).toBeGreaterThan(4_000);
    expect(second.at - first.at).toBeLessThan(9_000);
    expect(second.headers["webhook-id"]).toBe(first.headers["webhook-id"]);
    verified(first, endpoint.secret);
    verified(second, endpoint.secret);
    const delivery = await waitForDelivery(event.id, endpoint.id, (d) => d.status === "delivered");
    const attempts = await attemptsOf(delivery.id);
    expect(attempts.map((a) => [a.attempt, a.status_code, a.response_excerpt])).toEqual([[1, 500, "try later"], [2, 204, ""]]);
    expect(attempts[0].error).toContain("500");
  });

  it("treats a redirect as a failure and never follows it", async () => {
    const owner = await newUser("redirect");
    const elsewhere = receiver.endpoint();
    const endpoint = await newEndpoint(owner, [{ status: 302, headers: { location: elsewhere.url } }]);
    const event = await newEvent(owner);
    const delivery = await waitForDelivery(event.id, endpoint.id, (d) => d.attempts === 1);
    expect(delivery).toMatchObject({ status: "pending", last_status_code: 302 });
    expect(elsewhere.received).toHaveLength(0);
  });

  it("disables an endpoint that answers 410 Gone, alerts an operator and emails the owner once", async () => {
    const owner = await newUser("gone");
    const endpoint = await newEndpoint(owner, [{ status: 410 }]);
    const event = await newEvent(owner);
    const delivery = await waitForDelivery(event.id, endpoint.id, (d) => d.status === "dead");
    expect(delivery.dead_reason).toBe("gone");
    const [config] = await sql`select active, disabled_reason from public.webhook_configs where id = ${endpoint.id}`;
    expect(config).toEqual({ active: false, disabled_reason: "gone" });
    const alerts = await sql`select kind from public.ops_alerts where dedupe_key = ${`webhook_endpoint_disabled:${endpoint.id}`}`;
    expect(alerts).toEqual([{ kind: "webhook_endpoint_disabled" }]);
    await expect.poll(async () => (await emailsTo(owner.email)).length, { timeout: 5_000 }).toBe(1);

    // A disabled endpoint gets no new events (the owner replays what they missed).
    const next = await newEvent(owner);
    expect(await deliveriesOf(next.id)).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(endpoint.received).toHaveLength(1);
    expect((await emailsTo(owner.email)).length).toBe(1);
  });

  it("honours Retry-After on 429 and 503", async () => {
    const owner = await newUser("ratelimited");
    const endpoint = await newEndpoint(owner, [{ status: 429, headers: { "retry-after": "120" } }]);
    const other = await newEndpoint(owner, [{ status: 503, headers: { "retry-after": new Date(Date.now() + 600_000).toUTCString() } }]);
    const event = await newEvent(owner);
    const limited = await waitForDelivery(event.id, endpoint.id, (d) => d.attempts === 1);
    const unavailable = await waitForDelivery(event.id, other.id, (d) => d.attempts === 1);
    const [{ now }] = await sql`select now()`;
    expect((limited.next_attempt_at.getTime() - now.getTime()) / 1000).toBeGreaterThan(110);
    expect((limited.next_attempt_at.getTime() - now.getTime()) / 1000).toBeLessThan(125);
    expect((unavailable.next_attempt_at.getTime() - now.getTime()) / 1000).toBeGreaterThan(580);
  });

  it("gives up on an endpoint that does not answer within 15 seconds", async () => {
    const owner = await newUser("hang");
    const endpoint = await newEndpoint(owner, ["hang"]);
    const event = await newEvent(owner);
    const delivery = await waitForDelivery(event.id, endpoint.id, (d) => d.attempts === 1, 25_000);
    const [attempt] = await attemptsOf(delivery.id);
    expect(attempt.status_code).toBeNull();
    expect(attempt.error).toMatch(/within 15 s/);
    expect(attempt.duration_ms).toBeGreaterThanOrEqual(14_900);
    expect(delivery.status).toBe("pending");
  }, 40_000);

  it("records a closed connection as a failed attempt", async () => {
    const owner = await newUser("closed");
    const endpoint = await newEndpoint(owner, ["close"]);
    const event = await newEvent(owner);
    const delivery = await waitForDelivery(event.id, endpoint.id, (d) => d.attempts === 1);
    const [attempt] = await attemptsOf(delivery.id);
    expect(attempt.status_code).toBeNull();
    expect(attempt.error).toMatch(/request failed/);
  });

  it("stops retrying when the receiver answers webhook-delivery: abort-message", async () => {
    const owner = await newUser("abort");
    const endpoint = await newEndpoint(owner, [{ status: 400, headers: { "webhook-delivery": "abort-message" } }]);
    const event = await newEvent(owner);
    const delivery = await waitForDelivery(event.id, endpoint.id, (d) => d.status === "dead");
    expect(delivery).toMatchObject({ dead_reason: "aborted", attempts: 1 });
    const [config] = await sql`select active from public.webhook_configs where id = ${endpoint.id}`;
    expect(config.active).toBe(true);
  });

  it("dead-letters an event larger than the payload limit without sending it", async () => {
    const owner = await newUser("large");
    const endpoint = await newEndpoint(owner);
    const event = await newEvent(owner, "call_ended", { transcript: "x".repeat(300 * 1024) });
    const delivery = await waitForDelivery(event.id, endpoint.id, (d) => d.status === "dead");
    expect(delivery.dead_reason).toBe("payload_too_large");
    expect(endpoint.received).toHaveLength(0);
  });

  it("dead-letters a delivery whose last attempt fails", async () => {
    const owner = await newUser("exhausted");
    const endpoint = await newEndpoint(owner, [{ status: 500 }]);
    await sql`update public.webhook_configs set active = false where id = ${endpoint.id}`;
    const event = await newEvent(owner);
    await sql`insert into public.webhook_endpoint_deliveries (event_id, webhook_config_id, user_id, attempts)
              values (${event.id}, ${endpoint.id}, ${owner.id}, 9)`;
    await sql`update public.webhook_configs set active = true where id = ${endpoint.id}`;
    const delivery = await waitForDelivery(event.id, endpoint.id, (d) => d.status === "dead");
    expect(delivery).toMatchObject({ dead_reason: "attempts_exhausted", attempts: 10 });
  });

  it("disables an endpoint whose deliveries have all failed for 5 days, emailing the owner once", async () => {
    const owner = await newUser("failing");
    const endpoint = await newEndpoint(owner, [{ status: 500 }]);
    await sql`update public.webhook_configs set failing_since = now() - interval '5 days 1 minute' where id = ${endpoint.id}`;
    const event = await newEvent(owner);
    await waitForDelivery(event.id, endpoint.id, (d) => d.attempts === 1);
    const [config] = await sql`select active, disabled_reason from public.webhook_configs where id = ${endpoint.id}`;
    expect(config).toEqual({ active: false, disabled_reason: "failing" });
    await expect.poll(async () => (await emailsTo(owner.email)).map((e) => e.subject), { timeout: 5_000 })
      .toEqual(["A webhook endpoint was disabled"]);
    const [alert] = await sql`select user_id from public.ops_alerts where dedupe_key = ${`webhook_endpoint_disabled:${endpoint.id}`} and resolved_at is null`;
    expect(alert.user_id).toBe(owner.id);
  });

  it("picks up a due delivery whose kick was lost when the minute sweep runs", async () => {
    const owner = await newUser("sweep");
    const endpoint = await newEndpoint(owner);
    await sql`update public.webhook_configs set active = false where id = ${endpoint.id}`;
    const event = await newEvent(owner);
    await sql`insert into public.webhook_endpoint_deliveries (event_id, webhook_config_id, user_id) values (${event.id}, ${endpoint.id}, ${owner.id})`;
    // Made active without the enable trigger's kick: the sweep (or a run still going) delivers it.
    await sql`alter table public.webhook_configs disable trigger webhook_configs_kick_when_enabled`;
    try {
      await sql`update public.webhook_configs set active = true where id = ${endpoint.id}`;
    } finally {
      await sql`alter table public.webhook_configs enable trigger webhook_configs_kick_when_enabled`;
    }
    await sweep();
    await endpoint.waitFor(1, 5_000);
  });
});
