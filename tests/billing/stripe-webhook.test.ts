// stripe-webhook through the gateway, fed by the Stripe fake: signatures, idempotency under
// redelivery and concurrency, out-of-order subscription events, top-ups, failed payments, caps.
import { describe, expect, it } from "vitest";
import { fakeUrl } from "../../stack/config.ts";
import { newUser, sql } from "../helpers/stack.ts";
import {
  billingState,
  completeCheckout,
  deliver,
  env,
  recordedEvent,
  signedEvent,
  startCheckout,
  subscribe,
  subscriptionEvent,
} from "./stripe.ts";

async function usageCheck(userId: string, kind: "call" | "sms") {
  const [answer] = await sql`select allowed, reason from private.usage_check(${userId}, ${kind})`;
  return answer;
}

describe("stripe-webhook signatures", () => {
  it("refuses a missing, wrong, stale or tampered signature with 400 and writes nothing", async () => {
    const user = await newUser("sig");
    const started = await startCheckout(user, { kind: "subscription", plan: "pro" });
    const completed = await completeCheckout(started.body.id);

    const wrongSecret = await signedEvent("checkout.session.completed", completed.event.data.object, { secret: "whsec_not_ours" });
    const stale = await signedEvent("checkout.session.completed", completed.event.data.object, {
      timestamp: Math.floor(Date.now() / 1000) - 600,
    });
    const cases = [
      { name: "missing", delivery: { payload: completed.payload }, code: "missing_signature", eventId: completed.event.id },
      { name: "wrong secret", delivery: wrongSecret, code: "invalid_signature", eventId: wrongSecret.event.id },
      { name: "stale", delivery: stale, code: "invalid_signature", eventId: stale.event.id },
      {
        name: "tampered",
        delivery: { payload: completed.payload.replace('"mode":"subscription"', '"mode":"payment"'), signature: completed.signature },
        code: "invalid_signature",
        eventId: completed.event.id,
      },
    ];
    for (const { name, delivery, code, eventId } of cases) {
      const response = await deliver(delivery);
      expect(response.status, name).toBe(400);
      expect(response.body.error.code, name).toBe(code);
      expect(await recordedEvent(eventId), name).toBeUndefined();
    }
    expect(await billingState(user.id)).toBeUndefined();
    expect(await sql`select 1 from public.agents where user_id = ${user.id}`).toHaveLength(0);
  });

  it("acknowledges an event type it does not handle and ignores it", async () => {
    const unknown = await signedEvent("customer.created", { id: "cus_ignored", object: "customer" });
    const response = await deliver(unknown);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ received: true, outcome: "ignored" });
  });
});

describe("checkout.session.completed", () => {
  it("creates the subscription and usage limits for the period and requests the deployment", async () => {
    const user = await newUser("checkout");
    const completed = await subscribe(user, "pro");

    expect(await billingState(user.id)).toMatchObject({
      plan: "pro",
      status: "active",
      stripe_subscription_id: completed.subscriptionId,
      stripe_customer_id: completed.event.data.object.customer,
      call_minutes_allowance: 500,
      sms_allowance: 500,
      call_minutes_used: 0,
    });
    expect(await sql`select 1 from public.agents where user_id = ${user.id}`).toHaveLength(1);
    const { data } = await user.client.rpc("subscription_status").single();
    expect(data).toMatchObject({ plan: "pro", status: "active", call_minutes_left: 500, sms_left: 500 });
  });

  it("does nothing the second time the same event is delivered", async () => {
    const user = await newUser("twice");
    const completed = await subscribe(user, "core");
    await sql`update public.usage_limits set call_minutes_used = 12 where user_id = ${user.id}`;

    const again = await deliver(completed);
    expect(again.status).toBe(200);
    expect(again.body.outcome).toBe("duplicate");
    expect((await billingState(user.id)).call_minutes_used).toBe(12);
    expect(await sql`select 1 from public.inbound_webhook_events where provider = 'stripe' and event_id = ${completed.event.id}`).toHaveLength(1);
  });

  it("applies an event delivered 20 times at once exactly once", async () => {
    const user = await newUser("burst");
    const started = await startCheckout(user, { kind: "subscription", plan: "elite" });
    const completed = await completeCheckout(started.body.id);

    const responses = await Promise.all(Array.from({ length: 20 }, () => deliver(completed)));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    const outcomes = responses.map((r) => r.body.outcome).sort();
    expect(outcomes).toEqual(["applied", ...Array(19).fill("duplicate")]);
    expect(await sql`select 1 from public.subscriptions where user_id = ${user.id}`).toHaveLength(1);
    expect(await sql`select 1 from public.agents where user_id = ${user.id}`).toHaveLength(1);
    expect((await billingState(user.id)).call_minutes_allowance).toBe(1000);
  });
});

describe("customer.subscription.updated / deleted", () => {
  // Plan change, cancellation scheduled, a failed renewal, recovery, cancellation withdrawn, upgrade.
  const changes = [
    { price: env.STRIPE_PRICE_ID_ELITE },
    { cancel_at_period_end: true },
    { status: "past_due" },
    { status: "active" },
    { cancel_at_period_end: false },
    { price: env.STRIPE_PRICE_ID_SCALE },
  ];

  async function subscriberWithHistory() {
    const user = await newUser("history");
    const { subscriptionId } = await subscribe(user, "pro");
    const events = [];
    for (const change of changes) events.push(await subscriptionEvent(subscriptionId, "customer.subscription.updated", change));
    return { user, subscriptionId, events };
  }

  it("ends in the same state whether the events arrive in order or shuffled", async () => {
    const ordered = await subscriberWithHistory();
    const shuffled = await subscriberWithHistory();
    for (const event of ordered.events) expect((await deliver(event)).status).toBe(200);
    for (const index of [3, 5, 0, 4, 1, 2]) expect((await deliver(shuffled.events[index])).status).toBe(200);

    const { stripe_subscription_id: _a, stripe_customer_id: _b, ...orderedState } = await billingState(ordered.user.id);
    const { stripe_subscription_id: _c, stripe_customer_id: _d, ...shuffledState } = await billingState(shuffled.user.id);
    expect(orderedState).toMatchObject({ plan: "scale", status: "active", cancel_at_period_end: false, call_minutes_allowance: 2500 });
    expect(shuffledState).toEqual(orderedState);
  });

  it("changes the allowance at once and carries the period's usage over", async () => {
    const user = await newUser("upgrade");
    const { subscriptionId } = await subscribe(user, "core");
    await sql`insert into public.usage_calls (user_id, call_id, duration_seconds, billable_minutes)
              values (${user.id}, ${`upgrade_call_${user.id}`}, 2400, 40)`;
    await deliver(await subscriptionEvent(subscriptionId, "customer.subscription.updated", { price: env.STRIPE_PRICE_ID_PRO }));
    expect(await billingState(user.id)).toMatchObject({ plan: "pro", call_minutes_allowance: 500, call_minutes_used: 40 });
  });

  it("cancels on deletion, and a late update does not revive the subscription", async () => {
    const user = await newUser("deleted");
    const { subscriptionId } = await subscribe(user, "pro");
    const lateUpdate = await subscriptionEvent(subscriptionId, "customer.subscription.updated", { cancel_at_period_end: true });
    const deleted = await subscriptionEvent(subscriptionId, "customer.subscription.deleted");

    expect((await deliver(deleted)).body.outcome).toBe("applied");
    expect((await billingState(user.id)).status).toBe("canceled");
    expect((await deliver(lateUpdate)).status).toBe(200);
    expect((await billingState(user.id)).status).toBe("canceled");
    expect(await usageCheck(user.id, "call")).toEqual({ allowed: false, reason: "subscription_inactive" });
  });
});

describe("top-ups and caps", () => {
  it("adds top-up credits once, and refuses calls after the allowance and the credits are used", async () => {
    const user = await newUser("topup");
    await subscribe(user, "core");
    const started = await startCheckout(user, { kind: "topup", product: "call_300" });
    expect(started.status).toBe(200);
    const completed = await completeCheckout(started.body.id);
    expect((await deliver(completed)).body.outcome).toBe("applied");
    expect((await deliver(completed)).body.outcome).toBe("duplicate");
    expect(await billingState(user.id)).toMatchObject({ call_minutes_allowance: 200, topup_call_minutes: 300 });

    // Calls recorded the way call handling records them: 200 plan minutes, then 290 of the credits.
    const record = (n: number, minutes: number) => sql`
      insert into public.usage_calls (user_id, call_id, duration_seconds, billable_minutes)
      values (${user.id}, ${`topup_call_${n}_${user.id}`}, ${minutes * 60}, ${minutes})`;
    await record(1, 200);
    expect(await usageCheck(user.id, "call")).toEqual({ allowed: true, reason: "ok" });
    await record(2, 290);
    expect(await usageCheck(user.id, "call")).toEqual({ allowed: true, reason: "ok" });
    await record(3, 15);
    expect(await usageCheck(user.id, "call")).toEqual({ allowed: false, reason: "over_cap" });
    expect(await billingState(user.id)).toMatchObject({ call_minutes_used: 205, topup_call_minutes: 0 });
    expect(await usageCheck(user.id, "sms")).toEqual({ allowed: true, reason: "ok" });
  });
});

describe("invoice.payment_failed", () => {
  async function emailsFor(to: string) {
    const emails = (await (await fetch(`${fakeUrl("resend")}/__control/emails`)).json()) as any[];
    // Not the welcome email every new owner gets.
    return emails.filter((e) => e.to.includes(to) && !e.idempotency_key?.startsWith("welcome:"));
  }

  it("marks the subscription past due, alerts operators once and emails the owner once", async () => {
    const user = await newUser("unpaid");
    const { subscriptionId } = await subscribe(user, "pro");
    const failed = await subscriptionEvent(subscriptionId, "invoice.payment_failed", { amount_due: 9900 });

    const first = await deliver(failed);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.outcome).toBe("applied");
    expect((await deliver(failed)).body.outcome).toBe("duplicate");

    expect((await billingState(user.id)).status).toBe("past_due");
    const alerts = await sql`select severity, details from public.ops_alerts where user_id = ${user.id} and kind = 'payment_failed'`;
    expect(alerts).toHaveLength(1);
    expect(alerts[0].details).toMatchObject({ invoice_id: failed.event.data.object.id, amount_due: 9900 });
    const emails = await emailsFor(user.email);
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({ idempotency_key: failed.event.id, subject: expect.stringMatching(/payment failed/i) });
    expect(emails[0].text).toContain("$99.00");
    expect((await recordedEvent(failed.event.id)).processed_at).not.toBeNull();
    // past_due keeps the receptionist answering while Stripe retries.
    expect(await usageCheck(user.id, "call")).toEqual({ allowed: true, reason: "ok" });
  });
});
