// What rescheduling and cancelling share: finding the caller's own appointment (audited when an
// admin impersonates), reaching the owner's Cal.com with its refusals turned into HTTP errors, applying Cal.com's
// answer through the same upsert as its webhooks, and reading the result back under RLS.
import { HttpError } from "../_shared/http.ts";
import type { ActingUser } from "../_shared/calcom-request.ts";
import { adminClient } from "../_shared/supabase.ts";
import { CalcomError, type CalcomApi } from "../_shared/calcom-client.ts";
import { CalcomNotConnected, requireConnection, withCalcom } from "../_shared/calcom-connection.ts";
import type { NormalisedBooking } from "../_shared/calcom-bookings.ts";

export type OwnAppointment = {
  id: string;
  user_id: string;
  status: string;
  start_at: string;
  end_at: string;
  time_zone: string | null;
  calcom_booking_uid: string | null;
};

export async function ownAppointment({ client }: ActingUser, id: string, action: "reschedule" | "cancel"): Promise<OwnAppointment> {
  const { data, error } = await client.rpc("appointment_for_change", { appointment_id: id, action }).maybeSingle<OwnAppointment>();
  if (error?.code === "PT404" || (!error && !data)) throw new HttpError(404, "appointment_not_found", `No appointment ${id} of yours`);
  if (error) throw new Error(`reading appointment ${id} failed: ${error.message}`);
  return data!;
}

/** Runs `work` against the appointment owner's Cal.com, turning Cal.com's refusals into 4xx/5xx. */
export async function atCalcom<T>(userId: string, work: (api: CalcomApi) => Promise<T>): Promise<T> {
  try {
    return await withCalcom(await requireConnection(userId), work);
  } catch (error) {
    if (error instanceof CalcomNotConnected) {
      throw new HttpError(409, "calcom_not_connected", "This booking lives in Cal.com, which is not connected: reconnect Cal.com first");
    }
    if (!(error instanceof CalcomError)) throw error;
    if (error.kind === "slot_unavailable") throw new HttpError(409, "slot_unavailable", "That time is not available in Cal.com");
    if (error.kind === "not_found") throw new HttpError(409, "calcom_booking_not_found", "Cal.com no longer has this booking");
    if (error.kind === "invalid_request") throw new HttpError(422, "calcom_refused", `Cal.com refused the change: ${error.message}`);
    throw new HttpError(502, "calcom_unavailable", "Cal.com did not answer; nothing was changed, try again");
  }
}

export async function applyCalcomChange(change: "rescheduled" | "cancelled", booking: NormalisedBooking): Promise<void> {
  const { error } = await adminClient().rpc("calcom_apply_booking_change", { change, booking });
  if (error) throw new Error(`recording the Cal.com ${change} booking ${booking.uid} failed: ${error.message}`);
}

export async function readAppointment({ client }: ActingUser, id: string) {
  const { data, error } = await client.from("appointments").select("*").eq("id", id).single();
  if (error) throw new Error(`reading appointment ${id} back failed: ${error.message}`);
  return data;
}
