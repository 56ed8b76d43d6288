// Retell's call events (the agent's webhook_url): call_started, call_ended, call_analyzed and the
// transfer events, each applied by one RPC (public.record_call_event) in one transaction, so a
// redelivered or out-of-order event changes nothing it should not. Other events are acknowledged
// and ignored. A signed event we cannot apply is answered 200 and recorded for an operator
// (webhook-events.ts); a database that does not answer gets a 500, so that Retell delivers it again.
// A missed-call text-back the event earned is sent after the answer (text-back.ts).
import { adminClient } from "../_shared/supabase.ts";
import { errorAnswer, errorResponse, jsonResponse, parseJson, requestIdOf } from "../_shared/http.ts";
import { log } from "../_shared/log.ts";
import { readSignedRetellBody } from "../_shared/retell-request.ts";
import { asRejection, EventRejected, idsIn, refusedByDatabase, rejectEvent } from "../_shared/webhook-events.ts";
import { toE164 } from "../../../packages/shared/src/phone.ts";
import { CALL_EVENTS, callEvent, type CallEventName } from "../../../packages/shared/src/retell-payloads.ts";

const handled = new Set<string>(CALL_EVENTS);

export async function handleCallEvent(request: Request): Promise<Response> {
  const requestId = requestIdOf(request);
  let rawBody: string | undefined;
  try {
    rawBody = await readSignedRetellBody(request);
    const { event, call } = parseJson(rawBody, callEvent);
    const fields = { request_id: requestId, event, call_id: call.call_id };
    if (!handled.has(event)) {
      log("info", "call event ignored", fields);
      return jsonResponse(200, { received: true, ignored: true });
    }
    // The database compares numbers in E.164; anything else (e.g. "anonymous") is no number.
    const normalised = { ...call, from_number: toE164(call.from_number), to_number: toE164(call.to_number) };
    const { data, error, status } = await adminClient().rpc("record_call_event", { event: event as CallEventName, call: normalised });
    if (error) {
      if (refusedByDatabase(error, status)) throw new EventRejected("not_applied", error.message);
      log("error", "call event not recorded", { ...fields, error: error.message });
      return errorResponse(500, "not_recorded", "The event could not be recorded; deliver it again");
    }
    log("info", "call event recorded", { ...fields, user_id: data.user_id, status: data.status, first_end: data.first_end, lead_id: data.lead_id });
    return jsonResponse(200, { received: true, ...data });
  } catch (error) {
    // A refused signature throws before the body is kept: only a signed event is ever rejected.
    const rejection = asRejection(error);
    if (rawBody === undefined || !rejection) return errorAnswer(error, { function: "retell-webhook", request_id: requestId });
    return rejectEvent({
      provider: "retell",
      fn: "retell-webhook",
      rawBody,
      rejection,
      ids: idsIn(rawBody, { event: ["event"], call_id: ["call", "call_id"] }),
      requestId,
    });
  }
}
