// Twilio's status callbacks for the texts send-sms sends (StatusCallback; verify_jwt = false, Twilio
// signs them like its other webhooks). One RPC moves the message forward (sent, delivered;
// undelivered and failed give the charge back, and 21610 opts the customer out in the consent
// ledger), idempotently and in any order. Answered 204, which Twilio reads as received.
import { requireEnv } from "../_shared/env.ts";
import { log } from "../_shared/log.ts";
import { applyForm, twilioWebhook } from "../_shared/twilio-webhook.ts";
import { EventRejected } from "../_shared/webhook-events.ts";

export const handleSmsStatus = twilioWebhook("sms-status", async (params, requestId) => {
  const { MessageSid: sid, AccountSid: account, MessageStatus: status, ErrorCode: errorCode } = params;
  if (account !== requireEnv("TWILIO_ACCOUNT_SID")) throw new EventRejected("invalid_payload", "AccountSid is not our Twilio account");
  if (!sid || !/^(SM|MM)[0-9a-fA-F]{32}$/.test(sid)) throw new EventRejected("invalid_payload", "MessageSid must be a Twilio message sid");
  if (!status || !/^[a-z_]{1,20}$/.test(status)) throw new EventRejected("invalid_payload", "MessageStatus must be a Twilio message status");
  if (errorCode && !/^\d{1,10}$/.test(errorCode)) throw new EventRejected("invalid_payload", "ErrorCode must be a Twilio error code");
  const answer = await applyForm<{ applied: boolean; status?: string }>("twilio_sms_status", {
    message_sid: sid,
    message_status: status,
    error_code: errorCode || null,
  });
  log("info", "sms status", { request_id: requestId, message_sid: sid, reported: status, status: answer.status ?? null });
  return new Response(null, { status: 204 });
});
