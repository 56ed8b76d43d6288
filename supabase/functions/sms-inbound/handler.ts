// Twilio's inbound SMS webhook (verify_jwt = false: Twilio signs its requests instead). A customer
// texted a business's number: the signature is checked over the public URL, then one RPC
// (public.twilio_sms_inbound, the same SQL as Retell's chat_inbound) stores the message once per
// MessageSid, applies STOP/START/HELP/RESCHEDULE and revocations to the consent ledger, and says
// what to reply. Twilio gets TwiML: `<Response/>`, or one `<Message>` (never to STOP, which Twilio
// confirms itself). The webhook rule (README, "Webhooks we receive"): bad signature 401 and
// nothing written; signed but not applicable 200 with `rejected` and an ops alert; 5xx only for
// transient faults, which Twilio answers by trying the number's fallback URL.
import { errorResponse, HttpError, requestIdOf } from "../_shared/http.ts";
import { log } from "../_shared/log.ts";
import { adminClient } from "../_shared/supabase.ts";
import { verifiedTwilioForm } from "../_shared/twilio.ts";
import { EventRejected, refusedByDatabase, rejectEvent } from "../_shared/webhook-events.ts";
import { requireEnv } from "../_shared/env.ts";
import { isE164 } from "../../../packages/shared/src/phone.ts";
import { storableText } from "../../../packages/shared/src/json-limits.ts";

const FUNCTION_NAME = "sms-inbound";

function xmlEscape(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c]!);
}

function twiml(reply: string | null): Response {
  const body = reply === null ? "<Response/>" : `<Response><Message>${xmlEscape(reply)}</Message></Response>`;
  return new Response(`<?xml version="1.0" encoding="UTF-8"?>${body}`, { status: 200, headers: { "Content-Type": "text/xml" } });
}

/** The fields we use, checked; a signed form without them cannot be applied. */
function inboundSms(params: Record<string, string>) {
  const { MessageSid: sid, AccountSid: account, To: to, From: from, Body: body = "" } = params;
  if (account !== requireEnv("TWILIO_ACCOUNT_SID")) throw new EventRejected("invalid_payload", "AccountSid is not our Twilio account");
  if (!sid || !/^(SM|MM)[0-9a-fA-F]{32}$/.test(sid)) throw new EventRejected("invalid_payload", "MessageSid must be a Twilio message sid");
  if (!to || !isE164(to) || !from || !isE164(from)) throw new EventRejected("invalid_payload", "To and From must be E.164 numbers");
  if (body.length > 1600 || /\u0000/.test(body)) throw new EventRejected("invalid_payload", "Body is not a text we can store");
  return { sid, to, from, body };
}

export async function handleSmsInbound(request: Request): Promise<Response> {
  const requestId = requestIdOf(request);
  if (request.method !== "POST") return errorResponse(405, "method_not_allowed", "Twilio webhooks are POST requests");
  let raw: string | undefined;
  let params: Record<string, string> = {};
  try {
    ({ raw, params } = await verifiedTwilioForm(request, FUNCTION_NAME));
    const sms = inboundSms(params);
    const { data, error, status } = await adminClient().rpc("twilio_sms_inbound", {
      message_sid: sms.sid,
      to_number: sms.to,
      from_number: sms.from,
      body: sms.body,
    });
    if (error) {
      if (refusedByDatabase(error, status)) throw new EventRejected("not_applied", error.message);
      throw new Error(`twilio_sms_inbound: ${error.message}`);
    }
    const answer = data as { user_id: string; message_id: string | null; keyword: string | null; reply: string | null };
    log("info", "sms received", { request_id: requestId, message_sid: sms.sid, user_id: answer.user_id, keyword: answer.keyword });
    return twiml(answer.reply);
  } catch (error) {
    if (raw !== undefined && error instanceof EventRejected) {
      return rejectEvent({
        provider: "twilio",
        fn: FUNCTION_NAME,
        rawBody: raw,
        rejection: error,
        ids: {
          message_sid: params.MessageSid === undefined ? null : storableText(params.MessageSid, 64),
          to: params.To === undefined ? null : storableText(params.To, 32),
        },
        requestId,
      });
    }
    if (error instanceof HttpError) {
      log("warn", "sms webhook refused", { request_id: requestId, code: error.code });
      return errorResponse(error.status, error.code, error.message);
    }
    log("error", "sms webhook failed", { request_id: requestId, error: String(error) });
    return errorResponse(500, "internal_error", "The message could not be stored now; Twilio will try the fallback URL");
  }
}
