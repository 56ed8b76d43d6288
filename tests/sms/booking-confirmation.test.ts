// The booking confirmation text, through the public interfaces: the voice agent books through a
// signed Retell tool call, and the caller gets one text at the Twilio fake from the business's own
// number, with the time in the business's zone and Cal.com's reschedule and cancel links; a retried
// tool call sends nothing more; an opted-out caller, a used-up allowance or an owner who turned
// confirmations off get nothing sent (the first two leave a refused message saying why).
import { beforeAll, describe, expect, it } from "vitest";
import { callObject, postAsRetell } from "../../scripts/lib/call-simulator.ts";
import { sql } from "../helpers/stack.ts";
import { newBusiness, uniqueCallId, uniquePhone, type Business } from "../calls/fixtures.ts";
import { connectCalcom, env, freeFarWeekday, restoreCalcomFakeAfterAll, signInAtCalcom, uniqueCalUser } from "../calcom/calcom.ts";
import { customerTexts, sentTo } from "./twilio.ts";

restoreCalcomFakeAfterAll();

const TIME_ZONE = "America/Chicago";

async function connectedBusiness(): Promise<Business> {
  const business = await newBusiness();
  await signInAtCalcom(uniqueCalUser({ timeZone: TIME_ZONE }));
  await connectCalcom(business.user);
  return business;
}

const tool = (name: string, call: Record<string, unknown>, args: Record<string, unknown>) =>
  postAsRetell(`retell-tools/${name}`, { name, call, args });

/** A call to the business in which the agent books the first free slot; returns the tool's answer. */
async function bookDuringCall(business: Business, caller = uniquePhone()) {
  const call = callObject({ callId: uniqueCallId("call_sms_confirm"), to: business.number, from: caller }, "started");
  expect((await postAsRetell("retell-webhook", { event: "call_started", call })).status).toBe(200);
  const slots = await tool("check_calendar_availability", call, { preferred_date: await freeFarWeekday() });
  const [slot] = slots.body.slots as { start: string }[];
  const args = { start: slot.start, customer_name: "Robin Caller" };
  const answer = await tool("book_appointment", call, args);
  expect(answer.body.booked, JSON.stringify(answer.body)).toBe(true);
  return { call, args, caller, answer };
}

/** Waits until the queued confirmation has left (or given up): it is sent after the booking's commit. */
async function settledConfirmation(userId: string) {
  for (let i = 0; i < 100; i++) {
    const [message] = await sql`select status, error_code, kind, automatic, body, segments, from_number, to_number
                                from public.sms_messages where user_id = ${userId} and idempotency_key like 'booking-confirmation:%'`;
    if (message && message.status !== "queued") return message;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("the confirmation text was not settled within 10 s");
}

let business: Business;
beforeAll(async () => {
  business = await connectedBusiness();
});

describe("booking confirmation text", () => {
  it("texts the caller once from the business's number, with the time and Cal.com's links, however often the tool call is retried", async () => {
    const { call, args, caller, answer } = await bookDuringCall(business);
    const message = await settledConfirmation(business.user.id);
    expect(message).toMatchObject({ status: "sent", kind: "transactional", automatic: true, from_number: business.number, to_number: caller });

    const [appointment] = await sql`select start_at, calcom_booking_uid from public.appointments where id = ${answer.body.appointment_id}`;
    const when = new Intl.DateTimeFormat("en-US", { timeZone: TIME_ZONE, weekday: "short", month: "short", day: "numeric", hour: "numeric", minute: "2-digit" })
      .formatToParts(appointment.start_at);
    const part = (type: string) => when.find((p) => p.type === type)!.value;
    const origin = new URL(env.CALCOM_APP_BASE).origin;
    const uid = appointment.calcom_booking_uid;
    expect(message.body).toBe(
      `${business.businessName}: your appointment on ${part("weekday")} ${part("month")} ${part("day")} at ${part("hour")}:${part("minute")} ${part("dayPeriod")} is confirmed. ` +
        `Reschedule: ${origin}/reschedule/${uid} Cancel: ${origin}/booking/${uid}?cancel=true`,
    );
    const [usage] = await sql`select count(*)::int as rows, sum(segments)::int as segments from public.usage_sms where user_id = ${business.user.id}`;
    expect(usage).toEqual({ rows: 1, segments: message.segments });

    // Retell delivers the same tool call again: the stored answer, and no second text.
    const again = await tool("book_appointment", call, args);
    expect(again.body).toEqual(answer.body);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await sentTo(caller)).map((m) => [m.from, m.body])).toEqual([[business.number, message.body]]);
    const [conversation] = await sql`select count(*)::int as n from public.sms_messages m join public.sms_conversations v on v.id = m.conversation_id
                                     where v.user_id = ${business.user.id} and v.customer_phone = ${caller}`;
    expect(conversation.n).toBe(1);
  });

  it("sends nothing to a caller who opted out, and records why", async () => {
    const other = await connectedBusiness();
    const caller = uniquePhone();
    await customerTexts(other, caller, "STOP");
    await bookDuringCall(other, caller);
    expect(await settledConfirmation(other.user.id)).toMatchObject({ status: "refused", error_code: "recipient_opted_out" });
    expect(await sentTo(caller)).toEqual([]);
    const [usage] = await sql`select count(*)::int as n from public.usage_sms where user_id = ${other.user.id}`;
    expect(usage.n).toBe(0);
  });

  it("is not sent at the SMS cap, and the message says so", async () => {
    const capped = await connectedBusiness();
    await sql`update public.usage_limits set sms_used = sms_allowance where user_id = ${capped.user.id}`;
    const { caller } = await bookDuringCall(capped);
    expect(await settledConfirmation(capped.user.id)).toMatchObject({ status: "refused", error_code: "sms_cap_reached" });
    expect(await sentTo(caller)).toEqual([]);
  });

  it("is not sent when the owner turned confirmations off", async () => {
    const quiet = await connectedBusiness();
    const { error } = await quiet.user.client.from("profiles").update({ sms_booking_confirmations: false }).eq("id", quiet.user.id);
    expect(error).toBeNull();
    const { caller, answer } = await bookDuringCall(quiet);
    expect(answer.body.booked).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await sql`select id from public.sms_messages where user_id = ${quiet.user.id}`).toEqual([]);
    expect(await sentTo(caller)).toEqual([]);
  });
});
