// Usage through the whole path: simulated calls record billable minutes (the ceiling of each
// call's length) in usage_calls, the billing trigger moves the period counters, and once the
// allowance is used the inbound webhook refuses the next call.
import { describe, expect, it } from "vitest";
import { postAsRetell, simulateCall } from "../../scripts/lib/call-simulator.ts";
import { sql } from "../helpers/stack.ts";
import { newBusiness, uniquePhone } from "./fixtures.ts";

const limitsOf = async (userId: string) =>
  (await sql`select call_minutes_used, topup_call_minutes, calls_count, cap_reached_at is not null as cap_reached
             from public.usage_limits where user_id = ${userId}`)[0];

describe("usage counters after a sequence of calls", () => {
  it("count billable minutes per call, then refuse the call after the allowance", async () => {
    const business = await newBusiness({ minutesAllowance: 10 });
    for (const minutes of [3, 1.5, 0.25]) {
      await simulateCall({ to: business.number, from: uniquePhone(), minutes });
    }
    expect(await limitsOf(business.user.id)).toEqual({ call_minutes_used: 6, topup_call_minutes: 0, calls_count: 3, cap_reached: false });
    const [ledger] = await sql`select sum(billable_minutes)::int as minutes, count(*)::int as calls
                               from public.usage_calls where user_id = ${business.user.id}`;
    expect(ledger).toEqual({ minutes: 6, calls: 3 });

    // 4.2 minutes bill 5: past the 10-minute allowance.
    const { callId } = await simulateCall({ to: business.number, from: uniquePhone(), minutes: 4.2 });
    const [lastCall] = await sql`select billable_minutes from public.usage_calls where call_id = ${callId}`;
    expect(lastCall.billable_minutes).toBe(5);
    expect(await limitsOf(business.user.id)).toMatchObject({ call_minutes_used: 11, calls_count: 4, cap_reached: true });

    const refused = await postAsRetell("retell-inbound", {
      event: "call_inbound", call_inbound: { from_number: uniquePhone(), to_number: business.number },
    });
    expect(refused.body.call_inbound.metadata.refusal_reason).toBe("over_cap");
  });

  it("top-up minutes are drawn once the plan allowance is used", async () => {
    const business = await newBusiness({ minutesAllowance: 2, minutesUsed: 1, topupMinutes: 10 });
    await simulateCall({ to: business.number, from: uniquePhone(), minutes: 3 });
    expect(await limitsOf(business.user.id)).toMatchObject({ call_minutes_used: 2, topup_call_minutes: 8, calls_count: 1 });
  });

  it("a redelivered call_ended charges nothing more", async () => {
    const business = await newBusiness({ minutesAllowance: 100 });
    const caller = uniquePhone();
    const { steps } = await simulateCall({ to: business.number, from: caller, minutes: 2 });
    const before = await limitsOf(business.user.id);
    const ended = steps.find((step) => step.step === "call_ended");
    expect(ended?.status).toBe(200);
    const callId = ended?.body.call_id;
    const [call] = await sql`select started_at, ended_at from public.calls where call_id = ${callId}`;
    await postAsRetell("retell-webhook", {
      event: "call_ended",
      call: {
        call_id: callId, direction: "inbound", from_number: caller, to_number: business.number, call_status: "ended",
        start_timestamp: call.started_at.getTime(), end_timestamp: call.ended_at.getTime(), duration_ms: 120_000,
      },
    });
    expect(await limitsOf(business.user.id)).toEqual(before);
  });
});
