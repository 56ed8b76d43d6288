// The skeleton of the webhooks Twilio sends us (sms-inbound, sms-status), following the one rule
// (README, "Webhooks we receive"): a bad signature is 401 before anything is written; a correctly
// signed form we cannot apply is 200 with `rejected` and an ops alert; a 500 only when the
// database did not answer, which Twilio answers with the number's fallback URL.
import { errorResponse, HttpError, requestIdOf } from "./http.ts";
import { log } from "./log.ts";
import { adminClient } from "./supabase.ts";
import { verifiedTwilioForm } from "./twilio.ts";
import { EventRejected, refusedByDatabase, rejectEvent } from "./webhook-events.ts";
import { storableText } from "../../../packages/shared/src/json-limits.ts";

/** A Twilio webhook function: verifies the form, then `apply` answers it. */
export function twilioWebhook(
  functionName: string,
  apply: (params: Record<string, string>, requestId: string) => Promise<Response>,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const requestId = requestIdOf(request);
    if (request.method !== "POST") return errorResponse(405, "method_not_allowed", "Twilio webhooks are POST requests");
    let raw: string | undefined;
    let params: Record<string, string> = {};
    try {
      ({ raw, params } = await verifiedTwilioForm(request, functionName));
      return await apply(params, requestId);
    } catch (error) {
      if (raw !== undefined && error instanceof EventRejected) {
        return rejectEvent({
          provider: "twilio",
          fn: functionName,
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
        log("warn", "twilio webhook refused", { function: functionName, request_id: requestId, code: error.code });
        return errorResponse(error.status, error.code, error.message);
      }
      log("error", "twilio webhook failed", { function: functionName, request_id: requestId, error: String(error) });
      return errorResponse(500, "internal_error", "The form could not be applied now");
    }
  };
}

/** One RPC for a signed form: what the database refuses is the form's fault (a rejection), anything else transient. */
export async function applyForm<T>(rpc: string, args: Record<string, unknown>): Promise<T> {
  const { data, error, status } = await adminClient().rpc(rpc, args);
  if (error) {
    if (refusedByDatabase(error, status)) throw new EventRejected("not_applied", error.message);
    throw new Error(`${rpc}: ${error.message}`);
  }
  return data as T;
}
