import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import Stripe from "stripe";
import { buildEvent, createStripeFake, parseStripeForm, signStripePayload, type StripeEvent } from "../../fakes/stripe.ts";
import { listenOnFreePort } from "../../fakes/lib/common.ts";

const secretKey = "sk_test_fake_123";
const webhookSecret = "whsec_fake_456";
const fake = createStripeFake({ secretKey, webhookSecret });
let base: string;
let stripe: Stripe;

function client(key: string): Stripe {
  const { port } = new URL(base);
  return new Stripe(key, { host: "127.0.0.1", port: Number(port), protocol: "http", maxNetworkRetries: 0 });
}

async function control(path: string, body?: unknown) {
  const res = await fetch(base + path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body ?? {}),
  });
  return { status: res.status, body: (await res.json()) as any };
}

type SignedEvent = { event: StripeEvent & { data: { object: any; previous_attributes?: any } }; payload: string; signature: string };

async function subscribedCustomer(): Promise<{ session: Stripe.Checkout.Session; completed: SignedEvent }> {
  const session = await stripe.checkout.sessions.create({
    mode: "subscription",
    line_items: [{ price: "price_pro_monthly", quantity: 1 }],
    client_reference_id: "user-1",
    customer_email: "owner@example.com",
    success_url: "http://app.local/billing/success",
    cancel_url: "http://app.local/billing/cancel",
    metadata: { plan: "pro", user_id: "user-1" },
    subscription_data: { metadata: { user_id: "user-1" } },
  });
  const { body } = await control(`/__control/checkout/${session.id}/complete`);
  return { session, completed: body };
}

beforeAll(async () => {
  base = await listenOnFreePort(fake.server);
  stripe = client(secretKey);
});
afterAll(() => fake.server.close());
beforeEach(async () => {
  await control("/__control/reset");
});

describe("Stripe fake", () => {
  it("rejects a wrong API key with Stripe's 401", async () => {
    const error = await client("sk_test_wrong").customers.create({ email: "a@example.com" }).catch((e) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(error.statusCode).toBe(401);
    expect(error.type).toBe("StripeAuthenticationError");
    const raw = await fetch(`${base}/v1/customers/cus_x`);
    expect(raw.status).toBe(401);
    expect((await raw.json()).error.type).toBe("invalid_request_error");
  });

  it("creates and retrieves a checkout session from the official client's form encoding", async () => {
    const { session } = await subscribedCustomer();
    expect(session.id).toMatch(/^cs_test_/);
    expect(session.object).toBe("checkout.session");
    expect(session.url).toBe(`${base}/checkout/${session.id}`);
    expect(session.metadata).toEqual({ plan: "pro", user_id: "user-1" });
    expect(session.client_reference_id).toBe("user-1");

    const again = await stripe.checkout.sessions.retrieve(session.id);
    expect(again.status).toBe("complete");

    const logged = (await (await fetch(`${base}/__control/requests`)).json()) as any[];
    expect(logged[0]).toMatchObject({ method: "POST", path: "/v1/checkout/sessions" });
    expect(logged[0].body["line_items[0][price]"]).toBe("price_pro_monthly");
    expect(logged.every((r) => !r.path.startsWith("/__control"))).toBe(true);
  });

  it("completing a subscription checkout creates the customer and an active basil-shaped subscription", async () => {
    const { session, completed } = await subscribedCustomer();
    const { event } = completed;
    expect(event).toMatchObject({
      object: "event",
      type: "checkout.session.completed",
      api_version: "2026-10-28.endive",
      livemode: false,
      request: { id: null, idempotency_key: null },
    });
    expect(event.id).toMatch(/^evt_/);
    const completedSession = event.data.object;
    expect(completedSession).toMatchObject({ id: session.id, status: "complete", payment_status: "paid", mode: "subscription" });
    expect(completedSession.customer).toMatch(/^cus_/);

    const customer = (await stripe.customers.retrieve(completedSession.customer)) as Stripe.Customer;
    expect(customer.email).toBe("owner@example.com");

    const subscription = await stripe.subscriptions.retrieve(completedSession.subscription);
    expect(subscription.status).toBe("active");
    expect(subscription.customer).toBe(customer.id);
    const item = subscription.items.data[0];
    expect(item.price.id).toBe("price_pro_monthly");
    expect(item.current_period_end).toBeGreaterThan(item.current_period_start + 27 * 24 * 3600);
    expect("current_period_end" in subscription).toBe(false);
    // As in Stripe, only subscription_data.metadata reaches the subscription.
    expect(subscription.metadata).toEqual({ user_id: "user-1" });
  });

  it("returns events already signed with the webhook secret", async () => {
    const { completed } = await subscribedCustomer();
    const verified = await stripe.webhooks.constructEventAsync(completed.payload, completed.signature, webhookSecret);
    expect(verified.id).toBe(completed.event.id);
  });

  it("signStripePayload signs events that constructEventAsync accepts, and tampering is caught", async () => {
    const event = buildEvent("customer.subscription.deleted", { id: "sub_123", object: "subscription", status: "canceled" });
    const payload = JSON.stringify(event);
    const header = await signStripePayload(payload, webhookSecret);
    const verified = await stripe.webhooks.constructEventAsync(payload, header, webhookSecret);
    expect(verified.type).toBe("customer.subscription.deleted");

    const tampered = payload.replace("canceled", "active");
    await expect(stripe.webhooks.constructEventAsync(tampered, header, webhookSecret)).rejects.toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
    const old = await signStripePayload(payload, webhookSecret, Math.floor(Date.now() / 1000) - 3600);
    await expect(stripe.webhooks.constructEventAsync(payload, old, webhookSecret)).rejects.toThrow(/timestamp/i);
  });

  it("updates and cancels subscriptions through the API", async () => {
    const { completed } = await subscribedCustomer();
    const id = completed.event.data.object.subscription;

    const scheduled = await stripe.subscriptions.update(id, { cancel_at_period_end: true });
    expect(scheduled.cancel_at_period_end).toBe(true);
    expect(scheduled.cancel_at).toBe(scheduled.items.data[0].current_period_end);

    const upgraded = await stripe.subscriptions.update(id, { items: [{ price: "price_max_monthly" }], metadata: { tier: "max" } });
    expect(upgraded.items.data[0].price.id).toBe("price_max_monthly");
    expect(upgraded.metadata).toEqual({ user_id: "user-1", tier: "max" });

    const canceled = await stripe.subscriptions.cancel(id);
    expect(canceled.status).toBe("canceled");
    expect(canceled.ended_at).not.toBeNull();
    await expect(stripe.subscriptions.update(id, { cancel_at_period_end: false })).rejects.toThrow(/canceled subscription/);
  });

  it("emits subscription and invoice events from the billing engine", async () => {
    const { completed } = await subscribedCustomer();
    const id = completed.event.data.object.subscription;

    const updated = (await control(`/__control/subscriptions/${id}/event`, {
      type: "customer.subscription.updated",
      changes: { status: "past_due" },
    })).body as SignedEvent;
    expect(updated.event.data.object.status).toBe("past_due");
    expect(updated.event.data.previous_attributes).toEqual({ status: "active" });
    expect((await stripe.subscriptions.retrieve(id)).status).toBe("past_due");

    const failed = (await control(`/__control/subscriptions/${id}/event`, {
      type: "invoice.payment_failed",
      changes: { attempt_count: 4, next_payment_attempt: null, amount_due: 4900 },
    })).body as SignedEvent;
    const invoice = failed.event.data.object;
    expect(invoice).toMatchObject({
      object: "invoice",
      customer: completed.event.data.object.customer,
      attempt_count: 4,
      next_payment_attempt: null,
      amount_due: 4900,
      parent: { subscription_details: { subscription: id } },
    });
    expect(invoice.hosted_invoice_url).toMatch(/^http:\/\//);
    expect(invoice).not.toHaveProperty("subscription");

    const deleted = (await control(`/__control/subscriptions/${id}/event`, { type: "customer.subscription.deleted" }))
      .body as SignedEvent;
    expect(deleted.event.data.object.status).toBe("canceled");
    await stripe.webhooks.constructEventAsync(deleted.payload, deleted.signature, webhookSecret);
  });

  it("answers documented errors in Stripe's shape", async () => {
    const missing = await stripe.subscriptions.retrieve("sub_missing").catch((e) => e);
    expect(missing).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(missing.statusCode).toBe(404);
    expect(missing.code).toBe("resource_missing");

    const noMode = await stripe.checkout.sessions
      .create({ line_items: [{ price: "price_x", quantity: 1 }] } as Stripe.Checkout.SessionCreateParams)
      .catch((e) => e);
    expect(noMode.statusCode).toBe(400);
    expect(noMode.code).toBe("parameter_missing");
    expect(noMode.param).toBe("mode");

    const both = await stripe.checkout.sessions
      .create({ mode: "payment", line_items: [{ price: "price_x", quantity: 1 }], customer: "cus_x", customer_email: "a@b.c" })
      .catch((e) => e);
    expect(both.message).toMatch(/only specify one/);
  });

  it("fails the next request when a fault is injected", async () => {
    await control("/__control/faults", { failNext: 1, failStatus: 503 });
    const error = await stripe.customers.create({ email: "a@example.com" }).catch((e) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(error.statusCode).toBe(503);
    const customer = await stripe.customers.create({ email: "a@example.com" });
    expect(customer.id).toMatch(/^cus_/);
  });

  it("parses bracket notation into nested objects and arrays", () => {
    expect(parseStripeForm("line_items[0][price]=p1&line_items[1][price]=p2&metadata[plan]=pro&expand[]=a&expand[]=b")).toEqual({
      line_items: [{ price: "p1" }, { price: "p2" }],
      metadata: { plan: "pro" },
      expand: ["a", "b"],
    });
  });
});
