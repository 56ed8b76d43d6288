// Texts a business sends its customers, through public.queue_owner_sms / private.queue_sms (which
// check the recipient, the sender (the business's own number), the consent ledger, quiet hours and
// the SMS allowance, and record the message with its charge once per key), then Twilio, then
// public.finish_sms_send (sent, or failed with the charge given back). SMS_SANDBOX=true makes the
// provider call a recorded no-op.
//
//   POST /send-sms          an owner (or an admin impersonating one): { "to": "<E.164>", "body": "<text>" }
//                           with an Idempotency-Key header; only the call that recorded the message
//                           hands it to Twilio, so 20 retries of one key send one text.
//   POST /send-sms/queued   the service role (kicked by SQL after commit, and every minute by the
//                           kick-queued-sms job): sends the automatic texts SQL queued (booking
//                           confirmations...), each claimed for a minute so overlapping runs never
//                           send one twice.
import { z } from "zod";
import { requireServiceRole, verifiedUserId } from "../_shared/auth.ts";
import { optionalEnv } from "../_shared/env.ts";
import { HttpError, jsonResponse, readJsonBody, routeOf, withJsonErrors } from "../_shared/http.ts";
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

/** Hands one recorded message to Twilio (or the sandbox) and records the answer; a transient fault throws. */
async function sendRecorded(message: { id: string; from: string; to: string; body: string }): Promise<TwilioSendResult> {
  const result: TwilioSendResult = optionalEnv("SMS_SANDBOX") === "true"
    ? { sid: `sandbox_${message.id}` }
    : await sendTwilioSms({ from: message.from, to: message.to, body: message.body });
  await recordResult(message.id, result);
  return result;
}

async function recordResult(messageId: string, result: TwilioSendResult): Promise<void> {
  const finished = await adminClient().rpc("finish_sms_send", {
    message_id: messageId,
    provider_message_id: "sid" in result ? result.sid : null,
    error_code: "errorCode" in result ? result.errorCode : null,
  });
  if (finished.error) throw databaseFailure(finished.error);
}

async function sendOwnerSms(request: Request): Promise<Response> {
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
    result = await sendRecorded(message);
  } catch (failure) {
    // Twilio answered but recording its answer failed: not a provider fault, the message stays queued.
    if (failure instanceof HttpError) throw failure;
    // Twilio did not answer: we cannot know it sent, so the message is failed and not charged;
    // the owner sends again with a new key.
    log("error", "sms send failed", { request_id: requestId, message_id: message.id, error: String(failure) });
    result = { errorCode: "provider_unavailable", message: String(failure) };
    await recordResult(message.id, result);
  }
  log("info", "sms sent", { request_id: requestId, message_id: message.id, outcome: "sid" in result ? "sent" : result.errorCode });
  if ("errorCode" in result) {
    const [status, code] = result.errorCode === "provider_unavailable" ? [503, "provider_unavailable"] : providerRefusal(result.errorCode);
    throw new HttpError(status, code, `Not sent (${result.errorCode}: ${result.message}); nothing was charged`);
  }
  return jsonResponse(201, { message: { ...message, status: "sent", provider_message_id: result.sid } });
}

type Claimed = { id: string; from_number: string; to_number: string; body: string };

async function sendQueuedSms(request: Request): Promise<Response> {
  const requestId = request.headers.get("x-request-id");
  await requireServiceRole(request);
  const { data, error } = await adminClient().rpc("claim_queued_sms", { max_messages: 20 });
  if (error) throw databaseFailure(error);
  const outcomes = await Promise.all((data as Claimed[]).map(async (m) => {
    try {
      const result = await sendRecorded({ id: m.id, from: m.from_number, to: m.to_number, body: m.body });
      log("info", "automatic sms sent", { request_id: requestId, message_id: m.id, outcome: "sid" in result ? "sent" : result.errorCode });
      return "sid" in result ? "sent" : "failed";
    } catch (failure) {
      // A transient fault (Twilio or recording its answer): the claim runs out and the next run tries
      // again, three times at most. At least once, like every queue here: a text whose answer was
      // lost after Twilio took it may go out twice.
      log("error", "automatic sms send failed", { request_id: requestId, message_id: m.id, error: String(failure) });
      return "retry";
    }
  }));
  const count = (outcome: string) => outcomes.filter((o) => o === outcome).length;
  return jsonResponse(200, { claimed: outcomes.length, sent: count("sent"), failed: count("failed"), retry: count("retry") });
}

export const handleSendSms = withJsonErrors("send-sms", (request) => {
  const route = routeOf(request, "send-sms");
  if (route === "") return sendOwnerSms(request);
  if (route === "queued") return sendQueuedSms(request);
  throw new HttpError(404, "route_not_found", `No route ${route}; POST /send-sms or /send-sms/queued`);
}, ["POST"]);
