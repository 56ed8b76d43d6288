// What owners and admins do with their endpoints: a test event, the delivery log under RLS,
// replays (one, or every failed one in a range), secret rotation with 24 hours of overlap, and
// enabling a disabled endpoint again.
import { describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { newAdmin } from "../data-model/fixtures.ts";
import { attemptsOf, newEndpoint, newEvent, newUser, sql, verified, waitForDelivery } from "./fixtures.ts";

describe("a test event", () => {
  it("is delivered to the one endpoint and logged like any other event", async () => {
    const owner = await newUser("testevent");
    const endpoint = await newEndpoint(owner);
    const bystander = await newEndpoint(owner);
    const { data, error } = await owner.client.rpc("send_test_webhook", { endpoint: endpoint.id });
    expect(error).toBeNull();
    const [request] = await endpoint.waitFor(1);
    const envelope = verified(request, endpoint.secret);
    expect(envelope).toMatchObject({ type: "webhook.test", data: { webhook_config_id: endpoint.id } });
    expect(request.headers["webhook-id"]).toBe(data[0].message_id);
    expect(bystander.received).toHaveLength(0);
    await expect.poll(async () => (await owner.client.from("webhook_deliveries").select("status_code").eq("delivery_id", data[0].delivery_id)).data)
      .toEqual([{ status_code: 200 }]);
  });

  it("cannot be sent to someone else's endpoint", async () => {
    const owner = await newUser("testevent-owner");
    const stranger = await newUser("testevent-stranger");
    const endpoint = await newEndpoint(owner);
    const { error } = await stranger.client.rpc("send_test_webhook", { endpoint: endpoint.id });
    expect(error?.code).toBe("PT404");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(endpoint.received).toHaveLength(0);
  });
});

describe("the delivery log", () => {
  it("shows the owner each attempt (time, status, duration, excerpt, error) and nothing of other businesses", async () => {
    const owner = await newUser("log");
    const stranger = await newUser("log-stranger");
    const endpoint = await newEndpoint(owner, [{ status: 500, body: "x".repeat(5000) }, { status: 200, body: "thanks" }]);
    const event = await newEvent(owner);
    const delivery = await waitForDelivery(event.id, endpoint.id, (d) => d.status === "delivered", 20_000);
    const { data: attempts } = await owner.client.from("webhook_deliveries")
      .select("attempt, created_at, status_code, duration_ms, response_excerpt, error").eq("delivery_id", delivery.id).order("attempt");
    expect(attempts?.map((a) => [a.attempt, a.status_code, a.response_excerpt.length])).toEqual([[1, 500, 1024], [2, 200, 6]]);
    expect(attempts?.every((a) => typeof a.duration_ms === "number" && a.created_at)).toBe(true);
    const { data: deliveries } = await owner.client.from("webhook_endpoint_deliveries").select("message_id, status").eq("id", delivery.id);
    expect(deliveries).toEqual([{ message_id: delivery.message_id, status: "delivered" }]);

    for (const table of ["webhook_deliveries", "webhook_endpoint_deliveries"]) {
      const { data } = await stranger.client.from(table).select("id").eq(table === "webhook_deliveries" ? "delivery_id" : "id", delivery.id);
      expect(data, table).toEqual([]);
    }
    const { data: secrets } = await stranger.client.from("webhook_configs").select("secret").eq("id", endpoint.id);
    expect(secrets).toEqual([]);
  }, 30_000);
});

describe("replays", () => {
  async function deadDelivery(prefix: string) {
    const owner = await newUser(prefix);
    const endpoint = await newEndpoint(owner, [{ status: 400, headers: { "webhook-delivery": "abort-message" } }, { status: 200 }]);
    const event = await newEvent(owner);
    const delivery = await waitForDelivery(event.id, endpoint.id, (d) => d.status === "dead");
    return { owner, endpoint, event, delivery };
  }

  it("an owner replays a failed delivery: same webhook-id, current secret, not counted towards auto-disable", async () => {
    const { owner, endpoint, event, delivery } = await deadDelivery("replay");
    const [before] = await sql`select failing_since from public.webhook_configs where id = ${endpoint.id}`;
    const { error } = await owner.client.rpc("replay_webhook_delivery", { delivery: delivery.id });
    expect(error).toBeNull();
    const [, replayed] = await endpoint.waitFor(2);
    expect(replayed.headers["webhook-id"]).toBe(delivery.message_id);
    verified(replayed, endpoint.secret);
    await waitForDelivery(event.id, endpoint.id, (d) => d.status === "delivered");
    const attempts = await attemptsOf(delivery.id);
    expect(attempts.map((a) => [a.attempt, a.replay])).toEqual([[1, false], [2, true]]);
    const [after] = await sql`select failing_since from public.webhook_configs where id = ${endpoint.id}`;
    expect(after.failing_since).toEqual(before.failing_since);
    const audit = await sql`select action from public.audit_logs where target_id = ${String(delivery.id)} and action = 'webhook.delivery_replayed'`;
    expect(audit).toHaveLength(1);
  });

  it("an admin replays every failed delivery of an endpoint in a time range, audited with the admin as actor", async () => {
    const { owner, endpoint, event, delivery } = await deadDelivery("replay-range");
    const admin = await newAdmin();
    const { data: count, error } = await admin.client.rpc("replay_failed_webhook_deliveries", {
      endpoint: endpoint.id, created_from: new Date(Date.now() - 3_600_000).toISOString(), created_to: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(error).toBeNull();
    expect(count).toBe(1);
    await endpoint.waitFor(2);
    await waitForDelivery(event.id, endpoint.id, (d) => d.status === "delivered");
    const [audit] = await sql`select actor_user_id, on_behalf_of_user_id, details from public.audit_logs
                              where action = 'webhook.deliveries_replayed' and target_id = ${endpoint.id}`;
    expect(audit).toMatchObject({ actor_user_id: admin.id, on_behalf_of_user_id: owner.id, details: { count: 1 } });
    expect(delivery.message_id).toBe(endpoint.received[1].headers["webhook-id"]);
  });

  it("a range replay leaves failed deliveries outside the range alone", async () => {
    const { owner, endpoint } = await deadDelivery("replay-outside");
    const { data: count } = await owner.client.rpc("replay_failed_webhook_deliveries", {
      endpoint: endpoint.id, created_from: new Date(Date.now() - 7_200_000).toISOString(), created_to: new Date(Date.now() - 3_600_000).toISOString(),
    });
    expect(count).toBe(0);
  });
});

describe("secret rotation", () => {
  it("signs with both secrets for 24 hours, then with the new one only", async () => {
    const owner = await newUser("rotate");
    const endpoint = await newEndpoint(owner);
    const { data: newSecret, error } = await owner.client.rpc("rotate_webhook_secret", { endpoint: endpoint.id });
    expect(error).toBeNull();
    expect(newSecret).toMatch(/^whsec_/);
    await newEvent(owner);
    const [during] = await endpoint.waitFor(1);
    expect(during.headers["webhook-signature"].split(" ")).toHaveLength(2);
    verified(during, newSecret);
    verified(during, endpoint.secret);

    await sql`update public.webhook_configs set previous_secret_expires_at = now() - interval '1 second' where id = ${endpoint.id}`;
    await newEvent(owner);
    const [, after] = await endpoint.waitFor(2);
    expect(after.headers["webhook-signature"].split(" ")).toHaveLength(1);
    verified(after, newSecret);
    expect(() => new Webhook(endpoint.secret).verify(after.body, after.headers)).toThrow();
  });
});

describe("enabling an endpoint again", () => {
  it("clears the reason it was disabled, and what waited for it goes out", async () => {
    const owner = await newUser("enable");
    const endpoint = await newEndpoint(owner, [{ status: 410 }, { status: 200 }]);
    const first = await newEvent(owner);
    await waitForDelivery(first.id, endpoint.id, (d) => d.status === "dead");
    const { data: dead } = await owner.client.from("webhook_endpoint_deliveries").select("id").eq("webhook_config_id", endpoint.id);
    const { error } = await owner.client.from("webhook_configs").update({ active: true }).eq("id", endpoint.id);
    expect(error).toBeNull();
    const [config] = await sql`select active, disabled_reason, disabled_at from public.webhook_configs where id = ${endpoint.id}`;
    expect(config).toEqual({ active: true, disabled_reason: null, disabled_at: null });
    await owner.client.rpc("replay_webhook_delivery", { delivery: dead![0].id });
    await waitForDelivery(first.id, endpoint.id, (d) => d.status === "delivered");
  });
});
