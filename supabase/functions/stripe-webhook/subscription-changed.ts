// customer.subscription.updated / .deleted: status, plan and period changes. Stripe does not deliver
// events in order, so the subscription is read again from Stripe and its current state applied; the
// event's time is the watermark that keeps an older delivery from undoing a newer one.
import Stripe from "stripe";
import { validated } from "../_shared/http.ts";
import { stripeClient } from "../_shared/stripe.ts";
import { EventRejected } from "../_shared/webhook-events.ts";
import { applySubscription, type EventOutcome, userIdFrom } from "./apply.ts";
import { type StripeEvent, subscription as subscriptionSchema } from "./events.ts";

async function currentState(fromEvent: { id: string }): Promise<unknown> {
  try {
    return await stripeClient().subscriptions.retrieve(fromEvent.id);
  } catch (error) {
    if (error instanceof Stripe.errors.StripeInvalidRequestError) {
      // Stripe keeps canceled subscriptions readable; one it no longer knows is as the event says.
      if (error.code === "resource_missing") return fromEvent;
      throw new EventRejected("not_applied", `Stripe cannot read subscription ${fromEvent.id}: ${error.message}`);
    }
    throw error;
  }
}

export async function applySubscriptionChange(event: StripeEvent): Promise<EventOutcome> {
  const fromEvent = validated(event.data.object, subscriptionSchema.pick({ id: true }).loose());
  const subscription = validated(await currentState(fromEvent), subscriptionSchema);
  // create-checkout-session puts the user id in the subscription's metadata.
  return applySubscription(event, subscription, userIdFrom(subscription.metadata?.user_id), false);
}
