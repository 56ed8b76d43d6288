// The agent's calendar tools: `check_calendar_availability` and `book_appointment`.
//
// Interface (what retell-tools relies on; keep it when replacing the bodies):
//   * `calendarTools` maps each tool name, as configured on the Retell LLM, to a `Tool` (tool.ts):
//     a zod schema for its `args` and `run(context, args)` answering a `ToolResult`.
//   * `run` may throw for unexpected failures: retell-tools then answers a spoken apology and does
//     not store the failure, so Retell's retry runs the tool again. Expected outcomes (no slots, slot
//     taken, calendar not connected) are answers, not throws: they are stored and replayed on retry.
//   * Idempotency, signature checks and argument validation happen before `run` is called.
//
// Until the Cal.com integration lands, both tools answer that the calendar is not connected, in words
// the agent can say, and the agent falls back to taking the caller's details.
import { z } from "zod";
import { defineTool, type ToolResult } from "./tool.ts";

export const CALENDAR_NOT_CONNECTED: ToolResult = {
  result:
    "The calendar isn't connected yet, so I can't book online. I'll take your details and the team will call you back.",
  calendar_connected: false,
};

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

export const calendarTools = {
  check_calendar_availability: defineTool({
    args: checkCalendarAvailabilityArgs,
    run: (_context, _args: CheckCalendarAvailabilityArgs) => Promise.resolve(CALENDAR_NOT_CONNECTED),
  }),
  book_appointment: defineTool({
    args: bookAppointmentArgs,
    run: (_context, _args: BookAppointmentArgs) => Promise.resolve(CALENDAR_NOT_CONNECTED),
  }),
};
