// PATCH /appointments/<id>/reschedule {start_at, reason?}: a Cal.com booking is moved at Cal.com
// first (which makes a new booking uid) and the appointment follows it; a manual appointment just
// moves, keeping its length.
import { z } from "zod";
import { HttpError, validated } from "../_shared/http.ts";
import type { ActingUser } from "../_shared/calcom-request.ts";
import { bookingFromApi } from "../_shared/calcom-bookings.ts";
import { applyCalcomChange, atCalcom, ownAppointment, readAppointment } from "./change.ts";

const body = z.object({
  start_at: z.iso.datetime({ offset: true }),
  reason: z.string().trim().min(1).max(500).optional(),
});

export async function rescheduleAppointment(user: ActingUser, id: string, input: unknown) {
  const change = validated(input, body);
  const start = new Date(change.start_at);
  if (start.getTime() <= Date.now()) throw new HttpError(400, "start_in_past", "start_at must be in the future");

  const appointment = await ownAppointment(user, id, "reschedule");
  if (appointment.status === "cancelled") throw new HttpError(409, "appointment_cancelled", "A cancelled appointment cannot be rescheduled");

  if (appointment.calcom_booking_uid) {
    const uid = appointment.calcom_booking_uid;
    const moved = await atCalcom(appointment.user_id, (api) =>
      api.rescheduleBooking(uid, { start: start.toISOString(), ...(change.reason && { reschedulingReason: change.reason }) })
    );
    await applyCalcomChange("rescheduled", bookingFromApi(moved));
  } else {
    const length = Date.parse(appointment.end_at) - Date.parse(appointment.start_at);
    const { error } = await user.client
      .from("appointments")
      .update({ start_at: start.toISOString(), end_at: new Date(start.getTime() + length).toISOString(), status: "rescheduled" })
      .eq("id", id);
    if (error) throw new Error(`rescheduling appointment ${id} failed: ${error.message}`);
  }
  return readAppointment(user, id);
}
