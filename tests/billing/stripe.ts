// The billing suites' side of Stripe: start a checkout as the user would, let the Stripe fake play
// the customer paying and Stripe's billing engine, and deliver the signed events it hands back to
// stripe-webhook through the gateway, as Stripe would.
import { expect } from "vitest";
import { buildEvent, signStripePayload } from "../../fakes/stripe.ts";
import { fakeUrl } from "../../stack/config.ts";
import { functionEnv } from "../../stack/functions.ts";
import { callFunction, sql, type TestUser } from "../helpers/stack.ts";

export const env = functionEnv();
const STRIPE_URL = fakeUrl("stripe");

/** An event with its body exactly as delivered and its Stripe-Signature header. */
export type SignedEvent = { event: { id: string; type: string; created: number; data: { object: any } }; payload: string; signature: string };

async function control(path: string, body: unknown = {}): Promise<any> {
  const response = await fetch(`${STRIPE_URL}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(`Stripe fake ${path}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

/** The customer pays on Stripe's page; returns the signed checkout.session.completed. */
export const completeCheckout = (sessionId: string): Promise<SignedEvent> => control(`/__control/checkout/${sessionId}/complete`);

/** Stripe's billing engine changes a subscription (or fails its invoice) and emits the event. */
export const subscriptionEvent = (subscriptionId: string, type: string, changes: Record<string, unknown> = {}): Promise<SignedEvent> =>
  control(`/__control/subscriptions/${subscriptionId}/event`, { type, changes });

/** Any event, signed with the webhook secret (or another one, or at another time). */
export async function signedEvent(
  type: string,
  object: unknown,
  options: { secret?: string; timestamp?: number } = {},
): Promise<SignedEvent> {
  const event = buildEvent(type, object);
  const payload = JSON.stringify(event);
  return { event, payload, signature: await signStripePayload(payload, options.secret ?? env.STRIPE_WEBHOOK_SECRET, options.timestamp) };
}

export function deliver(signed: { payload: string; signature?: string }) {
  return callFunction("stripe-webhook", {
    rawBody: signed.payload,
    headers: signed.signature === undefined ? {} : { "stripe-signature": signed.signature },
  });
}

export function startCheckout(user: TestUser, body: unknown) {
  return callFunction("create-checkout-session", { body, token: user.accessToken });
}

/** Subscribes `user` to `plan` end to end; returns the completed checkout event, delivered once. */
export async function subscribe(user: TestUser, plan: string): Promise<SignedEvent & { subscriptionId: string }> {
  const started = await startCheckout(user, { kind: "subscription", plan });
  expect(started.status, JSON.stringify(started.body)).toBe(200);
  const completed = await completeCheckout(started.body.id);
  const delivered = await deliver(completed);
  expect(delivered.body).toEqual({ received: true, outcome: "applied" });
  return { ...completed, subscriptionId: completed.event.data.object.subscription };
}

/** What the database holds about the user's billing. */
export async function billingState(userId: string) {
  const [state] = await sql`
    select s.plan, s.status, s.stripe_subscription_id, s.stripe_customer_id, s.cancel_at_period_end,
           l.call_minutes_allowance, l.sms_allowance, l.call_minutes_used, l.topup_call_minutes, l.topup_sms
    from public.subscriptions s left join public.usage_limits l on l.user_id = s.user_id
    where s.user_id = ${userId}`;
  return state;
}

export async function recordedEvent(eventId: string) {
  const [row] = await sql`select event_type, processed_at from public.inbound_webhook_events where provider = 'stripe' and event_id = ${eventId}`;
  return row;
}
