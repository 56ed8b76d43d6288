// Transactional email through Resend (RESEND_API_BASE points at the local fake). Every send carries
// an Idempotency-Key, so a retried webhook that sends again is answered with the first send instead
// of a second email (Resend keeps keys for 24 hours).
import { optionalEnv, requireEnv } from "./env.ts";

export type Email = { to: string; subject: string; text: string; html?: string; idempotencyKey: string };

/** Sends `email`. Returns false when email is not configured (no RESEND_API_KEY); throws when Resend refuses. */
export async function sendEmail(email: Email): Promise<boolean> {
  const apiKey = optionalEnv("RESEND_API_KEY");
  if (!apiKey) return false;
  const response = await fetch(`${optionalEnv("RESEND_API_BASE") ?? "https://api.resend.com"}/emails`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${apiKey}`,
      "Content-Type": "application/json",
      "Idempotency-Key": email.idempotencyKey,
    },
    body: JSON.stringify({ from: requireEnv("EMAIL_FROM"), to: [email.to], subject: email.subject, text: email.text, html: email.html }),
    signal: AbortSignal.timeout(10_000),
  });
  if (response.ok) return true;
  const { name } = (await response.json().catch(() => ({}))) as { name?: string };
  // The key was used with another body (the text changed between retries): the first email went out.
  if (response.status === 409 && name === "invalid_idempotent_request") return true;
  throw new Error(`Resend refused the email: ${response.status} ${name ?? ""}`.trim());
}
