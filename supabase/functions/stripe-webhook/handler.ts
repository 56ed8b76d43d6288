// Stripe's webhook (verify_jwt = false: Stripe signs its requests instead). Verifies the signature
// on the raw body, hands each event type we act on to its own file, and answers 2xx to every other
// type, so Stripe does not retry for days what we ignore on purpose. Each handler ends in one RPC
// that records the event id and applies the effect in one transaction. A signed event we cannot
// apply is answered 200 and recorded for an operator (webhook-events.ts); a 500 only when the
// database or Stripe's API did not answer, so that Stripe delivers the event again.
import { errorResponse, HttpError, jsonResponse, parseJson } from "../_shared/http.ts";
import { log } from "../_shared/log.ts";
import { verifiedStripePayload } from "../_shared/stripe.ts";
import { asRejection, idsIn, rejectEvent } from "../_shared/webhook-events.ts";
import type { EventOutcome } from "./apply.ts";
import { applyCheckoutSessionCompleted } from "./checkout-session-completed.ts";
import { stripeEvent, type StripeEvent } from "./events.ts";
import { applyInvoicePaymentFailed } from "./invoice-payment-failed.ts";
import { applySubscriptionChange } from "./subscription-changed.ts";

const HANDLERS: Record<string, (event: StripeEvent) => Promise<EventOutcome>> = {
  "checkout.session.completed": applyCheckoutSessionCompleted,
  "customer.subscription.updated": applySubscriptionChange,
  "customer.subscription.deleted": applySubscriptionChange,
  "invoice.payment_failed": applyInvoicePaymentFailed,
};

export async function handleStripeWebhook(request: Request): Promise<Response> {
  const requestId = request.headers.get("x-request-id") ?? crypto.randomUUID();
  if (request.method !== "POST") return errorResponse(405, "method_not_allowed", "Stripe webhooks are POST requests");
  let payload: string | undefined;
  let event: StripeEvent | undefined;
  try {
    payload = await verifiedStripePayload(request);
    event = parseJson(payload, stripeEvent);
    const handler = HANDLERS[event.type];
    const { outcome, user_id } = handler ? await handler(event) : { outcome: "ignored", user_id: null };
    log("info", "stripe event", { request_id: requestId, event_id: event.id, event_type: event.type, outcome, user_id });
    return jsonResponse(200, { received: true, outcome });
  } catch (error) {
    // A refused signature throws before the payload is kept: only a signed event is ever rejected.
    const rejection = asRejection(error);
    if (payload !== undefined && rejection) {
      return rejectEvent({
        provider: "stripe",
        fn: "stripe-webhook",
        rawBody: payload,
        rejection,
        ids: idsIn(payload, { event_id: ["id"], event_type: ["type"], object_id: ["data", "object", "id"] }),
        requestId,
      });
    }
    if (error instanceof HttpError) {
      log("warn", "stripe event refused", { request_id: requestId, event_id: event?.id, code: error.code });
      return errorResponse(error.status, error.code, error.message);
    }
    // Not answering 2xx makes Stripe deliver the event again later; nothing was half-applied.
    log("error", "stripe event failed", { request_id: requestId, event_id: event?.id, event_type: event?.type, error: String(error) });
    return errorResponse(500, "internal_error", "The event could not be processed now; Stripe will retry it");
  }
}
