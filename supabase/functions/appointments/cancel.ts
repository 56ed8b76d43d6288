// POST /appointments/<id>/cancel {reason?}: a Cal.com booking is cancelled at Cal.com first (one
// Cal.com already cancelled counts as done); a manual appointment is just marked cancelled.
// Cancelling a cancelled appointment answers it unchanged.
import { z } from "zod";
import { HttpError, validated } from "../_shared/http.ts";
import type { ActingUser } from "../_shared/calcom-request.ts";
import { bookingFromApi } from "../_shared/calcom-bookings.ts";
import { applyCalcomChange, atCalcom, ownAppointment, readAppointment } from "./change.ts";

const body = z.object({ reason: z.string().trim().min(1).max(500).optional() });

export async function cancelAppointment(user: ActingUser, id: string, input: unknown) {
  const change = validated(input, body);

  const appointment = await ownAppointment(user, id, "cancel");
  if (appointment.status === "cancelled") return readAppointment(user, id);

  if (appointment.calcom_booking_uid) {
    const uid = appointment.calcom_booking_uid;
    const cancelled = await atCalcom(appointment.user_id, async (api) => {
      // A booking cancelled at Cal.com meanwhile (its webhook not yet here) is read back instead.
      const current = await api.getBooking(uid);
      if (current.rescheduledToUid) {
        throw new HttpError(409, "calcom_booking_moved", "This booking was rescheduled in Cal.com meanwhile; reload and try again");
      }
      if (current.status === "cancelled") return current;
      return api.cancelBooking(uid, change.reason ? { cancellationReason: change.reason } : {});
    });
    await applyCalcomChange("cancelled", bookingFromApi(cancelled));
  } else {
    const { error } = await user.client.from("appointments").update({ status: "cancelled" }).eq("id", id);
    if (error) throw new Error(`cancelling appointment ${id} failed: ${error.message}`);
  }
  return readAppointment(user, id);
}
