// Retell's call events, as the simulator plays them: what a whole call leaves behind (call,
// recording, customer, usage, lead, outbox), redelivery and any arrival order leaving the same
// state, statuses that never move backwards, refused and unconnected calls.
import { describe, expect, it } from "vitest";
import { callObject, postAsRetell, simulateCall } from "../../scripts/lib/call-simulator.ts";
import { sql } from "../helpers/stack.ts";
import { footprint, newBusiness, storedCall, uniqueCallId, uniquePhone } from "./fixtures.ts";

type Stage = "started" | "ended" | "analyzed";
const EVENT: Record<Stage, string> = { started: "call_started", ended: "call_ended", analyzed: "call_analyzed" };

/** Delivers one stage of a call as Retell would. */
async function deliver(stage: Stage, call: { callId: string; to: string; from: string; minutes?: number; analysis?: Record<string, unknown> }, extra = {}) {
  const answer = await postAsRetell("retell-webhook", { event: EVENT[stage], call: { ...callObject(call, stage, { endedAt: 1_790_000_000_000 }), ...extra } });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body;
}

/** The footprint without the columns that only say when rows were written. */
function comparable(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (key, v) => (["updated_at", "created_at", "analyzed_at", "id", "locked_until", "next_attempt_at"].includes(key) ? undefined : v));
}

describe("a whole call", () => {
  it("records the call, recording, customer, billable usage, lead and outbox events", async () => {
    const business = await newBusiness();
    const caller = uniquePhone();
    const { callId, steps } = await simulateCall({ to: business.number, from: caller, minutes: 2.5 });
    expect(steps.map((s) => [s.step, s.status])).toEqual([
      ["call_inbound", 200], ["call_started", 200], ["check_calendar_availability", 200], ["call_ended", 200], ["call_analyzed", 200],
    ]);

    expect(await storedCall(callId)).toMatchObject({
      user_id: business.user.id, status: "ended", direction: "inbound", from_number: caller, to_number: business.number,
      duration_ms: 150_000, disconnection_reason: "user_hangup", refusal_reason: null, transferred: false,
    });
    const [recording] = await sql`select * from public.call_recordings where call_id = ${callId}`;
    expect(recording).toMatchObject({
      user_id: business.user.id, recording_url: `https://recordings.example.com/${callId}.wav`, duration_seconds: 150,
      summary: "The caller's AC stopped cooling; they want a technician this week.", sentiment: "Positive", call_successful: true,
    });
    expect(recording.transcript).toMatch(/AC stopped cooling/);
    expect(recording.transcript_object).toHaveLength(2);
    expect(recording.analysis.custom_analysis_data.service_needed).toBe("AC repair");

    const [usage] = await sql`select user_id, duration_seconds, billable_minutes from public.usage_calls where call_id = ${callId}`;
    expect(usage).toEqual({ user_id: business.user.id, duration_seconds: 150, billable_minutes: 3 });

    const [customer] = await sql`select id, name, total_calls from public.customers where user_id = ${business.user.id} and phone = ${caller}`;
    expect(customer).toMatchObject({ name: "Sam Caller", total_calls: 1 });
    const [lead] = await sql`select * from public.leads where call_id = ${callId}`;
    expect(lead).toMatchObject({
      user_id: business.user.id, customer_id: customer.id, phone: caller, name: "Sam Caller",
      service_needed: "AC repair", urgency: "high", status: "new",
    });

    const outbox = await sql`select event_type, dedupe_key, payload from public.webhook_queue
                             where user_id = ${business.user.id} order by id`;
    expect(outbox.map((row) => [row.event_type, row.dedupe_key])).toEqual([
      ["call_ended", `call_ended:${callId}`],
      ["lead_created", `lead_created:${callId}`],
    ]);
    expect(outbox[0].payload).toMatchObject({ call_id: callId, from_number: caller, duration_seconds: 150, status: "ended" });
    expect(outbox[1].payload).toMatchObject({ lead_id: lead.id, call_id: callId, phone: caller, service_needed: "AC repair" });
  });

  it("counts a returning caller's calls on one customer", async () => {
    const business = await newBusiness();
    const caller = uniquePhone();
    await simulateCall({ to: business.number, from: caller, minutes: 1 });
    await simulateCall({ to: business.number, from: caller, minutes: 1 });
    const customers = await sql`select total_calls from public.customers where user_id = ${business.user.id}`;
    expect(customers).toEqual([{ total_calls: 2 }]);
  });
});

describe("redelivery and arrival order", () => {
  it("call_ended delivered twice (and five times at once) changes nothing", async () => {
    const business = await newBusiness();
    const call = { callId: uniqueCallId(), to: business.number, from: uniquePhone(), minutes: 4 };
    await deliver("started", call);
    const first = await deliver("ended", call);
    expect(first.first_end).toBe(true);
    const after = await footprint(call.callId, business.user.id);

    const again = await deliver("ended", call);
    expect(again.first_end).toBe(false);
    await Promise.all(Array.from({ length: 5 }, () => deliver("ended", call)));
    expect(await footprint(call.callId, business.user.id)).toEqual(after);
    const [counts] = await sql`
      select (select count(*) from public.usage_calls where call_id = ${call.callId})::int as usage,
             (select count(*) from public.webhook_queue where dedupe_key = ${`call_ended:${call.callId}`})::int as outbox,
             (select total_calls from public.customers where user_id = ${business.user.id} and phone = ${call.from}) as total_calls`;
    expect(counts).toEqual({ usage: 1, outbox: 1, total_calls: 1 });
  });

  it("any order of the events ends in the same state as the natural order", async () => {
    const business = await newBusiness();
    const caller = uniquePhone();
    const natural = { callId: uniqueCallId(), to: business.number, from: caller, minutes: 3 };
    const shuffled = { ...natural, callId: uniqueCallId() };
    for (const stage of ["started", "ended", "analyzed"] as const) await deliver(stage, natural);
    for (const stage of ["analyzed", "started", "ended", "analyzed", "started"] as const) await deliver(stage, shuffled);

    const state = async (callId: string) => {
      const print = (await footprint(callId, business.user.id)) as Record<string, any>;
      // Everything but the ids, and the customer/limits rows the two calls share.
      return comparable({ ...print, customers: undefined, limits: undefined, call: { ...print.call, call_id: undefined } ,
        recording: { ...print.recording, call_id: undefined, recording_url: undefined },
        usage: print.usage.map((u: any) => ({ ...u, call_id: undefined })),
        lead: { ...print.lead, call_id: undefined },
        outbox: print.outbox.map((q: any) => ({ ...q, dedupe_key: q.dedupe_key.split(":")[0],
          payload: { ...q.payload, call_id: undefined, recording_url: undefined, lead_id: undefined } })) });
    };
    expect(await state(shuffled.callId)).toEqual(await state(natural.callId));
    expect((await storedCall(shuffled.callId))?.status).toBe("ended");
    const [customer] = await sql`select total_calls from public.customers where user_id = ${business.user.id} and phone = ${caller}`;
    expect(customer.total_calls).toBe(2);
  });

  it("a late call_started never moves an ended call back to ongoing", async () => {
    const business = await newBusiness();
    const call = { callId: uniqueCallId(), to: business.number, from: uniquePhone() };
    await deliver("ended", call);
    const ended = await storedCall(call.callId);
    await deliver("started", call);
    expect(await storedCall(call.callId)).toEqual(ended);
  });

  it("call_ended without call_started still records the call and its usage", async () => {
    const business = await newBusiness();
    const call = { callId: uniqueCallId(), to: business.number, from: uniquePhone(), minutes: 1 };
    await deliver("ended", call);
    expect(await storedCall(call.callId)).toMatchObject({ status: "ended", user_id: business.user.id, started_at: expect.any(Date) });
    const [usage] = await sql`select billable_minutes from public.usage_calls where call_id = ${call.callId}`;
    expect(usage.billable_minutes).toBe(1);
  });
});

describe("which calls are leads", () => {
  const analysisWith = (custom: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    call_summary: "Caller asked a question.", user_sentiment: "Neutral", call_successful: true, in_voicemail: false,
    custom_analysis_data: custom, ...extra,
  });

  it.each([
    ["is_lead true", analysisWith({ is_lead: true }), true],
    ["is_lead \"yes\"", analysisWith({ is_lead: "yes" }), true],
    ["a service named", analysisWith({ service_needed: "Water heater install" }), true],
    ["is_lead false, even with a service", analysisWith({ is_lead: false, service_needed: "Quote" }), false],
    ["nothing said", analysisWith({}), false],
    ["a voicemail", analysisWith({ is_lead: true }, { in_voicemail: true }), false],
  ])("%s", async (_name, analysis, isLead) => {
    const business = await newBusiness();
    const call = { callId: uniqueCallId(), to: business.number, from: uniquePhone(), analysis };
    const answer = await deliver("analyzed", call);
    expect(answer.lead_id !== null).toBe(isLead);
    const [counts] = await sql`
      select (select count(*) from public.leads where call_id = ${call.callId})::int as leads,
             (select count(*) from public.webhook_queue where dedupe_key = ${`lead_created:${call.callId}`})::int as outbox`;
    expect(counts).toEqual(isLead ? { leads: 1, outbox: 1 } : { leads: 0, outbox: 0 });
  });
});

describe("calls that were not served in full", () => {
  it("a refused call stays refused, is not billed, and still keeps the caller's message", async () => {
    const business = await newBusiness({ minutesAllowance: 100, minutesUsed: 100 });
    const caller = uniquePhone();
    const { callId } = await simulateCall({ to: business.number, from: caller, minutes: 2 });
    expect(await storedCall(callId)).toMatchObject({ status: "refused", refusal_reason: "over_cap", duration_ms: 120_000 });
    const [written] = await sql`
      select (select count(*) from public.usage_calls where call_id = ${callId})::int as usage,
             (select count(*) from public.call_recordings where call_id = ${callId})::int as recordings,
             (select count(*) from public.leads where call_id = ${callId})::int as leads,
             (select call_minutes_used from public.usage_limits where user_id = ${business.user.id}) as minutes_used`;
    expect(written).toEqual({ usage: 0, recordings: 1, leads: 1, minutes_used: 100 });
  });

  it("the refusal travels in the call's metadata when the inbound webhook had no call id", async () => {
    const business = await newBusiness({ subscriptionStatus: "canceled" });
    const call = { callId: uniqueCallId(), to: business.number, from: uniquePhone() };
    await deliver("ended", call, { metadata: { user_id: business.user.id, refusal_reason: "subscription_inactive" } });
    expect(await storedCall(call.callId)).toMatchObject({ status: "refused", refusal_reason: "subscription_inactive" });
  });

  it("an unanswered call (dial_no_answer) is not_connected and not billed", async () => {
    const business = await newBusiness();
    const call = { callId: uniqueCallId(), to: business.number, from: uniquePhone(), minutes: 0 };
    await deliver("ended", call, { call_status: "not_connected", disconnection_reason: "dial_no_answer" });
    expect(await storedCall(call.callId)).toMatchObject({ status: "not_connected", duration_ms: 0 });
    const [usage] = await sql`select count(*)::int as n from public.usage_calls where call_id = ${call.callId}`;
    expect(usage.n).toBe(0);
  });

  it("a bridged transfer marks the call transferred", async () => {
    const business = await newBusiness();
    const call = { callId: uniqueCallId(), to: business.number, from: uniquePhone() };
    await deliver("started", call);
    expect((await postAsRetell("retell-webhook", { event: "transfer_bridged", call: callObject(call, "started") })).status).toBe(200);
    expect(await storedCall(call.callId)).toMatchObject({ status: "ongoing", transferred: true });
  });

  it("a call to a number of no business is recorded without an owner, and nothing else", async () => {
    const call = { callId: uniqueCallId(), to: uniquePhone(), from: uniquePhone() };
    await deliver("analyzed", call);
    expect(await storedCall(call.callId)).toMatchObject({ user_id: null, status: "ended" });
    const [written] = await sql`
      select (select count(*) from public.call_recordings where call_id = ${call.callId})::int as recordings,
             (select count(*) from public.leads where call_id = ${call.callId})::int as leads`;
    expect(written).toEqual({ recordings: 0, leads: 0 });
  });
});

describe("events we do not act on", () => {
  it("are acknowledged and change nothing", async () => {
    const callId = uniqueCallId();
    const answer = await postAsRetell("retell-webhook", { event: "transcript_updated", call: { call_id: callId } });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ received: true, ignored: true });
    expect(await storedCall(callId)).toBeUndefined();
  });

  it("a call event without a call id is answered 200 and rejected naming the problem, so Retell does not retry it", async () => {
    const answer = await postAsRetell("retell-webhook", { event: "call_ended", call: {} });
    expect(answer.status).toBe(200);
    expect(answer.body.rejected).toMatchObject({ code: "invalid_payload", message: expect.stringMatching(/call_id/) });
  });
});
