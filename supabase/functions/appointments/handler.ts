// Appointment changes that must reach Cal.com too: PATCH /appointments/<id>/reschedule {start_at,
// reason?} and POST /appointments/<id>/cancel {reason?}. Listing, reading, creating, editing and
// deleting appointments is plain supabase-js under RLS. The caller acts as themselves or, with
// x-impersonation-session, as the user an admin impersonates.
import { z } from "zod";
import { HttpError, jsonResponse, routeOf, withJsonErrors } from "../_shared/http.ts";
import { actingUser } from "../_shared/calcom-request.ts";
import { rescheduleAppointment } from "./reschedule.ts";
import { cancelAppointment } from "./cancel.ts";

const ROUTES = {
  reschedule: { method: "PATCH", run: rescheduleAppointment },
  cancel: { method: "POST", run: cancelAppointment },
} as const;

async function jsonBody(request: Request): Promise<unknown> {
  const text = await request.text();
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "invalid_json", "The body is not JSON");
  }
}

export const handleAppointments = withJsonErrors("appointments", async (request) => {
  const [id, action, ...rest] = routeOf(request, "appointments").split("/");
  const route = ROUTES[action as keyof typeof ROUTES];
  if (!id || !route || rest.length > 0) {
    throw new HttpError(404, "route_not_found", "Use PATCH /appointments/<id>/reschedule or POST /appointments/<id>/cancel");
  }
  if (request.method !== route.method) {
    throw new HttpError(405, "method_not_allowed", `${action} accepts ${route.method}`, { Allow: route.method });
  }
  if (!z.uuid().safeParse(id).success) throw new HttpError(400, "invalid_appointment_id", "The appointment id must be a UUID");
  const body = await jsonBody(request);
  const appointment = await route.run(await actingUser(request), id, body);
  return jsonResponse(200, { appointment });
});
