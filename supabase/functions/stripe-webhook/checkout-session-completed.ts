// checkout.session.completed: a subscription checkout creates the business's subscription and usage
// limits and requests its agent deployment; a paid top-up checkout adds credits.
import Stripe from "stripe";
import { TOPUP_PRODUCT_IDS, type TopupProductId } from "../../../packages/shared/src/plans.ts";
import { validated } from "../_shared/http.ts";
import { stripeClient } from "../_shared/stripe.ts";
import { EventRejected } from "../_shared/webhook-events.ts";
import { applyRpc, applySubscription, type EventOutcome, idOf, userIdFrom } from "./apply.ts";
import { checkoutSession, type StripeEvent, subscription as subscriptionSchema } from "./events.ts";

const isTopupProduct = (value: unknown): value is TopupProductId => TOPUP_PRODUCT_IDS.includes(value as TopupProductId);

/** The subscription a checkout created, as Stripe holds it now. */
async function subscriptionAtStripe(id: string) {
  try {
    return validated(await stripeClient().subscriptions.retrieve(id), subscriptionSchema);
  } catch (error) {
    // Stripe refusing to read it (unknown, or an id no subscription can have) will not change on a retry.
    if (error instanceof Stripe.errors.StripeInvalidRequestError) {
      throw new EventRejected("not_applied", `Stripe cannot read subscription ${id}: ${error.message}`);
    }
    throw error;
  }
}

export async function applyCheckoutSessionCompleted(event: StripeEvent): Promise<EventOutcome> {
  const session = validated(event.data.object, checkoutSession);
  const userId = userIdFrom(session.client_reference_id ?? session.metadata?.user_id);

  if (session.mode === "subscription") {
    const subscriptionId = idOf(session.subscription);
    if (!subscriptionId) throw new EventRejected("invalid_payload", `Checkout Session ${session.id} has no subscription`);
    // The session names the subscription only; its plan and period come from Stripe.
    return applySubscription(event, await subscriptionAtStripe(subscriptionId), userId, true);
  }

  // Only top-ups are sold in payment mode, and only a paid one adds credits.
  const product = session.metadata?.product;
  if (session.mode === "payment" && session.payment_status === "paid" && isTopupProduct(product)) {
    return applyRpc("stripe_apply_topup", {
      event_id: event.id,
      event_type: event.type,
      target_user: userId,
      checkout_session_id: session.id,
      product_id: product,
    });
  }
  return { outcome: "ignored", user_id: userId };
}
