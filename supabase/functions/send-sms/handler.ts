// An owner (or an admin impersonating one) texts a customer: POST { "to": "<E.164>", "body": "<text>" }
// with an Idempotency-Key header. public.queue_owner_sms, under the caller's identity, checks the
// recipient, the sender (the business's own number), the consent ledger, quiet hours and the SMS
// allowance, and records the message with its charge once per key; only the call that recorded it
// hands it to Twilio, so 20 retries of one key send one text. public.finish_sms_send then marks it
// sent, or failed with the charge given back (_shared/sms-send.ts). SMS_SANDBOX=true makes the send
// a recorded no-op.
import { z } from "zod";
import { verifiedUserId } from "../_shared/auth.ts";
import { HttpError, jsonResponse, readJsonBody, withJsonErrors } from "../_shared/http.ts";
import { databaseFailure } from "../_shared/provisioning-request.ts";
import { userClient } from "../_shared/supabase.ts";
import { deliverSms, type QueuedSms } from "../_shared/sms-send.ts";

const SendSms = z.object({ to: z.string().max(32), body: z.string().min(1).max(1600) }).strict();

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
  const queued = data as QueuedSms;
  if (queued.refusal) {
    const [status, message] = REFUSALS[queued.refusal] ?? [409, queued.refusal];
    throw new HttpError(status, queued.refusal, message);
  }
  const message = queued.message!;
  if (!queued.send) return jsonResponse(200, { message, replayed: true });

  // Twilio not answering: we cannot know it sent, so the message is failed and not charged; the
  // owner sends again with a new key.
  const result = await deliverSms(message, requestId);
  if ("errorCode" in result) {
    const [status, code] = result.errorCode === "provider_unavailable" ? [503, "provider_unavailable"] : providerRefusal(result.errorCode);
    throw new HttpError(status, code, `Not sent (${result.errorCode}: ${result.message}); nothing was charged`);
  }
  return jsonResponse(201, { message: { ...message, status: "sent", provider_message_id: result.sid } });
}, ["POST"]);
