// Cal.com's booking webhooks: verified on the raw body (nothing written otherwise), applied once
// whatever the redelivery or arrival order, attributed by Cal.com user id, then username, then
// email, and kept (with an operator alert) when they match no business.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { newUser, sql, type TestUser } from "../helpers/stack.ts";
import type { CalUser } from "../../fakes/calcom.ts";
import { signCalcomPayload } from "../../fakes/calcom.ts";
import { newAdmin } from "../data-model/fixtures.ts";
import { calBooking, deliverWebhook, env, signedWebhook, uniqueCalUser } from "./calcom.ts";

/** A business whose stored Cal.com connection names `calUser` (as the OAuth callback stores it). */
async function businessConnectedAs(calUser: Partial<CalUser>): Promise<TestUser> {
  const owner = await newUser("calcom-webhook");
  await sql`
    insert into public.integrations (user_id, provider, status, external_user_id, external_username, external_email, connected_at)
    values (${owner.id}, 'calcom', 'connected', ${calUser.id === undefined ? null : String(calUser.id)},
            ${calUser.username ?? null}, ${calUser.email ?? null}, now())`;
  return owner;
}

async function appointmentOf(uid: string) {
  const rows = await sql`select * from public.appointments where calcom_booking_uid = ${uid}`;
  expect(rows.length).toBeLessThanOrEqual(1);
  return rows[0];
}

async function outboxOf(userId: string) {
  return sql`select event_type, dedupe_key, payload from public.webhook_queue where user_id = ${userId} order by id`;
}

describe("signature", () => {
  const organizer = uniqueCalUser();
  const booking = calBooking(organizer);
  const { raw, signature } = signedWebhook("BOOKING_CREATED", booking, organizer);

  async function nothingWritten() {
    expect(await appointmentOf(booking.uid)).toBeUndefined();
    const events = await sql`select 1 from public.inbound_webhook_events where provider = 'calcom' and event_id like ${`%${booking.uid}%`}`;
    expect(events).toHaveLength(0);
  }

  it("refuses a missing signature with 401", async () => {
    const { status, body } = await deliverWebhook(raw);
    expect(status).toBe(401);
    expect(body.error.code).toBe("invalid_signature");
    await nothingWritten();
  });

  it("refuses a signature made with another secret, over another body, or not hex", async () => {
    for (const bad of [
      signCalcomPayload(raw, "not-the-secret"),
      signCalcomPayload(raw.replace("Pat Caller", "Pat Caler"), env.CALCOM_WEBHOOK_SECRET),
      `sha256=${signature}`,
      "no-secret-provided",
      signature.slice(0, 63) + (signature.endsWith("0") ? "1" : "0"),
    ]) {
      const { status } = await deliverWebhook(raw, bad);
      expect(status, bad).toBe(401);
    }
    // The right signature on an altered body is refused too.
    expect((await deliverWebhook(raw.replace("Pat Caller", "Eve Attacker"), signature)).status).toBe(401);
    await nothingWritten();
  });

  it("accepts the genuine body and signature", async () => {
    const { status, body } = await deliverWebhook(raw, signature);
    expect(status).toBe(200);
    expect(body).toMatchObject({ received: true, outcome: "inserted" });
  });

  it("answers 200 with a rejection to a signed body that is not a booking event, and 200 to triggers it does not handle", async () => {
    const notJson = "{not json";
    const unreadable = await deliverWebhook(notJson, signCalcomPayload(notJson, env.CALCOM_WEBHOOK_SECRET));
    expect(unreadable).toMatchObject({ status: 200, body: { received: true, rejected: { code: "invalid_json" } } });
    const noUid = JSON.stringify({ triggerEvent: "BOOKING_CREATED", createdAt: new Date().toISOString(), payload: { startTime: "x" } });
    const invalid = await deliverWebhook(noUid, signCalcomPayload(noUid, env.CALCOM_WEBHOOK_SECRET));
    expect(invalid).toMatchObject({ status: 200, body: { received: true, rejected: { code: "invalid_payload" } } });
    const meeting = JSON.stringify({ triggerEvent: "MEETING_STARTED", createdAt: new Date().toISOString(), payload: {} });
    expect((await deliverWebhook(meeting, signCalcomPayload(meeting, env.CALCOM_WEBHOOK_SECRET))).body).toEqual({ received: true, ignored: "MEETING_STARTED" });
  });
});

describe("attribution", () => {
  it("goes by the stored Cal.com user id before username and email", async () => {
    const organizer = uniqueCalUser();
    const byId = await businessConnectedAs({ id: organizer.id });
    // Another business claims the same username and email: the id still wins.
    await businessConnectedAs({ username: organizer.username, email: organizer.email });
    const booking = calBooking(organizer);
    const { raw, signature } = signedWebhook("BOOKING_CREATED", booking, organizer);
    const { body } = await deliverWebhook(raw, signature);
    expect(body).toMatchObject({ outcome: "inserted", user_id: byId.id, matched_by: "calcom_user_id" });
    expect(await appointmentOf(booking.uid)).toMatchObject({ user_id: byId.id, source: "calcom", status: "scheduled" });
  });

  it("then by username, case-insensitively, before email", async () => {
    const organizer = uniqueCalUser();
    const byUsername = await businessConnectedAs({ username: organizer.username.toUpperCase() });
    await businessConnectedAs({ email: organizer.email });
    const booking = calBooking(organizer);
    const { raw, signature } = signedWebhook("BOOKING_CREATED", booking, organizer);
    expect((await deliverWebhook(raw, signature)).body).toMatchObject({ user_id: byUsername.id, matched_by: "calcom_username" });
  });

  it("then by the connection's email, then by the business's account email", async () => {
    const organizer = uniqueCalUser();
    const byEmail = await businessConnectedAs({ email: organizer.email.toUpperCase() });
    const first = calBooking(organizer);
    const one = signedWebhook("BOOKING_CREATED", first, organizer);
    expect((await deliverWebhook(one.raw, one.signature)).body).toMatchObject({ user_id: byEmail.id, matched_by: "calcom_email" });

    const unconnected = await newUser("calcom-webhook");
    const owner = uniqueCalUser({ email: unconnected.email });
    const second = calBooking(owner);
    const two = signedWebhook("BOOKING_CREATED", second, owner);
    expect((await deliverWebhook(two.raw, two.signature)).body).toMatchObject({ user_id: unconnected.id, matched_by: "profile_email" });
  });

  it("keeps a booking that matches no business, unattributed, and alerts operators once", async () => {
    const stranger = uniqueCalUser();
    const booking = calBooking(stranger);
    const created = signedWebhook("BOOKING_CREATED", booking, stranger);
    expect((await deliverWebhook(created.raw, created.signature)).body).toMatchObject({ outcome: "inserted", user_id: null, matched_by: null });
    expect(await appointmentOf(booking.uid)).toMatchObject({
      user_id: null,
      source: "calcom",
      status: "scheduled",
      customer_name: "Pat Caller",
      customer_phone: "+15551239876",
      calcom_organizer: expect.objectContaining({ username: stranger.username }),
    });

    const cancelled = signedWebhook("BOOKING_CANCELLED", { ...booking, status: "cancelled", cancellationReason: "changed plans" }, stranger);
    expect((await deliverWebhook(cancelled.raw, cancelled.signature)).body.outcome).toBe("updated");
    const alerts = await sql`select kind, details from public.ops_alerts where dedupe_key = ${`calcom_unattributed_booking:${booking.uid}`}`;
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: "calcom_unattributed_booking", details: expect.objectContaining({ booking_uid: booking.uid }) });
    expect(await appointmentOf(booking.uid)).toMatchObject({ user_id: null, status: "cancelled", cancellation_reason: "changed plans" });

    // Admins review it (and the alert); businesses never see it.
    const admin = await newAdmin();
    const reviewed = await admin.client.from("appointments").select("user_id, status").eq("calcom_booking_uid", booking.uid);
    expect(reviewed.data).toEqual([{ user_id: null, status: "cancelled" }]);
    const alert = await admin.client.from("ops_alerts").select("kind").eq("dedupe_key", `calcom_unattributed_booking:${booking.uid}`);
    expect(alert.data).toEqual([{ kind: "calcom_unattributed_booking" }]);
    const business = await newUser("calcom-webhook");
    expect((await business.client.from("appointments").select("id").eq("calcom_booking_uid", booking.uid)).data).toEqual([]);
  });

  it("attributes a kept booking once its business connects, with the next change", async () => {
    const organizer = uniqueCalUser();
    const booking = calBooking(organizer);
    const created = signedWebhook("BOOKING_CREATED", booking, organizer);
    await deliverWebhook(created.raw, created.signature);
    const owner = await businessConnectedAs({ id: organizer.id });
    const cancelled = signedWebhook("BOOKING_CANCELLED", { ...booking, status: "cancelled" }, organizer);
    expect((await deliverWebhook(cancelled.raw, cancelled.signature)).body).toMatchObject({ user_id: owner.id, matched_by: "calcom_user_id" });
    expect((await outboxOf(owner.id)).map((e) => e.event_type)).toEqual(["appointment_cancelled"]);
  });
});

describe("idempotency and ordering", () => {
  it("applies a redelivered event once: one appointment, one outbox event", async () => {
    const organizer = uniqueCalUser();
    const owner = await businessConnectedAs({ id: organizer.id });
    const booking = calBooking(organizer);
    const { raw, signature } = signedWebhook("BOOKING_CREATED", booking, organizer);
    expect((await deliverWebhook(raw, signature)).body.outcome).toBe("inserted");
    expect((await deliverWebhook(raw, signature)).body.outcome).toBe("duplicate");

    const rows = await sql`select id from public.appointments where user_id = ${owner.id}`;
    expect(rows).toHaveLength(1);
    const outbox = await outboxOf(owner.id);
    expect(outbox).toHaveLength(1);
    expect(outbox[0]).toMatchObject({
      event_type: "appointment_booked",
      dedupe_key: `appointment_booked:${booking.uid}`,
      payload: expect.objectContaining({ appointment_id: rows[0].id, status: "scheduled", customer_name: "Pat Caller" }),
    });
  });

  it("ends cancelled when the cancellation arrives before the creation", async () => {
    const organizer = uniqueCalUser();
    const owner = await businessConnectedAs({ id: organizer.id });
    const booking = calBooking(organizer);
    const createdAt = new Date(Date.now() - 60_000).toISOString();
    const cancelledAt = new Date().toISOString();
    const cancel = signedWebhook("BOOKING_CANCELLED", { ...booking, status: "cancelled" }, organizer, cancelledAt);
    const create = signedWebhook("BOOKING_CREATED", booking, organizer, createdAt);
    expect((await deliverWebhook(cancel.raw, cancel.signature)).body.outcome).toBe("inserted");
    expect((await deliverWebhook(create.raw, create.signature)).body.outcome).toBe("stale");
    expect(await appointmentOf(booking.uid)).toMatchObject({ user_id: owner.id, status: "cancelled" });
    expect((await outboxOf(owner.id)).map((e) => e.event_type)).toEqual(["appointment_cancelled"]);
  });

  it("follows a reschedule to the new booking uid, in either arrival order", async () => {
    const organizer = uniqueCalUser();
    const owner = await businessConnectedAs({ id: organizer.id });
    const original = calBooking(organizer);
    const movedStart = new Date(Date.parse(original.start) + 86_400_000);
    const moved = calBooking(organizer, {
      uid: `uid_${randomUUID().replaceAll("-", "")}`,
      start: movedStart.toISOString(),
      end: new Date(movedStart.getTime() + 3_600_000).toISOString(),
      rescheduledFromUid: original.uid,
    });
    const created = signedWebhook("BOOKING_CREATED", original, organizer, new Date(Date.now() - 60_000).toISOString());
    const rescheduled = signedWebhook("BOOKING_RESCHEDULED", moved, organizer);

    expect((await deliverWebhook(rescheduled.raw, rescheduled.signature)).body.outcome).toBe("inserted");
    expect((await deliverWebhook(created.raw, created.signature)).body.outcome).toBe("superseded");
    const rows = await sql`select calcom_booking_uid, rescheduled_from_uid, status, start_at from public.appointments where user_id = ${owner.id}`;
    expect(rows).toEqual([{ calcom_booking_uid: moved.uid, rescheduled_from_uid: original.uid, status: "rescheduled", start_at: movedStart }]);

    // In order: the row created for the original moves to the new uid.
    const other = await businessConnectedAs({ id: organizer.id + 1 });
    const organizer2 = { ...organizer, id: organizer.id + 1 };
    const first = calBooking(organizer2);
    const second = calBooking(organizer2, { uid: `uid_${randomUUID().replaceAll("-", "")}`, rescheduledFromUid: first.uid });
    const a = signedWebhook("BOOKING_CREATED", first, organizer2, new Date(Date.now() - 60_000).toISOString());
    const b = signedWebhook("BOOKING_RESCHEDULED", second, organizer2);
    expect((await deliverWebhook(a.raw, a.signature)).body.outcome).toBe("inserted");
    expect((await deliverWebhook(b.raw, b.signature)).body.outcome).toBe("updated");
    const moves = await sql`select calcom_booking_uid, rescheduled_from_uid, status from public.appointments where user_id = ${other.id}`;
    expect(moves).toEqual([{ calcom_booking_uid: second.uid, rescheduled_from_uid: first.uid, status: "rescheduled" }]);
    expect((await outboxOf(other.id)).map((e) => e.dedupe_key)).toEqual([`appointment_booked:${first.uid}`, `appointment_rescheduled:${second.uid}`]);
  });

  it("serialises changes to the same booking: a cancellation racing the reschedule it follows waits for it", async () => {
    const organizer = uniqueCalUser();
    const owner = await businessConnectedAs({ id: organizer.id });
    const original = calBooking(organizer);
    const created = signedWebhook("BOOKING_CREATED", original, organizer, new Date(Date.now() - 60_000).toISOString());
    await deliverWebhook(created.raw, created.signature);
    const movedUid = `uid_${randomUUID().replaceAll("-", "")}`;
    const normalised = (uid: string, extra: Record<string, unknown> = {}) =>
      ({ uid, start_at: original.start, end_at: original.end, organizer: { id: String(organizer.id) }, ...extra });

    // Our function's reschedule holds its transaction open while Cal.com's cancellation of the new booking arrives.
    let commit!: () => void;
    const committing = new Promise<void>((resolve) => (commit = resolve));
    let applied!: () => void;
    const rescheduleApplied = new Promise<void>((resolve) => (applied = resolve));
    const reschedule = sql.begin(async (tx) => {
      await tx`select public.calcom_apply_booking_change('rescheduled', ${tx.json(normalised(movedUid, { reschedule_uid: original.uid }))})`;
      applied();
      await committing;
    });
    await rescheduleApplied;
    const cancellation = sql`
      select public.calcom_ingest_booking_event(${`BOOKING_CANCELLED:${movedUid}:race`}, 'BOOKING_CANCELLED', now() + interval '1 second',
                                                ${sql.json(normalised(movedUid, { status: "cancelled" }))}) as result`.execute();
    await new Promise((r) => setTimeout(r, 200));
    commit();
    await reschedule;
    const [{ result }] = await cancellation;
    expect(result.outcome).toBe("updated");
    const rows = await sql`select calcom_booking_uid, status from public.appointments where user_id = ${owner.id}`;
    expect(rows).toEqual([{ calcom_booking_uid: movedUid, status: "cancelled" }]);
  });
});
