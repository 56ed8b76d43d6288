// The missed-call text-back a call earned (record_call_event answers its id while it is still to
// be sent): queue_text_back passes it through the SMS send core as the business (consent ledger,
// quiet hours, allowance, once per text-back), then the shared send path hands it to Twilio. A
// refusal (the caller opted out, quiet hours...) is kept on the text-back as its skip_reason.
import { adminClient } from "../_shared/supabase.ts";
import { log } from "../_shared/log.ts";
import { deliverSms, type QueuedSms } from "../_shared/sms-send.ts";

export async function sendTextBack(textBackId: string, requestId: string | null): Promise<void> {
  const { data, error } = await adminClient().rpc("queue_text_back", { text_back_id: textBackId });
  if (error) throw new Error(`queue_text_back failed: ${error.message}`);
  const queued = data as QueuedSms;
  if (queued.refusal) {
    log("info", "text-back not sent", { request_id: requestId, text_back_id: textBackId, refusal: queued.refusal });
    return;
  }
  // Another delivery of the call's events already handed it over.
  if (queued.send) await deliverSms(queued.message!, requestId);
}
