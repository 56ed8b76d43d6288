// Delivery of outbox events to the business's endpoints: fan-out, Standard Webhooks signatures,
// at-least-once with one webhook-id, and what each kind of answer does.
import { describe, expect, it } from "vitest";
import { attemptsOf, deliveriesOf, newEndpoint, newEvent, newUser, sql, verified, waitForDelivery } from "./fixtures.ts";

describe("delivering an outbox event", () => {
  it("delivers an event to an active endpoint within seconds, signed with the endpoint's secret", async () => {
    const owner = await newUser("hooks");
    const endpoint = await newEndpoint(owner);
    const started = Date.now();
    const event = await newEvent(owner, "call_ended", { call_id: "call_signed", duration_seconds: 42 });
    const [request] = await endpoint.waitFor(1, 10_000);
    expect(Date.now() - started).toBeLessThan(10_000);

    const envelope = verified(request, endpoint.secret);
    expect(envelope).toEqual({
      type: "call_ended",
      timestamp: new Date(event.created_at).toISOString(),
      data: { call_id: "call_signed", duration_seconds: 42 },
    });
    const delivery = await waitForDelivery(event.id, endpoint.id, (d) => d.status === "delivered");
    expect(request.headers["webhook-id"]).toBe(delivery.message_id);
    const attempts = await attemptsOf(delivery.id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ attempt: 1, status_code: 200, response_excerpt: "ok", replay: false });
  });
});
