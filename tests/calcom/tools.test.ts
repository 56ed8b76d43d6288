// The agent's calendar tools during a call, through signed Retell tool calls against a business
// connected to the fake Cal.com: availability read out in the business's time zone, booking with
// the caller's name and phone (appointment and outbox written together), once per call and slot
// however often Retell delivers it, and a sentence the agent can say when Cal.com fails.
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { callObject, postAsRetell } from "../../scripts/lib/call-simulator.ts";
import { sql } from "../helpers/stack.ts";
import { newBusiness, uniqueCallId, uniquePhone, type Business } from "../calls/fixtures.ts";
import {
  accessTokenOf,
  CALCOM_WEBHOOK_URL,
  calcomRequestsSince,
  connectCalcom,
  fakeCalcom,
  freeFarWeekday,
  restoreCalcomFakeAfterAll,
  signInAtCalcom,
  uniqueCalUser,
} from "./calcom.ts";

restoreCalcomFakeAfterAll();

const TIME_ZONE = "America/Chicago";
let business: Business;

beforeAll(async () => {
  business = await newBusiness();
  await signInAtCalcom(uniqueCalUser({ timeZone: TIME_ZONE }));
  await connectCalcom(business.user);
});
beforeEach(async () => {
  await fakeCalcom("POST", "/__control/faults", {});
});

/** An ongoing call to the business: Retell has told us it started. */
async function ongoingCall() {
  const caller = uniquePhone();
  const call = callObject({ callId: uniqueCallId("call_calcom"), to: business.number, from: caller }, "started");
  expect((await postAsRetell("retell-webhook", { event: "call_started", call })).status).toBe(200);
  return { call, callId: call.call_id as string, caller };
}

const tool = (name: string, call: Record<string, unknown>, args: Record<string, unknown>) =>
  postAsRetell(`retell-tools/${name}`, { name, call, args });

/** How the agent should say a far-off day: "Tuesday, March 4". */
function spokenFarDay(date: string): string {
  const noon = new Date(`${date}T18:00:00Z`);
  const weekday = new Intl.DateTimeFormat("en-US", { timeZone: TIME_ZONE, weekday: "long" }).format(noon);
  return `${weekday}, ${new Intl.DateTimeFormat("en-US", { timeZone: TIME_ZONE, month: "long", day: "numeric" }).format(noon)}`;
}

async function offeredSlots(call: Record<string, unknown>, date: string) {
  const answer = await tool("check_calendar_availability", call, { preferred_date: date });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  expect(answer.body.available).toBe(true);
  return answer.body.slots as { start: string; spoken: string }[];
}

async function calcomBookingsOf(callId: string) {
  const token = await accessTokenOf(business.user.id);
  const appointments = await sql`select calcom_booking_uid from public.appointments where call_id = ${callId}`;
  return Promise.all(appointments.map(async (a) => (await fakeCalcom("GET", `/v2/bookings/${a.calcom_booking_uid}`, undefined, token)).body.data));
}

describe("check_calendar_availability", () => {
  it("offers the first free slots of the day asked about, read out in the business's time zone", async () => {
    const { call } = await ongoingCall();
    const date = await freeFarWeekday();
    const started = new Date().toISOString();
    const answer = await tool("check_calendar_availability", call, { preferred_date: date });
    expect(answer.status).toBe(200);
    const day = spokenFarDay(date);
    expect(answer.body).toMatchObject({
      result: `I have ${day} at 9 AM, ${day} at 10 AM, or ${day} at 11 AM. Which works best for you?`,
      calendar_connected: true,
      available: true,
    });
    expect(answer.body.slots.map((s: { spoken: string }) => s.spoken)).toEqual([`${day} at 9 AM`, `${day} at 10 AM`, `${day} at 11 AM`]);
    expect(answer.body.slots[0].start).toMatch(new RegExp(`^${date}T09:00:00\\.000-0[56]:00$`));

    const [slotsRequest] = await calcomRequestsSince(started, "/v2/slots");
    expect(slotsRequest.headers["cal-api-version"]).toBe("2024-09-04");
    expect(slotsRequest.query).toMatchObject({ eventTypeId: "501", timeZone: TIME_ZONE });
  });

  it("keeps to the part of the day the caller prefers", async () => {
    const { call } = await ongoingCall();
    const answer = await tool("check_calendar_availability", call, { preferred_date: await freeFarWeekday(), preferred_time: "afternoon" });
    expect(answer.body.slots.map((s: { spoken: string }) => s.spoken.replace(/^.* at /, ""))).toEqual(["12 PM", "1 PM", "2 PM"]);
  });

  it("offers the next open days, at most two slots a day, when the day asked about is a weekend", async () => {
    const { call } = await ongoingCall();
    const saturday = new Date(`${await freeFarWeekday()}T12:00:00Z`);
    while (saturday.getUTCDay() !== 6) saturday.setUTCDate(saturday.getUTCDate() + 1);
    const date = saturday.toISOString().slice(0, 10);
    const answer = await tool("check_calendar_availability", call, { preferred_date: date });
    expect(answer.body.result).toMatch(/^I don't have anything open on Saturday, .+\. The next openings are .+, .+, or .+\. Which works best for you\?$/);
    const days = answer.body.slots.map((s: { start: string }) => s.start.slice(0, 10));
    expect(new Set(days).size).toBe(2);
  });

  it("says the calendar is not connected for a business without Cal.com", async () => {
    const unconnected = await newBusiness();
    const call = callObject({ callId: uniqueCallId("call_calcom"), to: unconnected.number, from: uniquePhone() }, "started");
    const answer = await tool("check_calendar_availability", call, {});
    expect(answer.body).toMatchObject({ calendar_connected: false, result: expect.stringMatching(/calendar isn't connected/) });
  });
});

describe("book_appointment", () => {
  it("books the chosen slot at Cal.com with the caller's name and phone, and records the appointment and its outbox event", async () => {
    const { call, callId, caller } = await ongoingCall();
    const [slot] = await offeredSlots(call, await freeFarWeekday());
    const answer = await tool("book_appointment", call, { start: slot.start, customer_name: "Robin Caller", service: "AC repair", notes: "Gate code 1234" });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ booked: true, result: `You're all set for ${slot.spoken}. We'll see you then!` });

    const [appointment] = await sql`select * from public.appointments where call_id = ${callId}`;
    expect(appointment).toMatchObject({
      id: answer.body.appointment_id,
      user_id: business.user.id,
      source: "ai_call",
      status: "scheduled",
      customer_name: "Robin Caller",
      customer_phone: caller,
      service: "AC repair",
      notes: "Gate code 1234",
      calcom_event_type_id: "501",
    });
    expect(appointment.start_at.getTime()).toBe(Date.parse(slot.start));
    const outbox = await sql`select event_type, payload from public.webhook_queue where dedupe_key = ${`appointment_booked:${appointment.calcom_booking_uid}`}`;
    expect(outbox).toEqual([{ event_type: "appointment_booked", payload: expect.objectContaining({ appointment_id: appointment.id, call_id: callId, source: "ai_call" }) }]);

    const [booking] = await calcomBookingsOf(callId);
    expect(booking).toMatchObject({ status: "accepted", attendees: [expect.objectContaining({ name: "Robin Caller", phoneNumber: caller })] });
    expect(booking.metadata).toMatchObject({ call_id: callId, booking_intent_id: expect.any(String) });
  });

  it("books once when Retell delivers the same tool call twice, or the agent asks for the same slot again in other words", async () => {
    const { call, callId } = await ongoingCall();
    const [slot] = await offeredSlots(call, await freeFarWeekday());
    const started = new Date().toISOString();
    const args = { start: slot.start, customer_name: "Casey Caller" };
    const first = await tool("book_appointment", call, args);
    const redelivered = await tool("book_appointment", call, args);
    const reworded = await tool("book_appointment", call, { ...args, customer_name: "Casey  Caller", service: "furnace" });
    expect(first.body.booked).toBe(true);
    expect(redelivered.body).toEqual(first.body);
    expect(reworded.body).toMatchObject({ booked: true, appointment_id: first.body.appointment_id });

    expect((await calcomRequestsSince(started, "/v2/bookings")).filter((r) => r.method === "POST")).toHaveLength(1);
    expect(await sql`select id from public.appointments where call_id = ${callId}`).toHaveLength(1);
  });

  it("books once when deliveries of the same booking arrive at the same time", async () => {
    const { call, callId } = await ongoingCall();
    const [slot] = await offeredSlots(call, await freeFarWeekday());
    const started = new Date().toISOString();
    const answers = await Promise.all(
      ["Dana", "Dana C.", "Dana Caller", "Dana Q. Caller"].map((name) => tool("book_appointment", call, { start: slot.start, customer_name: name })),
    );
    for (const answer of answers) expect(answer.body).toMatchObject({ booked: true });
    expect((await calcomRequestsSince(started, "/v2/bookings")).filter((r) => r.method === "POST")).toHaveLength(1);
    expect(await sql`select id from public.appointments where call_id = ${callId}`).toHaveLength(1);
  });

  it("agrees with Cal.com's own BOOKING_CREATED webhook: one appointment, one outbox event", async () => {
    await fakeCalcom("POST", "/__control/webhook", { url: CALCOM_WEBHOOK_URL });
    try {
      const { call, callId } = await ongoingCall();
      const [slot] = await offeredSlots(call, await freeFarWeekday());
      const answer = await tool("book_appointment", call, { start: slot.start, customer_name: "Webhook Wes" });
      const [appointment] = await sql`select calcom_booking_uid from public.appointments where call_id = ${callId}`;
      let delivery: any;
      for (let i = 0; i < 50 && !delivery; i++) {
        const { body } = await fakeCalcom("GET", "/__control/deliveries");
        delivery = (body as any[]).find((d) => d.uid === appointment.calcom_booking_uid);
        if (!delivery) await new Promise((r) => setTimeout(r, 100));
      }
      expect(delivery?.status).toBe(200);
      const rows = await sql`select id, source, call_id from public.appointments where calcom_booking_uid = ${appointment.calcom_booking_uid}`;
      expect(rows).toEqual([{ id: answer.body.appointment_id, source: "ai_call", call_id: callId }]);
      const outbox = await sql`select 1 from public.webhook_queue where dedupe_key = ${`appointment_booked:${appointment.calcom_booking_uid}`}`;
      expect(outbox).toHaveLength(1);
    } finally {
      await fakeCalcom("POST", "/__control/webhook", { url: null });
    }
  });

  it("says so and offers other times when the slot was just taken", async () => {
    const first = await ongoingCall();
    const [slot] = await offeredSlots(first.call, await freeFarWeekday());
    expect((await tool("book_appointment", first.call, { start: slot.start, customer_name: "Early Bird" })).body.booked).toBe(true);

    const second = await ongoingCall();
    const answer = await tool("book_appointment", second.call, { start: slot.start, customer_name: "Late Comer" });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ booked: false, slot_taken: true });
    expect(answer.body.result).toMatch(new RegExp(`^Sorry, ${slot.spoken} was just taken\\. I can do .+ instead\\. Would one of those work\\?$`));
    expect(await sql`select id from public.appointments where call_id = ${second.callId}`).toHaveLength(0);
  });

  it("asks for a phone number when it has none", async () => {
    const { call } = await ongoingCall();
    const anonymous = { ...call, from_number: "anonymous" };
    const answer = await tool("book_appointment", anonymous, { start: new Date(Date.now() + 30 * 86_400_000).toISOString(), customer_name: "No Number" });
    expect(answer.body).toMatchObject({ booked: false, missing: "customer_phone" });
  });
});

describe("when Cal.com fails", () => {
  it("answers a sentence the agent can say within the tool-call time, and a later ask tries again", async () => {
    const { call } = await ongoingCall();
    const date = await freeFarWeekday();
    await fakeCalcom("POST", "/__control/faults", { failNext: 1, failStatus: 503 });
    const failed = await tool("check_calendar_availability", call, { preferred_date: date });
    expect(failed.status).toBe(200);
    expect(failed.body.result).toMatch(/couldn't do that just now.*call you back/);
    // Asked again (here for a service, so Retell's replay of the same call does not apply), it runs again.
    const retried = await tool("check_calendar_availability", call, { preferred_date: date, service: "AC repair" });
    expect(retried.body.available).toBe(true);
  });

  it("runs a failed tool call again when Retell retries it with the same arguments", async () => {
    const { call } = await ongoingCall();
    const date = await freeFarWeekday();
    await fakeCalcom("POST", "/__control/faults", { failNext: 1, failStatus: 503 });
    const failed = await tool("check_calendar_availability", call, { preferred_date: date });
    expect(failed.body.result).toMatch(/couldn't do that just now/);
    const retried = await tool("check_calendar_availability", call, { preferred_date: date });
    expect(retried.body.available).toBe(true);
  });

  it("does not leave the caller waiting when Cal.com hangs, and does not book twice after it", async () => {
    const { call, callId } = await ongoingCall();
    const [slot] = await offeredSlots(call, await freeFarWeekday());
    await fakeCalcom("POST", "/__control/faults", { hangNext: 1 });
    const started = Date.now();
    const hung = await tool("book_appointment", call, { start: slot.start, customer_name: "Patient Pat" });
    expect(hung.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(hung.body.result).toMatch(/couldn't do that just now/);

    // The hung request never reached Cal.com's booking: the slot is still free, so asking again books it, once.
    const again = await tool("book_appointment", call, { start: slot.start, customer_name: "Pat Patient" });
    expect(again.body).toMatchObject({ booked: true });
    expect(await calcomBookingsOf(callId)).toHaveLength(1);
  });
});
