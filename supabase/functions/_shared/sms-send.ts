// Hands a text the SQL send core recorded (private.queue_sms: consent, quiet hours, allowance and
// the charge, once per idempotency key) to Twilio, and records Twilio's answer with
// finish_sms_send: sent, or failed with the charge given back. Used by send-sms (the owner's
// texts) and by retell-webhook (missed-call text-backs). SMS_SANDBOX=true makes the send a recorded
// no-op.
import { optionalEnv } from "./env.ts";
import { log } from "./log.ts";
import { databaseFailure } from "./provisioning-request.ts";
import { adminClient } from "./supabase.ts";
import { sendTwilioSms, type TwilioSendResult } from "./twilio.ts";

export type QueuedMessage = {
  id: string;
  from: string;
  to: string;
  body: string;
  status: string;
  segments: number;
  provider_message_id: string | null;
};

/** What the send core answers: a refusal, or the message and whether this caller must send it. */
export type QueuedSms = { refusal?: string; send?: boolean; message?: QueuedMessage };

/**
 * Sends `message` and records the outcome. Twilio not answering is recorded as the failure
 * `provider_unavailable` (we cannot know it sent, so nothing is charged); a database that does not
 * take the outcome throws.
 */
export async function deliverSms(message: QueuedMessage, requestId: string | null): Promise<TwilioSendResult> {
  let result: TwilioSendResult;
  try {
    result = optionalEnv("SMS_SANDBOX") === "true"
      ? { sid: `sandbox_${message.id}` }
      : await sendTwilioSms({ from: message.from, to: message.to, body: message.body });
  } catch (failure) {
    log("error", "sms send failed", { request_id: requestId, message_id: message.id, error: String(failure) });
    result = { errorCode: "provider_unavailable", message: String(failure) };
  }
  const finished = await adminClient().rpc("finish_sms_send", {
    message_id: message.id,
    provider_message_id: "sid" in result ? result.sid : null,
    error_code: "errorCode" in result ? result.errorCode : null,
  });
  if (finished.error) throw databaseFailure(finished.error);
  log("info", "sms sent", { request_id: requestId, message_id: message.id, outcome: "sid" in result ? "sent" : result.errorCode });
  return result;
}
