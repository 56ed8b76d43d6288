// Twilio's inbound SMS webhook (verify_jwt = false: Twilio signs its requests instead). A customer
// texted a business's number: after the signature (twilio-webhook.ts), one RPC
// (public.twilio_sms_inbound, the same SQL as Retell's chat_inbound) stores the message once per
// MessageSid, applies STOP/START/HELP/RESCHEDULE and revocations to the consent ledger, and says
// what to reply. Twilio gets TwiML: `<Response/>`, or one `<Message>` (never to STOP, which Twilio
// confirms itself).
import { requireEnv } from "../_shared/env.ts";
import { log } from "../_shared/log.ts";
import { applyForm, twilioWebhook } from "../_shared/twilio-webhook.ts";
import { EventRejected } from "../_shared/webhook-events.ts";
import { isE164 } from "../../../packages/shared/src/phone.ts";

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
  if (body.length > 1600 || body.includes("\u0000")) throw new EventRejected("invalid_payload", "Body is not a text we can store");
  return { sid, to, from, body };
}

export const handleSmsInbound = twilioWebhook("sms-inbound", async (params, requestId) => {
  const sms = inboundSms(params);
  const answer = await applyForm<{ user_id: string; keyword: string | null; reply: string | null }>("twilio_sms_inbound", {
    message_sid: sms.sid,
    to_number: sms.to,
    from_number: sms.from,
    body: sms.body,
  });
  log("info", "sms received", { request_id: requestId, message_sid: sms.sid, user_id: answer.user_id, keyword: answer.keyword });
  return twiml(answer.reply);
});
