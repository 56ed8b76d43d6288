// Retell's inbound webhook (the number's inbound_webhook_url and inbound_sms_webhook_url): verifies
// the signature, then answers a ringing call (call.ts) or an arriving SMS (chat.ts).
import { readRetellRequest } from "../_shared/retell-request.ts";
import { errorAnswer, requestIdOf } from "../_shared/http.ts";
import { inboundEvent } from "../../../packages/shared/src/retell-payloads.ts";
import { answerCallInbound } from "./call.ts";
import { answerChatInbound } from "./chat.ts";

export async function handleInbound(request: Request): Promise<Response> {
  const requestId = requestIdOf(request);
  try {
    const payload = await readRetellRequest(request, inboundEvent);
    return payload.event === "call_inbound"
      ? await answerCallInbound(payload.call_inbound, requestId)
      : await answerChatInbound(payload.chat_inbound, requestId);
  } catch (error) {
    return errorAnswer(error, { function: "retell-inbound", request_id: requestId });
  }
}
