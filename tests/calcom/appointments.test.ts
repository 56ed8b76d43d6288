// Appointments as the frontend uses them: plain CRUD under RLS (owners only; admins read across
// users, or exactly one user's while impersonating), and reschedule/cancel through the appointments
// function, which changes a Cal.com booking at Cal.com first.
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { callFunction, newUser, sql, type TestUser } from "../helpers/stack.ts";
import { clientAs, newAdmin } from "../data-model/fixtures.ts";
import type { CalBooking, CalUser } from "../../fakes/calcom.ts";
import {
  accessTokenOf,
  bookAtCalcom,
  CALCOM_WEBHOOK_URL,
  connectCalcom,
  deliverWebhook,
  EVENT_TYPE_ID,
  fakeCalcom,
  freeFarWeekday,
  restoreCalcomFakeAfterAll,
  signedWebhook,
  signInAtCalcom,
  uniqueCalUser,
} from "./calcom.ts";

restoreCalcomFakeAfterAll();

const inDays = (days: number, hour = 15) => {
  const at = new Date(Date.now() + days * 86_400_000);
  at.setUTCHours(hour, 0, 0, 0);
  return at.toISOString();
};

async function manualAppointment(owner: TestUser, name = "Walk-in Wendy") {
  const { data, error } = await owner.client
    .from("appointments")
    .insert({ customer_name: name, customer_phone: "+15551110000", start_at: inDays(3), end_at: inDays(3, 16) })
    .select()
    .single();
  expect(error).toBeNull();
  return data;
}

describe("CRUD under RLS", () => {
  let owner: TestUser;
  let other: TestUser;
  beforeAll(async () => {
    owner = await newUser("appointments");
    other = await newUser("appointments");
  });

  it("owners create, list, read, update and delete their own appointments", async () => {
    const created = await manualAppointment(owner);
    expect(created).toMatchObject({ user_id: owner.id, source: "manual", status: "scheduled" });

    const listed = await owner.client.from("appointments").select("id").order("start_at");
    expect(listed.data!.map((a) => a.id)).toContain(created.id);
    const read = await owner.client.from("appointments").select("customer_name").eq("id", created.id).single();
    expect(read.data).toEqual({ customer_name: "Walk-in Wendy" });

    const updated = await owner.client.from("appointments").update({ notes: "Side gate", status: "completed" }).eq("id", created.id).select().single();
    expect(updated.data).toMatchObject({ notes: "Side gate", status: "completed" });

    const deleted = await owner.client.from("appointments").delete().eq("id", created.id).select("id");
    expect(deleted.data).toEqual([{ id: created.id }]);
    expect((await sql`select 1 from public.appointments where id = ${created.id}`).length).toBe(0);
  });

  it("owners cannot set what only the system writes, nor create rows for someone else", async () => {
    const asAgent = await owner.client.from("appointments").insert({ customer_name: "X", start_at: inDays(2), end_at: inDays(2, 16), source: "ai_call" });
    expect(asAgent.error?.code).toBe("42501");
    const forOther = await owner.client.from("appointments").insert({ user_id: other.id, customer_name: "X", start_at: inDays(2), end_at: inDays(2, 16) });
    expect(forOther.error?.code).toBe("42501");
  });

  it("other users neither see nor change them", async () => {
    const mine = await manualAppointment(owner);
    expect((await other.client.from("appointments").select("id").eq("id", mine.id)).data).toEqual([]);
    expect((await other.client.from("appointments").update({ notes: "hijack" }).eq("id", mine.id).select()).data).toEqual([]);
    expect((await other.client.from("appointments").delete().eq("id", mine.id).select()).data).toEqual([]);
    const [row] = await sql`select notes from public.appointments where id = ${mine.id}`;
    expect(row.notes).toBeNull();
  });

  it("admins read every business's appointments, and only the impersonated user's while impersonating", async () => {
    const mine = await manualAppointment(owner);
    const theirs = await manualAppointment(other);
    const admin = await newAdmin();

    const all = await admin.client.from("appointments").select("id").in("id", [mine.id, theirs.id]);
    expect(all.data!.map((a) => a.id).sort()).toEqual([mine.id, theirs.id].sort());

    const { data: session } = await admin.client.rpc("admin_start_impersonation", { target_user_id: owner.id, reason: "support ticket 42", minutes: 10 });
    const scoped = await clientAs(admin, { "x-impersonation-session": session.id }).from("appointments").select("id").in("id", [mine.id, theirs.id]);
    expect(scoped.data!.map((a) => a.id)).toEqual([mine.id]);
  });
});

describe("reschedule and cancel through the appointments function", () => {
  let owner: TestUser;
  let calUser: CalUser;
  let date: string;

  /** A Cal.com booking of the owner, known to us through Cal.com's webhook, as its appointment row. */
  async function calcomAppointment(): Promise<{ booking: CalBooking; appointment: any }> {
    const booking = await bookAtCalcom(await accessTokenOf(owner.id), date);
    const { raw, signature } = signedWebhook("BOOKING_CREATED", booking, calUser);
    const delivered = await deliverWebhook(raw, signature);
    expect(delivered.body).toMatchObject({ outcome: "inserted", user_id: owner.id });
    const [appointment] = await sql`select * from public.appointments where calcom_booking_uid = ${booking.uid}`;
    return { booking, appointment };
  }

  async function freeSlot(day: string): Promise<string> {
    const token = await accessTokenOf(owner.id);
    const q = new URLSearchParams({ start: day, end: day, eventTypeId: String(EVENT_TYPE_ID), timeZone: "America/New_York" });
    const { body } = await fakeCalcom("GET", `/v2/slots?${q}`, undefined, token);
    return Object.values(body.data as Record<string, { start: string }[]>).flat().at(-1)!.start;
  }

  beforeAll(async () => {
    owner = await newUser("appointments");
    calUser = uniqueCalUser();
    await signInAtCalcom(calUser);
    await connectCalcom(owner);
    date = await freeFarWeekday();
  });

  it("moves a Cal.com booking at Cal.com and the appointment follows the new booking", async () => {
    const { booking, appointment } = await calcomAppointment();
    const newStart = await freeSlot(date);
    const { status, body } = await callFunction(`appointments/${appointment.id}/reschedule`, {
      method: "PATCH",
      token: owner.accessToken,
      body: { start_at: newStart, reason: "Customer asked for later" },
    });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.appointment).toMatchObject({ id: appointment.id, status: "rescheduled", rescheduled_from_uid: booking.uid });
    expect(Date.parse(body.appointment.start_at)).toBe(Date.parse(newStart));
    const newUid = body.appointment.calcom_booking_uid;
    expect(newUid).not.toBe(booking.uid);

    const token = await accessTokenOf(owner.id);
    expect((await fakeCalcom("GET", `/v2/bookings/${booking.uid}`, undefined, token)).body.data).toMatchObject({ status: "cancelled", rescheduledToUid: newUid });
    expect((await fakeCalcom("GET", `/v2/bookings/${newUid}`, undefined, token)).body.data).toMatchObject({ status: "accepted", reschedulingReason: "Customer asked for later" });
    const outbox = await sql`select event_type from public.webhook_queue where dedupe_key = ${`appointment_rescheduled:${newUid}`}`;
    expect(outbox).toEqual([{ event_type: "appointment_rescheduled" }]);
  });

  it("agrees with Cal.com's own webhook about the change, whichever comes first", async () => {
    const { appointment } = await calcomAppointment();
    await fakeCalcom("POST", "/__control/webhook", { url: CALCOM_WEBHOOK_URL });
    try {
      const { body } = await callFunction(`appointments/${appointment.id}/cancel`, { token: owner.accessToken, body: { reason: "No longer needed" } });
      expect(body.appointment).toMatchObject({ status: "cancelled", cancellation_reason: "No longer needed" });
      // The fake delivers BOOKING_CANCELLED to our webhook; it changes nothing.
      let delivery: any;
      for (let i = 0; i < 50 && !delivery; i++) {
        const { body: deliveries } = await fakeCalcom("GET", "/__control/deliveries");
        delivery = (deliveries as any[]).find((d) => d.uid === appointment.calcom_booking_uid && d.triggerEvent === "BOOKING_CANCELLED");
        if (!delivery) await new Promise((r) => setTimeout(r, 100));
      }
      expect(delivery?.status).toBe(200);
      const rows = await sql`select status, cancellation_reason from public.appointments where user_id = ${owner.id} and calcom_booking_uid = ${appointment.calcom_booking_uid}`;
      expect(rows).toEqual([{ status: "cancelled", cancellation_reason: "No longer needed" }]);
    } finally {
      await fakeCalcom("POST", "/__control/webhook", { url: null });
    }
  });

  it("cancels a Cal.com booking at Cal.com; cancelling again answers the same", async () => {
    const { booking, appointment } = await calcomAppointment();
    const first = await callFunction(`appointments/${appointment.id}/cancel`, { token: owner.accessToken, body: { reason: "Fixed it myself" } });
    expect(first.status).toBe(200);
    expect(first.body.appointment).toMatchObject({ status: "cancelled", cancellation_reason: "Fixed it myself" });
    const token = await accessTokenOf(owner.id);
    expect((await fakeCalcom("GET", `/v2/bookings/${booking.uid}`, undefined, token)).body.data).toMatchObject({ status: "cancelled", cancellationReason: "Fixed it myself" });
    const again = await callFunction(`appointments/${appointment.id}/cancel`, { token: owner.accessToken });
    expect(again).toMatchObject({ status: 200, body: { appointment: { status: "cancelled" } } });
    const outbox = await sql`select count(*)::int as n from public.webhook_queue where dedupe_key = ${`appointment_cancelled:${booking.uid}`}`;
    expect(outbox[0].n).toBe(1);
  });

  it("refuses a time Cal.com does not offer with 409 and changes nothing", async () => {
    const { appointment } = await calcomAppointment();
    const { booking: blocker } = await calcomAppointment();
    const { status, body } = await callFunction(`appointments/${appointment.id}/reschedule`, {
      method: "PATCH",
      token: owner.accessToken,
      body: { start_at: blocker.start },
    });
    expect(status).toBe(409);
    expect(body.error.code).toBe("slot_unavailable");
    const [after] = await sql`select start_at, calcom_booking_uid, status from public.appointments where id = ${appointment.id}`;
    expect(after).toMatchObject({ start_at: appointment.start_at, calcom_booking_uid: appointment.calcom_booking_uid, status: "scheduled" });
  });

  it("keeps clients from moving or cancelling a Cal.com booking behind Cal.com's back", async () => {
    const { appointment } = await calcomAppointment();
    const moved = await owner.client.from("appointments").update({ start_at: inDays(40) }).eq("id", appointment.id);
    expect(moved.error?.code).toBe("42501");
    expect(moved.error?.message).toMatch(/appointments function/);
    const cancelled = await owner.client.from("appointments").update({ status: "cancelled" }).eq("id", appointment.id);
    expect(cancelled.error?.code).toBe("42501");
    // Notes and the job's outcome are the business's own.
    const noted = await owner.client.from("appointments").update({ notes: "Bring ladder", status: "completed" }).eq("id", appointment.id).select().single();
    expect(noted.data).toMatchObject({ notes: "Bring ladder", status: "completed" });
  });

  it("answers 409 when the booking's Cal.com is no longer connected", async () => {
    const { appointment } = await calcomAppointment();
    const lonely = await sql`update public.integrations set status = 'needs_reauth' where user_id = ${owner.id} returning id`;
    try {
      const { status, body } = await callFunction(`appointments/${appointment.id}/cancel`, { token: owner.accessToken });
      expect(status).toBe(409);
      expect(body.error.code).toBe("calcom_not_connected");
    } finally {
      await sql`update public.integrations set status = 'connected' where id = ${lonely[0].id}`;
    }
  });

  it("moves and cancels manual appointments without Cal.com", async () => {
    const manual = await manualAppointment(owner);
    const start = inDays(5, 14);
    const moved = await callFunction(`appointments/${manual.id}/reschedule`, { method: "PATCH", token: owner.accessToken, body: { start_at: start } });
    expect(moved.status).toBe(200);
    expect(moved.body.appointment).toMatchObject({ status: "rescheduled" });
    expect(Date.parse(moved.body.appointment.start_at)).toBe(Date.parse(start));
    expect(Date.parse(moved.body.appointment.end_at) - Date.parse(start)).toBe(3_600_000);
    const cancelled = await callFunction(`appointments/${manual.id}/cancel`, { token: owner.accessToken });
    expect(cancelled.body.appointment.status).toBe("cancelled");
    const refused = await callFunction(`appointments/${manual.id}/reschedule`, { method: "PATCH", token: owner.accessToken, body: { start_at: start } });
    expect(refused).toMatchObject({ status: 409, body: { error: { code: "appointment_cancelled" } } });
  });

  it("acts for the impersonated user, audited; an admin not impersonating cannot touch a user's appointment", async () => {
    const manual = await manualAppointment(owner);
    const admin = await newAdmin();
    const notTheirs = await callFunction(`appointments/${manual.id}/cancel`, { token: admin.accessToken });
    expect(notTheirs.status).toBe(404);

    const { data: session } = await admin.client.rpc("admin_start_impersonation", { target_user_id: owner.id, reason: "customer asked us to move it", minutes: 10 });
    const start = inDays(6, 17);
    const moved = await callFunction(`appointments/${manual.id}/reschedule`, {
      method: "PATCH",
      token: admin.accessToken,
      headers: { "x-impersonation-session": session.id },
      body: { start_at: start },
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.appointment).toMatchObject({ user_id: owner.id, status: "rescheduled" });
    const audit = await sql`
      select action from public.audit_logs
      where actor_user_id = ${admin.id} and on_behalf_of_user_id = ${owner.id} and target_id = ${manual.id} order by id`;
    expect(audit.map((a) => a.action)).toEqual(["impersonation.appointment_reschedule", "impersonation.update"]);
  });

  it("answers clear errors: no JWT, bad id, bad body, past time, someone else's appointment, unknown route", async () => {
    const mine = await manualAppointment(owner);
    const stranger = await newUser("appointments");
    expect((await callFunction(`appointments/${mine.id}/cancel`)).status).toBe(401);
    expect((await callFunction("appointments/not-a-uuid/cancel", { token: owner.accessToken })).body.error.code).toBe("invalid_appointment_id");
    const bad = await callFunction(`appointments/${mine.id}/reschedule`, { method: "PATCH", token: owner.accessToken, body: { start_at: "tomorrow" } });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: "invalid_payload" } } });
    const past = await callFunction(`appointments/${mine.id}/reschedule`, { method: "PATCH", token: owner.accessToken, body: { start_at: inDays(-1) } });
    expect(past.body.error.code).toBe("start_in_past");
    const foreign = await callFunction(`appointments/${mine.id}/cancel`, { token: stranger.accessToken });
    expect(foreign).toMatchObject({ status: 404, body: { error: { code: "appointment_not_found" } } });
    expect((await callFunction(`appointments/${randomUUID()}/cancel`, { token: owner.accessToken })).status).toBe(404);
    expect((await callFunction(`appointments/${mine.id}/reschedule`, { token: owner.accessToken, body: {} })).status).toBe(405);
    expect((await callFunction(`appointments/${mine.id}`, { method: "GET", token: owner.accessToken })).body.error.code).toBe("route_not_found");
    const [row] = await sql`select status from public.appointments where id = ${mine.id}`;
    expect(row.status).toBe("scheduled");
  });
});
