// The owner emails send-emails sends (queued by the database, private.email_outbox): each a
// subject, plain text and simple HTML built from the same paragraphs, with the business name.
import { requireEnv } from "./env.ts";

export type OwnerEmailKind = "welcome" | "agent_live" | "deployment_failed" | "referral_approved";
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
    case "referral_approved":
      return rendered("Your referral reward was approved", [
        `A referral reward of ${dollars(details.reward_cents)} for ${business} was approved.`,
        `Request a payout once your approved rewards reach the minimum: ${dashboard}/referrals`,
      ]);
  }
}
