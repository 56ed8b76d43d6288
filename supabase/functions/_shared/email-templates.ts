// Every email we send owners, in one place: each a subject, plain text and simple HTML built from
// the same paragraphs, with the business name. The ones send-emails sends (queued by the database
// in private.email_outbox) come from renderOwnerEmail; the others are sent where their event is
// handled (a failed payment, the quick-onboard invite, a disabled webhook endpoint). The usage
// warning also has a text version (usageWarningText) for owners who opted in to texts.
import { requireEnv } from "./env.ts";

export type OwnerEmailKind = "welcome" | "agent_live" | "deployment_failed" | "referral_approved" | "usage_warning";
export type OwnerEmail = { kind: OwnerEmailKind; businessName: string | null; details: Record<string, unknown> };
export type RenderedEmail = { subject: string; text: string; html: string };

const escapeHtml = (value: string) =>
  value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function rendered(subject: string, paragraphs: string[]): RenderedEmail {
  return {
    subject,
    text: paragraphs.join("\n\n") + "\n",
    html: `<!doctype html><html><body>${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join("")}</body></html>`,
  };
}

const dollars = (cents: unknown) => `$${(Number(cents) / 100).toFixed(2)}`;

/** The email of one kind, addressed to the business by name (or generically before it has one). */
export function renderOwnerEmail({ kind, businessName, details }: OwnerEmail): RenderedEmail {
  const business = businessName ?? "your business";
  const dashboard = requireEnv("FRONTEND_URL").replace(/\/$/, "");
  switch (kind) {
    case "welcome":
      return rendered("Welcome to your AI receptionist", [
        `Welcome! Your account is ready. Set up the receptionist for ${business} in a few minutes: your business details, your hours, and a plan.`,
        `Start here: ${dashboard}/onboarding`,
      ]);
    case "agent_live":
      return rendered(`Your receptionist for ${business} is live`, [
        `Your AI receptionist for ${business} now answers ${details.phone_number}.`,
        "Call it to hear it, and forward your business line to it when you are ready.",
        `Calls and leads appear in your dashboard: ${dashboard}/dashboard`,
      ]);
    case "deployment_failed":
      return rendered(`Action needed: choose another area code for ${business}`, [
        `We could not get a phone number for ${business}: no numbers are available in the area codes we tried (${(details.area_codes_tried as string[] | undefined)?.join(", ") ?? "your area code"}).`,
        `Choose another area code and deploy again: ${dashboard}/onboarding`,
      ]);
    case "usage_warning": {
      const warning = usageWarning(details);
      return rendered(`${business}: ${warning.headline}`, [
        `Your AI receptionist for ${business} has used ${warning.used} this billing period${warning.until}.`,
        warning.whatHappens,
        `Buy a top-up or change your plan to keep full service: ${dashboard}/billing`,
      ]);
    }
    case "referral_approved":
      return rendered("Your referral reward was approved", [
        `A referral reward of ${dollars(details.reward_cents)} for ${business} was approved.`,
        `Request a payout once your approved rewards reach the minimum: ${dashboard}/referrals`,
      ]);
  }
}

/** Stripe could not charge the subscription (stripe-webhook, invoice.payment_failed). */
export function paymentFailedEmail(
  businessName: string | null | undefined,
  amount: string,
  nextAttemptAt: Date | null,
  invoiceUrl: string | null | undefined,
): RenderedEmail {
  const nextAttempt = nextAttemptAt
    ? `We will try again on ${nextAttemptAt.toUTCString()}.`
    : "We will not try again: your receptionist stops taking calls unless the invoice is paid.";
  return rendered("Your receptionist subscription payment failed", [
    `Hello${businessName ? ` ${businessName}` : ""},`,
    `We could not charge ${amount} for your AI receptionist subscription. ${nextAttempt}`,
    invoiceUrl ? `Pay the invoice or update your card here: ${invoiceUrl}` : "Please update your card in the billing page.",
  ]);
}

/** The sign-in link of an owner an admin onboarded (admin-agents/quick-onboard). */
export function quickOnboardInviteEmail(link: string): RenderedEmail {
  return rendered("Your AI receptionist is being set up", [
    `Your account is ready. Sign in with this link (valid for an hour): ${link}`,
  ]);
}

/** We stopped delivering to one of the owner's webhook endpoints (webhook-dispatcher). */
export function endpointDisabledEmail(url: string, reason: string): RenderedEmail {
  const why = reason === "gone"
    ? "it answered 410 Gone, which means it no longer wants our events"
    : "every delivery to it has failed for 5 days";
  return rendered("A webhook endpoint was disabled", [
    `We stopped sending events to ${url} because ${why}.`,
    "Enable it again in your dashboard once it is fixed: deliveries still waiting go out then, and you can replay the ones that failed.",
  ]);
}

/** The details of a usage warning (private.warn_usage_thresholds), in words. */
function usageWarning(details: Record<string, unknown>) {
  const what = details.usage_kind === "sms" ? "SMS" : "call minutes";
  const full = Number(details.percent) >= 100;
  const topupLeft = Number(details.topup_left ?? 0);
  const limited = details.usage_kind === "sms"
    ? "texts stop going out"
    : "the receptionist only takes callers' details: no bookings or transfers";
  const whatHappens = details.overage_allowed
    ? `Past the allowance your plan keeps serving; the extra ${what} are billed as overage.`
    : topupLeft > 0
    ? `${full ? "Your" : "At the cap your"} top-up credit (${topupLeft} ${what}) is used next; when it runs out, ${limited}.`
    : full
    ? `From now on ${limited}, until the period renews or you top up.`
    : `At the cap ${limited}.`;
  return {
    headline: full ? `all ${what} of your plan are used` : `80% of your plan's ${what} are used`,
    used: full ? `all the ${what} of its plan` : `80% of the ${what} of its plan`,
    until: typeof details.period_end === "string" ? ` (until ${details.period_end.slice(0, 10)})` : "",
    whatHappens,
  };
}

/** The text of a usage warning, sent from our own number to an owner who opted in. */
export function usageWarningText(businessName: string | null, details: Record<string, unknown>): string {
  const warning = usageWarning(details);
  const dashboard = requireEnv("FRONTEND_URL").replace(/\/$/, "");
  return `${businessName ?? "Your receptionist"}: ${warning.headline}${warning.until}. ${warning.whatHappens} Top up: ${dashboard}/billing`;
}
