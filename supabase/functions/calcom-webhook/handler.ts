// Cal.com's booking webhooks. The raw body is verified against X-Cal-Signature-256 (hex
// HMAC-SHA256 with CALCOM_WEBHOOK_SECRET; no secret configured = refuse everything), then
// BOOKING_CREATED / _RESCHEDULED / _CANCELLED are applied once each (event id: trigger, booking uid
// and createdAt) through the database's single booking upsert, which attributes the booking,
// alerts operators about unattributed ones and writes the outbox. Other triggers: 200, ignored. A
// signed event we cannot apply is answered 200 and recorded for an operator (webhook-events.ts).
import { z } from "zod";
import { errorResponse, jsonResponse, parseJson, validated, withJsonErrors } from "../_shared/http.ts";
import { optionalEnv } from "../_shared/env.ts";
import { adminClient } from "../_shared/supabase.ts";
import { log } from "../_shared/log.ts";
import { bookingFromWebhook, webhookBookingPayload } from "../_shared/calcom-bookings.ts";
import { asRejection, EventRejected, idsIn, refusedByDatabase, rejectEvent } from "../_shared/webhook-events.ts";
import { verifyCalcomSignature } from "./signature.ts";

const HANDLED_TRIGGERS = ["BOOKING_CREATED", "BOOKING_RESCHEDULED", "BOOKING_CANCELLED"];

const envelope = z.looseObject({
  triggerEvent: z.string().min(1).max(100),
  createdAt: z.iso.datetime({ offset: true }),
  payload: z.unknown(),
});

/** Applies one signed booking event; throws EventRejected when its content cannot be applied. */
async function applyEvent(raw: string, requestId: string | null): Promise<Response> {
  const event = parseJson(raw, envelope);
  const { triggerEvent, createdAt } = event;
  if (!HANDLED_TRIGGERS.includes(triggerEvent)) return jsonResponse(200, { received: true, ignored: triggerEvent });

  const booking = bookingFromWebhook(validated(event.payload, webhookBookingPayload));
  const eventId = `${triggerEvent}:${booking.uid}:${createdAt}`;
  const { data: result, error, status } = await adminClient().rpc("calcom_ingest_booking_event", {
    event_id: eventId,
    trigger_event: triggerEvent,
    event_at: createdAt,
    booking,
  });
  if (error && refusedByDatabase(error, status)) throw new EventRejected("not_applied", error.message);
  if (error) throw new Error(`applying ${eventId} failed: ${error.message}`);
  log("info", "calcom webhook applied", { request_id: requestId, event_id: eventId, ...result });
  return jsonResponse(200, { received: true, ...result });
}

export const handleCalcomWebhook = withJsonErrors("calcom-webhook", async (request) => {
  if (request.method !== "POST") return errorResponse(405, "method_not_allowed", "Cal.com webhooks are POSTed", { Allow: "POST" });
  const secret = optionalEnv("CALCOM_WEBHOOK_SECRET");
  if (!secret) {
    log("error", "CALCOM_WEBHOOK_SECRET is not set: refusing Cal.com webhooks");
    return errorResponse(503, "webhook_not_configured", "This endpoint is not configured to verify Cal.com webhooks");
  }
  const raw = await request.text();
  if (!(await verifyCalcomSignature(raw, request.headers.get("x-cal-signature-256"), secret))) {
    return errorResponse(401, "invalid_signature", "X-Cal-Signature-256 is missing or does not match the body");
  }

  const requestId = request.headers.get("x-request-id");
  try {
    return await applyEvent(raw, requestId);
  } catch (error) {
    const rejection = asRejection(error);
    if (!rejection) throw error;
    return rejectEvent({
      provider: "calcom",
      fn: "calcom-webhook",
      rawBody: raw,
      rejection,
      ids: idsIn(raw, { trigger_event: ["triggerEvent"], booking_uid: ["payload", "uid"], created_at: ["createdAt"] }),
      requestId: requestId ?? crypto.randomUUID(),
    });
  }
});
