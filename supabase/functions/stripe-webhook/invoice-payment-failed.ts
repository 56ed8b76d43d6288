// invoice.payment_failed: the subscription becomes past due, operators get an alert, and the owner
// an email. The database effect is applied once; the email is sent until it is confirmed, each time
// with the event id as its idempotency key, so redeliveries never send a second one.
import { sendEmail } from "../_shared/email.ts";
import { paymentFailedEmail } from "../_shared/email-templates.ts";
import { validated } from "../_shared/http.ts";
import { log } from "../_shared/log.ts";
import { isoTime } from "../_shared/stripe.ts";
import { applyRpc, type EventOutcome, idOf } from "./apply.ts";
import { invoice as invoiceSchema, type Invoice, type StripeEvent } from "./events.ts";

function paymentFailedEmailOf(invoice: Invoice, businessName: string | null | undefined) {
  const amount = new Intl.NumberFormat("en-US", { style: "currency", currency: invoice.currency }).format(invoice.amount_due / 100);
  const nextAttempt = invoice.next_payment_attempt ? new Date(invoice.next_payment_attempt * 1000) : null;
  return paymentFailedEmail(businessName, amount, nextAttempt, invoice.hosted_invoice_url);
}

export async function applyInvoicePaymentFailed(event: StripeEvent): Promise<EventOutcome> {
  const invoice = validated(event.data.object, invoiceSchema);
  const result = await applyRpc("stripe_apply_payment_failed", {
    event_id: event.id,
    event_type: event.type,
    event_created: isoTime(event.created),
    invoice: {
      id: invoice.id,
      // Since API version 2025-03-31.basil an invoice names its subscription under `parent`.
      stripe_subscription_id: idOf(invoice.parent?.subscription_details?.subscription),
      stripe_customer_id: idOf(invoice.customer),
      amount_due: invoice.amount_due,
      currency: invoice.currency,
      attempt_count: invoice.attempt_count,
      next_payment_attempt: isoTime(invoice.next_payment_attempt),
      hosted_invoice_url: invoice.hosted_invoice_url,
    },
  });
  if (result.notify_email) {
    const sent = await sendEmail({ to: result.notify_email, idempotencyKey: event.id, ...paymentFailedEmailOf(invoice, result.business_name) });
    if (!sent) log("warn", "payment failure email not sent: RESEND_API_KEY is not set", { event_id: event.id, user_id: result.user_id });
    await applyRpc("stripe_event_processed", { event_id: event.id });
  }
  return result;
}
