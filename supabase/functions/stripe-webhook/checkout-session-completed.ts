// checkout.session.completed: a subscription checkout creates the business's subscription and usage
// limits and requests its agent deployment; a paid top-up checkout adds credits.
import type Stripe from "stripe";
import { TOPUP_PRODUCT_IDS, type TopupProductId } from "../../../packages/shared/src/plans.ts";
import { HttpError } from "../_shared/http.ts";
import { stripeClient } from "../_shared/stripe.ts";
import { applyRpc, applySubscription, type EventOutcome, idOf, userIdFrom } from "./apply.ts";

const isTopupProduct = (value: unknown): value is TopupProductId => TOPUP_PRODUCT_IDS.includes(value as TopupProductId);

export async function applyCheckoutSessionCompleted(event: Stripe.Event): Promise<EventOutcome> {
  const session = event.data.object as Stripe.Checkout.Session;
  const userId = userIdFrom(session.client_reference_id ?? session.metadata?.user_id);

  if (session.mode === "subscription") {
    const subscriptionId = idOf(session.subscription);
    if (!subscriptionId) throw new HttpError(400, "invalid_event", `Checkout Session ${session.id} has no subscription`);
    // The session names the subscription only; its plan and period come from Stripe.
    const subscription = await stripeClient().subscriptions.retrieve(subscriptionId);
    return applySubscription(event, subscription, userId, true);
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
