// The agent's calendar tools: `check_calendar_availability` and `book_appointment`, against the
// business's connected Cal.com.
//
// Interface (what retell-tools relies on; keep it when replacing the bodies):
//   * `calendarTools` maps each tool name, as configured on the Retell LLM, to a `Tool` (tool.ts):
//     a zod schema for its `args` and `run(context, args)` answering a `ToolResult`.
//   * `run` may throw for unexpected failures: retell-tools then answers a spoken apology and does
//     not store the failure, so Retell's retry runs the tool again. Expected outcomes (no slots, slot
//     taken, calendar not connected) are answers, not throws: they are stored and replayed on retry.
//     Cal.com failing or not answering is thrown, so asking again later in the call tries again.
//   * Idempotency, signature checks and argument validation happen before `run` is called.
//
// Booking is idempotent on its own as well: the intent (this call wants this slot) is recorded
// before Cal.com is asked, so the same call asking for the same slot again (a retry, or a second
// delivery running concurrently) gets the same booking and never a second one at Cal.com. Each
// Cal.com request has a short timeout so the agent answers well within the tool-call timeout.
import { z } from "zod";
import { defineTool, type ToolContext, type ToolResult } from "./tool.ts";
import { adminClient } from "../_shared/supabase.ts";
import { log } from "../_shared/log.ts";
import { CalcomError } from "../_shared/calcom-client.ts";
import { type CalcomConnection, CalcomNotConnected, loadConnection, withCalcom } from "../_shared/calcom-connection.ts";
import { bookingFromApi, INTENT_METADATA_KEY } from "../_shared/calcom-bookings.ts";
import { localHour, offerSlots, type OfferedSlot, speakChoices, speakDay, speakSlot, startOfLocalDay } from "../_shared/calcom-slots.ts";
import { toE164 } from "../../../packages/shared/src/phone.ts";

export const CALENDAR_NOT_CONNECTED: ToolResult = {
  result:
    "The calendar isn't connected yet, so I can't book online. I'll take your details and the team will call you back.",
  calendar_connected: false,
};

/** Per Cal.com request; a tool makes at most three, well inside Retell's tool-call timeout. */
const CALCOM_TIMEOUT_MS = 6_000;
const SEARCH_DAYS = 7;
const DAY_MS = 86_400_000;
/** How long a second delivery of the same booking waits for the first to settle. */
const WAIT_FOR_OTHER_ATTEMPT_MS = 10_000;
const POLL_MS = 300;

const checkCalendarAvailabilityArgs = z.object({
  /** Day the caller asked about, YYYY-MM-DD in the business's time zone; absent = the next days. */
  preferred_date: z.iso.date().optional(),
  /** Free words such as "morning", "after 3pm". */
  preferred_time: z.string().max(100).optional(),
  service: z.string().max(200).optional(),
});

const bookAppointmentArgs = z.object({
  /** Chosen slot start, ISO 8601 with offset, as check_calendar_availability offered it. */
  start: z.iso.datetime({ offset: true }),
  customer_name: z.string().trim().min(1).max(200),
  customer_phone: z.string().max(40).optional(),
  customer_email: z.email().optional(),
  service: z.string().max(200).optional(),
  notes: z.string().max(2000).optional(),
});

export type CheckCalendarAvailabilityArgs = z.infer<typeof checkCalendarAvailabilityArgs>;
export type BookAppointmentArgs = z.infer<typeof bookAppointmentArgs>;

// ---------------------------------------------------------------------------------------------
// What both tools need: the business's calendar, and a spoken answer when it cannot be used
// ---------------------------------------------------------------------------------------------

type Calendar = { connection: CalcomConnection; eventTypeId: number };

async function calendarOf(context: ToolContext): Promise<Calendar | ToolResult> {
  if (!context.userId) return CALENDAR_NOT_CONNECTED;
  const connection = await loadConnection(context.userId);
  if (!connection || connection.status !== "connected" || !connection.default_event_type_id) return CALENDAR_NOT_CONNECTED;
  return { connection, eventTypeId: connection.default_event_type_id };
}

/** A connection Cal.com stopped honouring mid-call is "not connected"; Cal.com failing is thrown. */
function notConnectedOr(error: unknown): ToolResult {
  if (error instanceof CalcomNotConnected) return CALENDAR_NOT_CONNECTED;
  throw error;
}

function freeSlots(calendar: Calendar, from: Date, to: Date, timeZone: string) {
  return withCalcom(
    calendar.connection,
    (api) => api.slots({ eventTypeId: calendar.eventTypeId, start: from.toISOString(), end: to.toISOString(), timeZone }),
    CALCOM_TIMEOUT_MS,
  );
}

/** Which slot starts fit words like "morning", "afternoon", "evening", "after 3pm", "before 11". */
function preferredTimeFilter(words: string | undefined, timeZone: string): (start: Date) => boolean {
  const text = (words ?? "").toLowerCase();
  const hourOf = (start: Date) => localHour(start, timeZone);
  const bound = /(after|before)\s+(\d{1,2})(?::\d{2})?\s*(a\.?m\.?|p\.?m\.?)?/.exec(text);
  if (bound) {
    const [, direction, digits, meridiem] = bound;
    let hour = Number(digits) % 12;
    // "after 3" on a business day means 3 PM; "before 11" means 11 AM.
    if (meridiem?.startsWith("p") || (!meridiem && hour < 7)) hour += 12;
    return direction === "after" ? (start) => hourOf(start) >= hour : (start) => hourOf(start) < hour;
  }
  if (text.includes("morning")) return (start) => hourOf(start) < 12;
  if (text.includes("afternoon")) return (start) => hourOf(start) >= 12 && hourOf(start) < 17;
  if (text.includes("evening")) return (start) => hourOf(start) >= 17;
  return () => true;
}

function offer(slots: OfferedSlot[], lead: string): ToolResult {
  return {
    result: `${lead} ${speakChoices(slots.map((s) => s.spoken))}. Which works best for you?`,
    calendar_connected: true,
    available: true,
    slots,
  };
}

// ---------------------------------------------------------------------------------------------
// check_calendar_availability
// ---------------------------------------------------------------------------------------------

async function checkAvailability(context: ToolContext, args: CheckCalendarAvailabilityArgs): Promise<ToolResult> {
  const calendar = await calendarOf(context);
  if ("result" in calendar) return calendar;
  const timeZone = context.timeZone;
  const now = new Date();
  const keep = preferredTimeFilter(args.preferred_time, timeZone);

  try {
    if (args.preferred_date) {
      const dayStart = startOfLocalDay(args.preferred_date, timeZone);
      // The next local midnight, not 24 hours on: days when clocks change are 23 or 25 hours long.
      const dayEnd = startOfLocalDay(new Date(Date.parse(`${args.preferred_date}T12:00:00Z`) + DAY_MS).toISOString().slice(0, 10), timeZone);
      let lead = "That day has already passed. The next openings are";
      if (dayEnd > now) {
        const from = dayStart > now ? dayStart : now;
        const sameDay = offerSlots(await freeSlots(calendar, from, dayEnd, timeZone), timeZone, { keep, perDay: 3, now });
        if (sameDay.length > 0) return offer(sameDay, "I have");
        const day = speakDay(dayStart, timeZone, now);
        lead = `I don't have anything open ${day === "today" || day === "tomorrow" ? day : `on ${day}`}. The next openings are`;
      }
      const from = dayEnd > now ? dayEnd : now;
      const next = offerSlots(await freeSlots(calendar, from, new Date(from.getTime() + SEARCH_DAYS * DAY_MS), timeZone), timeZone, { keep, now });
      if (next.length > 0) return offer(next, lead);
    } else {
      const soon = offerSlots(await freeSlots(calendar, now, new Date(now.getTime() + SEARCH_DAYS * DAY_MS), timeZone), timeZone, { keep, now });
      if (soon.length > 0) return offer(soon, "I have");
    }
  } catch (error) {
    return notConnectedOr(error);
  }
  return {
    result: "I don't see any open times in the coming week. I'll take your details and the team will call you back to find a time.",
    calendar_connected: true,
    available: false,
    slots: [],
  };
}

// ---------------------------------------------------------------------------------------------
// book_appointment
// ---------------------------------------------------------------------------------------------

type IntentClaim = {
  intent_id: string;
  status: "pending" | "booked" | "failed" | "unknown";
  claimed: boolean;
  earlier_attempt_uncertain: boolean;
  booking_uid: string | null;
  appointment_id: string | null;
};

/** Claims the (call, slot) intent; while another delivery of the same booking holds it, waits for it to settle. */
async function claimIntent(params: Record<string, unknown>): Promise<IntentClaim | null> {
  const deadline = Date.now() + WAIT_FOR_OTHER_ATTEMPT_MS;
  for (;;) {
    const { data, error } = await adminClient().rpc("calcom_claim_booking_intent", params).single<IntentClaim>();
    if (error) throw new Error(`recording the booking intent failed: ${error.message}`);
    if (data.claimed || data.status === "booked") return data;
    if (Date.now() > deadline) return null;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function release(intentId: string, outcome: "failed" | "unknown", reason: string): Promise<void> {
  const { error } = await adminClient().rpc("calcom_release_booking_intent", { intent_id: intentId, outcome, error: reason });
  if (error) throw new Error(`settling the booking intent failed: ${error.message}`);
}

function booked(spoken: string, start: string, appointmentId: string | null): ToolResult {
  return {
    result: `You're all set for ${spoken}. We'll see you then!`,
    calendar_connected: true,
    booked: true,
    start,
    appointment_id: appointmentId,
  };
}

async function slotStillFree(calendar: Calendar, start: Date, timeZone: string): Promise<boolean> {
  const slots = await freeSlots(calendar, start, new Date(start.getTime() + 60_000), timeZone);
  return Object.values(slots).flat().some((slot) => Date.parse(slot.start) === start.getTime());
}

/** The slot was taken: say so, and offer the next free times when Cal.com gives them quickly. */
async function slotTaken(calendar: Calendar, context: ToolContext, spoken: string): Promise<ToolResult> {
  const now = new Date();
  let alternatives: OfferedSlot[] = [];
  try {
    alternatives = offerSlots(await freeSlots(calendar, now, new Date(now.getTime() + SEARCH_DAYS * DAY_MS), context.timeZone), context.timeZone, { now });
  } catch (error) {
    // The caller still hears that the slot is gone, only without alternatives.
    log("warn", "no alternatives to a taken slot", { request_id: context.requestId, call_id: context.callId, error: String(error) });
  }
  const next = alternatives.length > 0 ? ` I can do ${speakChoices(alternatives.map((s) => s.spoken))} instead. Would one of those work?` : "";
  return { result: `Sorry, ${spoken} was just taken.${next}`, calendar_connected: true, booked: false, slot_taken: true, slots: alternatives };
}

async function bookAppointment(context: ToolContext, args: BookAppointmentArgs): Promise<ToolResult> {
  const calendar = await calendarOf(context);
  if ("result" in calendar) return calendar;
  const timeZone = context.timeZone;
  const start = new Date(args.start);
  const spoken = speakSlot(start, timeZone);
  if (start.getTime() <= Date.now()) {
    return { result: `${spoken} has already passed. Let me find the next open time.`, calendar_connected: true, booked: false };
  }
  const phone = toE164(args.customer_phone) ?? context.callerNumber;
  if (!phone && !args.customer_email) {
    return { result: "What's the best phone number to reach you at? I need it to book the appointment.", calendar_connected: true, booked: false, missing: "customer_phone" };
  }

  const claim = await claimIntent({
    target_user: context.userId,
    call_id: context.callId,
    start_at: start.toISOString(),
    event_type_id: calendar.eventTypeId,
    customer_name: args.customer_name,
    customer_phone: phone,
    service: args.service ?? null,
  });
  if (!claim) return { result: `I'm still confirming ${spoken} with the calendar. One moment, please.`, calendar_connected: true, booked: false, pending: true };
  if (claim.status === "booked") return booked(spoken, start.toISOString(), claim.appointment_id);

  try {
    // An earlier attempt that never settled may have booked at Cal.com: book again only if the slot is still free.
    if (claim.earlier_attempt_uncertain && !(await slotStillFree(calendar, start, timeZone))) {
      await release(claim.intent_id, "unknown", "an earlier attempt may have booked this slot");
      return { result: `I couldn't confirm ${spoken} just now. The team will call you back to confirm your appointment.`, calendar_connected: true, booked: false };
    }
    const booking = await withCalcom(
      calendar.connection,
      (api) =>
        api.createBooking({
          start: start.toISOString(),
          eventTypeId: calendar.eventTypeId,
          attendee: {
            name: args.customer_name,
            timeZone,
            ...(phone && { phoneNumber: phone }),
            ...(args.customer_email && { email: args.customer_email }),
          },
          ...(phone && { location: { type: "attendeePhone" as const, phone } }),
          metadata: { [INTENT_METADATA_KEY]: claim.intent_id, call_id: context.callId },
        }),
      CALCOM_TIMEOUT_MS,
    );
    const { data: applied, error } = await adminClient().rpc("calcom_apply_booking_change", {
      change: "created",
      booking: { ...bookingFromApi(booking), intent_id: claim.intent_id, notes: args.notes ?? null },
    });
    if (error) throw new Error(`recording booking ${booking.uid} failed: ${error.message}`);
    log("info", "calcom booking made during a call", {
      request_id: context.requestId, call_id: context.callId, user_id: context.userId, booking_uid: booking.uid, appointment_id: applied?.appointment_id,
    });
    return booked(spoken, booking.start, applied?.appointment_id ?? null);
  } catch (error) {
    if (error instanceof CalcomError) {
      // Without an answer the booking may exist: "unknown" makes the next attempt check the slot first.
      await release(claim.intent_id, error.outcomeUnknown ? "unknown" : "failed", `${error.kind}: ${error.message}`);
      if (error.kind === "slot_unavailable") return slotTaken(calendar, context, spoken);
    } else if (error instanceof CalcomNotConnected) {
      await release(claim.intent_id, "failed", error.message);
    }
    return notConnectedOr(error);
  }
}

export const calendarTools = {
  check_calendar_availability: defineTool({ args: checkCalendarAvailabilityArgs, run: checkAvailability }),
  book_appointment: defineTool({ args: bookAppointmentArgs, run: bookAppointment }),
};
