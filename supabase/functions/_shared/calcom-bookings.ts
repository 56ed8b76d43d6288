// A Cal.com booking in the one normalised shape the database's upsert path takes
// (private.calcom_apply_booking), whether it came from a webhook payload or an API answer.
import { z } from "zod";
import type { CalcomBooking } from "./calcom-client.ts";
import { toE164 } from "../../../packages/shared/src/phone.ts";

/** The metadata key under which the agent's bookings carry their intent id (see book_appointment). */
export const INTENT_METADATA_KEY = "booking_intent_id";

export type NormalisedBooking = {
  uid: string;
  booking_id: number | null;
  event_type_id: number | null;
  start_at: string;
  end_at: string;
  status: string | null;
  organizer: { id: string | null; username: string | null; email: string | null; name: string | null; time_zone: string | null };
  customer_name: string | null;
  customer_email: string | null;
  customer_phone: string | null;
  time_zone: string | null;
  reschedule_uid: string | null;
  cancellation_reason: string | null;
  intent_id: string | null;
};

const EMAIL = /^[^@\s]+@[^@\s]+$/;
const BOOKING_RANGE_MS = { min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) };
/** appointments.customer_name holds 1 to 200 characters: a longer name is kept, cut to fit. */
const CUSTOMER_NAME_MAX = 200;

/** Cal.com gives phone-only attendees a made-up `<digits>@sms.cal.com` address: not the customer's. */
function realEmail(email: string | null | undefined): string | null {
  if (!email || !EMAIL.test(email) || /@sms\.cal\.com$/i.test(email)) return null;
  return email;
}

function intentIdOf(metadata: Record<string, unknown> | null | undefined): string | null {
  const value = metadata?.[INTENT_METADATA_KEY];
  return typeof value === "string" ? value : null;
}

const person = z.looseObject({
  name: z.string().nullish(),
  email: z.string().nullish(),
  phoneNumber: z.string().nullish(),
  timeZone: z.string().nullish(),
});

/** Cal.com's numeric ids, stored as bigint: whole numbers JSON carries exactly. */
const calcomNumber = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/**
 * The part of a BOOKING_* webhook payload we use (contracts.md section 3, Webhooks), with the bounds
 * of the appointment columns it fills: a booking ends after it starts, within years a timestamptz
 * and a calendar can mean (2000..2100).
 */
export const webhookBookingPayload = z.looseObject({
  uid: z.string().min(1).max(255),
  bookingId: calcomNumber.nullish(),
  eventTypeId: calcomNumber.nullish(),
  startTime: z.iso.datetime({ offset: true }),
  endTime: z.iso.datetime({ offset: true }),
  status: z.string().nullish(),
  organizer: z.looseObject({
    id: z.union([z.number().int(), z.string()]).nullish(),
    username: z.string().nullish(),
    email: z.string().nullish(),
    name: z.string().nullish(),
    timeZone: z.string().nullish(),
  }),
  attendees: z.array(person).default([]),
  responses: z.record(z.string(), z.unknown()).nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  rescheduleUid: z.string().nullish(),
  cancellationReason: z.string().nullish(),
}).refine((p) => Date.parse(p.endTime) > Date.parse(p.startTime), { message: "endTime must be after startTime", path: ["endTime"] })
  .refine((p) => [p.startTime, p.endTime].every((t) => Date.parse(t) >= BOOKING_RANGE_MS.min && Date.parse(t) < BOOKING_RANGE_MS.max), {
    message: "a booking must start and end between 2000 and 2100",
    path: ["startTime"],
  });

/** A response field's value, from the `{label, value}` objects of a webhook's `responses`. */
function responseValue(responses: Record<string, unknown> | null | undefined, key: string): string | null {
  const value = (responses?.[key] as { value?: unknown } | undefined)?.value;
  return typeof value === "string" ? value : null;
}

export function bookingFromWebhook(payload: z.infer<typeof webhookBookingPayload>): NormalisedBooking {
  const [attendee] = payload.attendees;
  const organizer = payload.organizer;
  return {
    uid: payload.uid,
    booking_id: payload.bookingId ?? null,
    event_type_id: payload.eventTypeId ?? null,
    start_at: payload.startTime,
    end_at: payload.endTime,
    status: payload.status?.toLowerCase() ?? null,
    organizer: {
      id: organizer.id == null ? null : String(organizer.id),
      username: organizer.username ?? null,
      email: organizer.email ?? null,
      name: organizer.name ?? null,
      time_zone: organizer.timeZone ?? null,
    },
    customer_name: (attendee?.name ?? responseValue(payload.responses, "name"))?.slice(0, CUSTOMER_NAME_MAX) ?? null,
    customer_email: realEmail(attendee?.email),
    customer_phone: toE164(attendee?.phoneNumber ?? responseValue(payload.responses, "attendeePhoneNumber")),
    time_zone: organizer.timeZone ?? null,
    reschedule_uid: payload.rescheduleUid ?? null,
    cancellation_reason: payload.cancellationReason ?? null,
    intent_id: intentIdOf(payload.metadata),
  };
}

/** A booking as the API answered it (create, reschedule, cancel); the host is the organizer. */
export function bookingFromApi(booking: CalcomBooking): NormalisedBooking {
  const host = booking.hosts?.[0];
  const attendee = booking.attendees?.[0];
  return {
    uid: booking.uid,
    booking_id: booking.id,
    event_type_id: booking.eventTypeId ?? null,
    start_at: booking.start,
    end_at: booking.end,
    status: booking.status,
    organizer: {
      id: host ? String(host.id) : null,
      username: host?.username ?? null,
      email: host?.email ?? null,
      name: null,
      time_zone: host?.timeZone ?? null,
    },
    customer_name: attendee?.name ?? null,
    customer_email: realEmail(attendee?.email),
    customer_phone: toE164(attendee?.phoneNumber),
    time_zone: host?.timeZone ?? null,
    reschedule_uid: booking.rescheduledFromUid ?? null,
    cancellation_reason: booking.cancellationReason ?? null,
    intent_id: intentIdOf(booking.metadata),
  };
}
