// customer.subscription.updated / .deleted: status, plan and period changes. Stripe does not deliver
// events in order, so the subscription is read again from Stripe and its current state applied; the
// event's time is the watermark that keeps an older delivery from undoing a newer one.
import Stripe from "stripe";
import { stripeClient } from "../_shared/stripe.ts";
import { applySubscription, type EventOutcome, userIdFrom } from "./apply.ts";

async function currentState(fromEvent: Stripe.Subscription): Promise<Stripe.Subscription> {
  try {
    return await stripeClient().subscriptions.retrieve(fromEvent.id);
  } catch (error) {
    // Stripe keeps canceled subscriptions readable; one it no longer knows is as the event says.
    if (error instanceof Stripe.errors.StripeInvalidRequestError && error.code === "resource_missing") return fromEvent;
    throw error;
  }
}

export async function applySubscriptionChange(event: Stripe.Event): Promise<EventOutcome> {
  const subscription = await currentState(event.data.object as Stripe.Subscription);
  // create-checkout-session puts the user id in the subscription's metadata.
  return applySubscription(event, subscription, userIdFrom(subscription.metadata?.user_id), false);
}
