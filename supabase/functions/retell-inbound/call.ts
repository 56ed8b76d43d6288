// call_inbound: a call is ringing on one of our numbers; answer with the business's variables.
import { jsonResponse } from "../_shared/http.ts";
import { log } from "../_shared/log.ts";
import { toE164 } from "../../../packages/shared/src/phone.ts";
import type { CallInboundResponse, InboundEvent } from "../../../packages/shared/src/retell-payloads.ts";
import { inboundAnswer, lookupInbound } from "./context.ts";
import { backendPromptFor, startBackendPromptRead } from "./prompt.ts";

type CallInbound = Extract<InboundEvent, { event: "call_inbound" }>["call_inbound"];

export async function answerCallInbound(inbound: CallInbound, requestId: string): Promise<Response> {
  const started = performance.now();
  const toNumber = toE164(inbound.to_number) ?? inbound.to_number;
  const promptRead = startBackendPromptRead(toNumber, requestId);
  const context = await lookupInbound("inbound_call_context", {
    to_number: toNumber,
    from_number: toE164(inbound.from_number) ?? inbound.from_number ?? null,
    call_id: inbound.call_id ?? null,
  }, requestId);
  const prompt = await backendPromptFor(context?.user_id ?? null, toNumber, promptRead, requestId);
  const body: CallInboundResponse = { call_inbound: inboundAnswer(context, prompt) };
  log("info", "call_inbound answered", {
    request_id: requestId,
    call_id: inbound.call_id ?? null,
    user_id: context?.user_id ?? null,
    refusal_reason: context?.refusal_reason ?? null,
    lookup_ms: Math.round(performance.now() - started),
  });
  return jsonResponse(200, body);
}
