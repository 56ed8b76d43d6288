// Sends the owner emails the database queued (private.email_outbox): the database kicks it after
// queuing one and every minute while any is due, with the service role key. It answers at once,
// then claims due emails in batches and sends each through Resend with its dedupe key as the
// Idempotency-Key, so a retried or doubled send never reaches the owner twice. A usage warning's
// text (kind usage_warning_text, for owners who opted in) goes through Twilio from our own number,
// MASTER_SMS_NUMBER (never a business's number: that one speaks for the business to its customers).
import type { SupabaseClient } from "@supabase/supabase-js";
import { adminClient } from "../_shared/supabase.ts";
import { jsonResponse, withJsonErrors } from "../_shared/http.ts";
import { afterResponse, log } from "../_shared/log.ts";
import { requireServiceRole } from "../_shared/auth.ts";
import { sendEmail } from "../_shared/email.ts";
import { type OwnerEmailKind, renderOwnerEmail, usageWarningText } from "../_shared/email-templates.ts";
import { requireEnv } from "../_shared/env.ts";
import { sendTwilioSms } from "../_shared/twilio.ts";

const BATCH_SIZE = 20;
const MAX_BATCHES = 10;

type ClaimedEmail = {
  id: number;
  kind: OwnerEmailKind | "usage_warning_text";
  dedupe_key: string;
  to_email: string | null;
  business_name: string | null;
  details: Record<string, unknown>;
};

async function sendOne(db: SupabaseClient, email: ClaimedEmail): Promise<void> {
  let failure: string | null = null;
  try {
    if (email.kind === "usage_warning_text") {
      const sent = await sendTwilioSms({
        from: requireEnv("MASTER_SMS_NUMBER"),
        to: String(email.details.to),
        body: usageWarningText(email.business_name, email.details),
      });
      if ("errorCode" in sent) throw new Error(`Twilio refused the text: ${sent.errorCode} ${sent.message}`);
    } else if (email.to_email) {
      // No address (or email not configured): nothing to send, and nothing to retry.
      const content = renderOwnerEmail({ kind: email.kind, businessName: email.business_name, details: email.details });
      await sendEmail({ to: email.to_email, idempotencyKey: email.dedupe_key, ...content });
    }
  } catch (error) {
    failure = String(error);
    log("warn", "owner email not sent", { email_id: email.id, kind: email.kind, error: failure });
  }
  const { error } = await db.rpc("email_done", { email_id: email.id, failure });
  if (error) throw new Error(`recording the email failed: ${error.message}`);
}

async function sendDue(db: SupabaseClient): Promise<void> {
  let sent = 0;
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const { data, error } = await db.rpc("email_claim", { max_emails: BATCH_SIZE });
    if (error) throw new Error(`claiming emails failed: ${error.message}`);
    const claimed = (data ?? []) as ClaimedEmail[];
    if (claimed.length === 0) break;
    await Promise.all(claimed.map((email) => sendOne(db, email)));
    sent += claimed.length;
  }
  log("info", "owner emails run ended", { emails: sent });
}

export const handleSendEmails = withJsonErrors("send-emails", async (request) => {
  await requireServiceRole(request);
  afterResponse("owner emails", () => sendDue(adminClient()));
  return jsonResponse(202, { started: true });
}, ["POST"]);
