// chat_inbound: an SMS reached one of our numbers and starts (or continues) a Retell chat. Answer
// like a call, and keep the message in the business's conversation with that customer.
import { jsonResponse } from "../_shared/http.ts";
import { log } from "../_shared/log.ts";
import { toE164 } from "../../../packages/shared/src/phone.ts";
import type { ChatInboundResponse, InboundEvent } from "../../../packages/shared/src/retell-payloads.ts";
import { inboundAnswer, lookupInbound } from "./context.ts";

type ChatInbound = Extract<InboundEvent, { event: "chat_inbound" }>["chat_inbound"];

const SMS_MAX_LENGTH = 1600;

/** The SMS text when Retell includes it (not in its documented payload), else a pointer to the chat. */
function messageText(inbound: ChatInbound): string {
  const text = [inbound.message, inbound.body, inbound.text].find((value) => value && value.trim() !== "");
  return (text ?? `(SMS received; the text is in Retell chat ${inbound.chat_id})`).slice(0, SMS_MAX_LENGTH);
}

export async function answerChatInbound(inbound: ChatInbound, requestId: string): Promise<Response> {
  const context = await lookupInbound("inbound_sms_context", {
    to_number: toE164(inbound.to_number) ?? inbound.to_number,
    from_number: toE164(inbound.from_number),
    chat_id: inbound.chat_id,
    body: messageText(inbound),
  }, requestId);
  const body: ChatInboundResponse = { chat_inbound: inboundAnswer(context) };
  log("info", "chat_inbound answered", {
    request_id: requestId,
    chat_id: inbound.chat_id,
    user_id: context?.user_id ?? null,
    refusal_reason: context?.refusal_reason ?? null,
  });
  return jsonResponse(200, body);
}
