// An owner (or an admin impersonating one) texts a customer: POST { "to": "<E.164>", "body": "<text>" }
// with an Idempotency-Key header. public.queue_owner_sms, under the caller's identity, checks the
// recipient, the sender (the business's own number), the consent ledger, quiet hours and the SMS
// allowance, and records the message with its charge once per key; only the call that recorded it
// hands it to Twilio, so 20 retries of one key send one text. public.finish_sms_send then marks it
// sent, or failed with the charge given back. SMS_SANDBOX=true makes the send a recorded no-op.
import { z } from "zod";
import { verifiedUserId } from "../_shared/auth.ts";
import { optionalEnv } from "../_shared/env.ts";
import { HttpError, jsonResponse, readJsonBody, withJsonErrors } from "../_shared/http.ts";
import { log } from "../_shared/log.ts";
import { databaseFailure } from "../_shared/provisioning-request.ts";
import { adminClient, userClient } from "../_shared/supabase.ts";
import { sendTwilioSms, type TwilioSendResult } from "../_shared/twilio.ts";

const SendSms = z.object({ to: z.string().max(32), body: z.string().min(1).max(1600) }).strict();

type Message = { id: string; from: string; to: string; body: string; status: string; segments: number; provider_message_id: string | null };
type Queued = { refusal?: string; send?: boolean; message?: Message };

/** Each refusal's status and what it means for the owner. */
const REFUSALS: Record<string, [number, string]> = {
  invalid_recipient: [400, "The recipient must be a valid E.164 number other than the business's own"],
  no_sms_sender: [409, "The business has no number enabled for SMS yet"],
  recipient_opted_out: [409, "The customer opted out of texts from this number; they can text START to opt back in"],
  quiet_hours: [409, "Texts that do not answer the customer are sent only from 8 am to 9 pm in their time zone"],
  sms_cap_reached: [402, "The plan's SMS allowance for this period is used up; buy a top-up to keep sending"],
  subscription_inactive: [402, "The subscription is not active"],
};

/** Twilio's refusals, as this function's codes. */
function providerRefusal(errorCode: string): [number, string] {
  if (errorCode === "21610") return [409, "recipient_opted_out"];
  if (["21211", "21614", "21612"].includes(errorCode)) return [400, "invalid_recipient"];
  return [502, "provider_refused"];
}

export const handleSendSms = withJsonErrors("send-sms", async (request) => {
  const requestId = request.headers.get("x-request-id");
  await verifiedUserId(request);
  const key = request.headers.get("idempotency-key");
  if (!key || key.length > 255) throw new HttpError(400, "invalid_idempotency_key", "Send an Idempotency-Key header of 1 to 255 characters");
  const input = await readJsonBody(request, SendSms);

  const { data, error } = await userClient(request).rpc("queue_owner_sms", { to_number: input.to, body: input.body, idempotency_key: key });
  if (error?.code === "PT409") throw new HttpError(409, "idempotency_key_reused", error.message);
  if (error) throw databaseFailure(error);
  const queued = data as Queued;
  if (queued.refusal) {
    const [status, message] = REFUSALS[queued.refusal] ?? [409, queued.refusal];
    throw new HttpError(status, queued.refusal, message);
  }
  const message = queued.message!;
  if (!queued.send) return jsonResponse(200, { message, replayed: true });

  let result: TwilioSendResult;
  try {
    result = optionalEnv("SMS_SANDBOX") === "true"
      ? { sid: `sandbox_${message.id}` }
      : await sendTwilioSms({ from: message.from, to: message.to, body: message.body });
  } catch (failure) {
    // Twilio did not answer: we cannot know it sent, so the message is failed and not charged;
    // the owner sends again with a new key.
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
  if ("errorCode" in result) {
    const [status, code] = result.errorCode === "provider_unavailable" ? [503, "provider_unavailable"] : providerRefusal(result.errorCode);
    throw new HttpError(status, code, `Not sent (${result.errorCode}: ${result.message}); nothing was charged`);
  }
  return jsonResponse(201, { message: { ...message, status: "sent", provider_message_id: result.sid } });
}, ["POST"]);
