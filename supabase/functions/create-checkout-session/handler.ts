// Starts a Stripe Checkout for the signed-in user (whose token it verifies): a subscription to a
// plan, or a one-off top-up for a business that has one. The session carries the user id
// (client_reference_id and metadata), which is how stripe-webhook knows whose payment completed.
import Stripe from "stripe";
import { type CheckoutRequest, checkoutRequestSchema } from "../../../packages/shared/src/plans.ts";
import { requireEnv } from "../_shared/env.ts";
import { errorResponse, HttpError, jsonResponse, readJsonBody } from "../_shared/http.ts";
import { log } from "../_shared/log.ts";
import { verifiedUserId } from "../_shared/auth.ts";
import { userClient } from "../_shared/supabase.ts";
import { prices, stripeClient } from "../_shared/stripe.ts";

/** Subscription states in which the business has a plan: no second subscription, top-ups allowed. */
const LIVE_STATUSES = ["active", "trialing", "past_due"];

type BillingCustomer = { user_id: string; email: string | null; stripe_customer_id: string | null; subscription_status: string | null };

/** The caller: their token verified here, then their billing record read under RLS with it. */
async function billingCustomer(request: Request): Promise<BillingCustomer> {
  await verifiedUserId(request);
  const { data, error } = await userClient(request).rpc("billing_customer").maybeSingle<BillingCustomer>();
  if (error?.code === "42501" || (!error && !data)) {
    throw new HttpError(401, "not_signed_in", "Send a signed-in user's access token as Authorization: Bearer <token>");
  }
  if (error) throw new Error(`billing_customer failed: ${error.code} ${error.message}`);
  return data!;
}

async function assertWizardOpen(request: Request): Promise<void> {
  const { error } = await userClient(request).rpc("assert_wizard_open");
  if (error?.code === "PT423") throw new HttpError(423, "maintenance_mode", error.message);
  if (error) throw new Error(`assert_wizard_open failed: ${error.code} ${error.message}`);
}

function checkoutParams(order: CheckoutRequest, customer: BillingCustomer): Stripe.Checkout.SessionCreateParams {
  const live = LIVE_STATUSES.includes(customer.subscription_status ?? "");
  const price = order.kind === "subscription" ? prices().priceForPlan(order.plan) : prices().priceForTopup(order.product);
  const item = order.kind === "subscription" ? order.plan : order.product;
  if (order.kind === "subscription" && live) {
    throw new HttpError(409, "already_subscribed", "This business already has a subscription");
  }
  if (order.kind === "topup" && !live) {
    throw new HttpError(409, "subscription_required", "Top-ups add to a plan: subscribe first");
  }
  if (!price) throw new HttpError(422, "not_for_sale", `${item} is not on sale`);

  const frontend = requireEnv("FRONTEND_URL").replace(/\/$/, "");
  const metadata = { user_id: customer.user_id, ...(order.kind === "subscription" ? { plan: order.plan } : { product: order.product }) };
  return {
    mode: order.kind === "subscription" ? "subscription" : "payment",
    line_items: [{ price, quantity: 1 }],
    client_reference_id: customer.user_id,
    // Reuse the business's Stripe customer; a first checkout creates one for the account email.
    ...(customer.stripe_customer_id ? { customer: customer.stripe_customer_id } : { customer_email: customer.email ?? undefined }),
    metadata,
    // Subscription events carry the subscription's metadata, not the session's.
    ...(order.kind === "subscription" ? { subscription_data: { metadata } } : {}),
    success_url: `${frontend}/billing?checkout=success&session_id={CHECKOUT_SESSION_ID}`,
    cancel_url: `${frontend}/billing?checkout=canceled`,
  };
}

export async function handleCreateCheckoutSession(request: Request): Promise<Response> {
  const requestId = request.headers.get("x-request-id") ?? crypto.randomUUID();
  if (request.method !== "POST") return errorResponse(405, "method_not_allowed", "Use POST");
  try {
    const customer = await billingCustomer(request);
    const order = await readJsonBody(request, checkoutRequestSchema);
    // A first plan is the wizard's payment step, closed to non-admins in maintenance mode; top-ups are not.
    if (order.kind === "subscription") await assertWizardOpen(request);
    const session = await stripeClient().checkout.sessions.create(checkoutParams(order, customer));
    log("info", "checkout session created", { request_id: requestId, user_id: customer.user_id, session_id: session.id, kind: order.kind });
    return jsonResponse(200, { url: session.url, id: session.id });
  } catch (error) {
    if (error instanceof HttpError) return errorResponse(error.status, error.code, error.message);
    if (error instanceof Stripe.errors.StripeError) {
      log("error", "stripe refused the checkout session", { request_id: requestId, stripe_error: error.code ?? error.type });
      return errorResponse(502, "stripe_error", "Stripe did not create the checkout session; try again");
    }
    log("error", "checkout session failed", { request_id: requestId, error: String(error) });
    return errorResponse(500, "internal_error", "Something went wrong on our side; try again");
  }
}
