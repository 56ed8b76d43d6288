// Cal.com's booking webhooks. The raw body is verified against X-Cal-Signature-256 (hex
// HMAC-SHA256 with CALCOM_WEBHOOK_SECRET; no secret configured = refuse everything), then
// BOOKING_CREATED / _RESCHEDULED / _CANCELLED are applied once each (event id: trigger, booking uid
// and createdAt) through the database's single booking upsert, which attributes the booking,
// alerts operators about unattributed ones and writes the outbox. Other triggers: 200, ignored.
import { z } from "zod";
import { errorResponse, jsonResponse, withJsonErrors } from "../_shared/http.ts";
import { optionalEnv } from "../_shared/env.ts";
import { adminClient } from "../_shared/supabase.ts";
import { log } from "../_shared/log.ts";
import { bookingFromWebhook, webhookBookingPayload } from "../_shared/calcom-bookings.ts";
import { verifyCalcomSignature } from "./signature.ts";

const HANDLED_TRIGGERS = ["BOOKING_CREATED", "BOOKING_RESCHEDULED", "BOOKING_CANCELLED"];

const envelope = z.looseObject({
  triggerEvent: z.string().min(1),
  createdAt: z.iso.datetime({ offset: true }),
  payload: z.unknown(),
});

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

  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return errorResponse(400, "invalid_json", "The body is not JSON");
  }
  const event = envelope.safeParse(body);
  if (!event.success) return errorResponse(400, "invalid_payload", z.prettifyError(event.error));
  const { triggerEvent, createdAt } = event.data;
  if (!HANDLED_TRIGGERS.includes(triggerEvent)) return jsonResponse(200, { received: true, ignored: triggerEvent });

  const payload = webhookBookingPayload.safeParse(event.data.payload);
  if (!payload.success) return errorResponse(400, "invalid_payload", z.prettifyError(payload.error));
  const booking = bookingFromWebhook(payload.data);
  const eventId = `${triggerEvent}:${booking.uid}:${createdAt}`;

  const { data: result, error } = await adminClient().rpc("calcom_ingest_booking_event", {
    event_id: eventId,
    trigger_event: triggerEvent,
    event_at: createdAt,
    booking,
  });
  if (error) throw new Error(`applying ${eventId} failed: ${error.message}`);
  log("info", "calcom webhook applied", {
    request_id: request.headers.get("x-request-id"),
    event_id: eventId,
    ...result,
  });
  return jsonResponse(200, { received: true, ...result });
});
