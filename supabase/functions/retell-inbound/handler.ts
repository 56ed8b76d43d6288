// Retell's inbound webhook (the number's inbound_webhook_url and inbound_sms_webhook_url): verifies
// the signature, then answers a ringing call (call.ts) or an arriving SMS (chat.ts). A signed body
// we cannot read still gets a 200 with the take-a-message variables, so the caller is never left
// ringing through Retell's retries, and is recorded for an operator (webhook-events.ts).
import { readSignedRetellBody } from "../_shared/retell-request.ts";
import { errorAnswer, parseJson, requestIdOf } from "../_shared/http.ts";
import { asRejection, idsIn, rejectEvent } from "../_shared/webhook-events.ts";
import { buildDynamicVariables } from "../../../packages/shared/src/dynamic-variables.ts";
import { inboundEvent } from "../../../packages/shared/src/retell-payloads.ts";
import { answerCallInbound } from "./call.ts";
import { answerChatInbound } from "./chat.ts";

export async function handleInbound(request: Request): Promise<Response> {
  const requestId = requestIdOf(request);
  let rawBody: string | undefined;
  try {
    rawBody = await readSignedRetellBody(request);
    const payload = parseJson(rawBody, inboundEvent);
    return payload.event === "call_inbound"
      ? await answerCallInbound(payload.call_inbound, requestId)
      : await answerChatInbound(payload.chat_inbound, requestId);
  } catch (error) {
    const rejection = asRejection(error);
    if (rawBody === undefined || !rejection) return errorAnswer(error, { function: "retell-inbound", request_id: requestId });
    const ids = idsIn(rawBody, { event: ["event"], call_id: ["call_inbound", "call_id"], chat_id: ["chat_inbound", "chat_id"] });
    return rejectEvent({
      provider: "retell",
      fn: "retell-inbound",
      rawBody,
      rejection,
      ids,
      requestId,
      answer: { [ids.event === "chat_inbound" ? "chat_inbound" : "call_inbound"]: { dynamic_variables: buildDynamicVariables(null) } },
      answerUnrecorded: true,
    });
  }
}
