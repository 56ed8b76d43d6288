// Fair billing through the public interfaces: signed Retell requests through the gateway, the
// owner's supabase-js under RLS. Blocked and empty calls leave the minutes unchanged, a spam credit
// gives its minutes back once however often it is marked, repeated short calls make a suspected
// robocaller, each usage warning reaches the owner once per threshold and period, and a caller the
// business could not fully serve is texted back once a day, unless they opted out. After each,
// reconciliation (rolled back, so the shared database keeps its counters) finds nothing to correct.
import { describe, expect, it } from "vitest";
import { fakeUrl } from "../../stack/config.ts";
import { postAsRetell, simulateCall } from "../../scripts/lib/call-simulator.ts";
import { areaCodeInDaytime } from "../../scripts/lib/callers-by-local-time.ts";
import { functionEnv } from "../../stack/functions.ts";
import { sql } from "../helpers/stack.ts";
import { newBusiness, storedCall, uniquePhone } from "../calls/fixtures.ts";
import { customerTexts, sentTo } from "../sms/twilio.ts";

const limitsOf = async (userId: string) =>
  (await sql`select call_minutes_used, calls_count, topup_call_minutes, sms_used from public.usage_limits where user_id = ${userId}`)[0];

const rolledBack = new Error("roll back the reconciliation run");

/** What a reconciliation run would correct for this business (the run itself is rolled back). */
async function reconciliationCorrects(userId: string): Promise<unknown[]> {
  for (let attempt = 0; attempt < 20; attempt++) {
    let run: Record<string, any> | undefined;
    await sql.begin(async (tx) => {
      [run] = await tx`select status, changes from private.reconcile_usage('test')`;
      throw rolledBack;
    }).catch((error) => {
      if (error !== rolledBack) throw error;
    });
    // Another suite may be inside a run; then this one was skipped: try again.
    if (run!.status === "completed") return run!.changes.filter((change: any) => change.user_id === userId);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error("every reconciliation run was skipped");
}

const callInbound = (to: string, from: string) =>
  postAsRetell("retell-inbound", { event: "call_inbound", call_inbound: { from_number: from, to_number: to } });

const emailsTo = async (address: string): Promise<{ subject: string; text: string; idempotency_key?: string }[]> => {
  const sent: any[] = await (await fetch(`${fakeUrl("resend")}/__control/emails`)).json();
  return sent.filter((email) => email.to.includes(address) && email.idempotency_key?.startsWith("usage-warning:"));
};


describe("blocked callers", () => {
  it("a caller the owner blocked is answered blocked, recorded as refused and never billed", async () => {
    const business = await newBusiness({ minutesAllowance: 100 });
    const caller = uniquePhone();
    const { error } = await business.user.client.from("caller_blocks").insert({ phone: caller, note: "robocaller" });
    expect(error).toBeNull();

    const answer = (await callInbound(business.number, caller)).body.call_inbound;
    expect(answer.dynamic_variables).toMatchObject({ call_disposition: "blocked", calendar_enabled: "false", transfer_number: "" });
    expect(answer.metadata).toEqual({ user_id: business.user.id, refusal_reason: "blocked" });

    const { callId } = await simulateCall({ to: business.number, from: caller, minutes: 0.05, silent: true });
    expect(await storedCall(callId)).toMatchObject({ status: "refused", refusal_reason: "blocked" });
    expect(await sql`select 1 from public.usage_calls where call_id = ${callId}`).toHaveLength(0);
    expect(await limitsOf(business.user.id)).toMatchObject({ call_minutes_used: 0, calls_count: 0 });
    expect(await reconciliationCorrects(business.user.id)).toEqual([]);
  });

  it("the operators' global list blocks a caller for every business; other callers are served", async () => {
    const business = await newBusiness();
    const caller = uniquePhone();
    await sql`insert into public.caller_blocks (user_id, phone, note) values (null, ${caller}, 'known robocaller')`;
    expect((await callInbound(business.number, caller)).body.call_inbound.dynamic_variables.call_disposition).toBe("blocked");
    const other = (await callInbound(business.number, uniquePhone())).body.call_inbound;
    expect(other.dynamic_variables.call_disposition).toBe("");
    expect(other.metadata).toEqual({ user_id: business.user.id });
    // Owners do not read the operators' list, nor block for another business.
    const { data } = await business.user.client.from("caller_blocks").select("phone").eq("phone", caller);
    expect(data).toEqual([]);
    const stranger = await newBusiness();
    const { error } = await business.user.client.from("caller_blocks").insert({ user_id: stranger.user.id, phone: uniquePhone() });
    expect(error?.code).toBe("42501");
  });
});

describe("empty calls", () => {
  it("a short call without caller speech is recorded with its reason and 0 minutes", async () => {
    const business = await newBusiness({ minutesAllowance: 100 });
    const { callId } = await simulateCall({ to: business.number, from: uniquePhone(), minutes: 0.1, silent: true });
    const { data } = await business.user.client.from("usage_calls").select("billable_minutes, unbilled_reason").eq("call_id", callId);
    expect(data).toEqual([{ billable_minutes: 0, unbilled_reason: "empty_call" }]);
    expect(await limitsOf(business.user.id)).toMatchObject({ call_minutes_used: 0, calls_count: 1 });
    expect(await reconciliationCorrects(business.user.id)).toEqual([]);
  });

  it("a silent call longer than the threshold, or a short one the caller spoke in, is billed", async () => {
    const business = await newBusiness({ minutesAllowance: 100 });
    const long = await simulateCall({ to: business.number, from: uniquePhone(), minutes: 0.5, silent: true });
    const spoken = await simulateCall({ to: business.number, from: uniquePhone(), minutes: 0.1 });
    const rows = await sql`select call_id, billable_minutes, unbilled_reason from public.usage_calls
                           where call_id in (${long.callId}, ${spoken.callId}) order by call_id`;
    expect(rows.map((row) => [row.billable_minutes, row.unbilled_reason])).toEqual([[1, null], [1, null]]);
    expect(await limitsOf(business.user.id)).toMatchObject({ call_minutes_used: 2, calls_count: 2 });
  });
});

describe("suspected robocallers", () => {
  it("repeated short calls from one number mark it; the owner confirms by blocking it", async () => {
    const business = await newBusiness();
    const caller = uniquePhone();
    for (let i = 0; i < 3; i++) await simulateCall({ to: business.number, from: caller, minutes: 0.1, silent: true });
    const { data } = await business.user.client.from("suspected_robocallers").select("phone, short_calls");
    expect(data).toEqual([{ phone: caller, short_calls: 3 }]);

    await business.user.client.from("caller_blocks").insert({ phone: caller });
    expect((await callInbound(business.number, caller)).body.call_inbound.metadata.refusal_reason).toBe("blocked");
  });
});

describe("spam credits", () => {
  it("marked twice at once, a call gives back exactly its minutes once, audited", async () => {
    const business = await newBusiness({ minutesAllowance: 100 });
    await simulateCall({ to: business.number, from: uniquePhone(), minutes: 2 });
    const { callId } = await simulateCall({ to: business.number, from: uniquePhone(), minutes: 3 });
    expect(await limitsOf(business.user.id)).toMatchObject({ call_minutes_used: 5, calls_count: 2 });

    const client = business.user.client;
    const answers = await Promise.all([client.rpc("mark_call_spam", { call_id: callId }), client.rpc("mark_call_spam", { call_id: callId })]);
    expect(answers.map((answer) => answer.error)).toEqual([null, null]);
    expect(answers.map((answer) => answer.data.credited_minutes).sort()).toEqual([0, 3]);
    expect(await limitsOf(business.user.id)).toMatchObject({ call_minutes_used: 2, calls_count: 2 });

    const { data } = await client.from("usage_calls").select("billable_minutes, credited_minutes, unbilled_reason").eq("call_id", callId);
    expect(data).toEqual([{ billable_minutes: 0, credited_minutes: 3, unbilled_reason: "spam" }]);
    const audits = await sql`select details from public.audit_logs where action = 'usage_calls.mark_spam' and details ->> 'call_id' = ${callId}`;
    expect(audits.map((audit) => audit.details.credited_minutes)).toEqual([3]);
    expect(await reconciliationCorrects(business.user.id)).toEqual([]);
  });

  it("top-up minutes go back to the credits; past the window or another business's call is refused", async () => {
    const business = await newBusiness({ minutesAllowance: 1, minutesUsed: 1, topupMinutes: 10 });
    const { callId } = await simulateCall({ to: business.number, from: uniquePhone(), minutes: 2 });
    expect(await limitsOf(business.user.id)).toMatchObject({ call_minutes_used: 1, topup_call_minutes: 8 });
    expect((await business.user.client.rpc("mark_call_spam", { call_id: callId })).data.credited_minutes).toBe(2);
    expect(await limitsOf(business.user.id)).toMatchObject({ call_minutes_used: 1, topup_call_minutes: 10 });

    const old = await simulateCall({ to: business.number, from: uniquePhone(), minutes: 1 });
    await sql`update public.usage_calls set occurred_at = now() - interval '8 days' where call_id = ${old.callId}`;
    expect((await business.user.client.rpc("mark_call_spam", { call_id: old.callId })).error?.code).toBe("PT409");

    const stranger = await newBusiness();
    const { error } = await stranger.user.client.rpc("mark_call_spam", { call_id: callId });
    expect(error?.code).toBe("PT404");
  });

  it("an unusual share of credited calls raises one operator alert", async () => {
    const business = await newBusiness({ minutesAllowance: 100 });
    const calls = [];
    for (let i = 0; i < 4; i++) calls.push((await simulateCall({ to: business.number, from: uniquePhone(), minutes: 1 })).callId);
    for (const callId of calls) await business.user.client.rpc("mark_call_spam", { call_id: callId });
    const alerts = await sql`select details from public.ops_alerts where kind = 'unusual_spam_credits' and user_id = ${business.user.id}`;
    expect(alerts.map((alert) => alert.details.credited_calls)).toEqual([4]);
  });
});

describe("usage warnings", () => {
  it("80% and 100% of the call minutes each email the owner once per period, and text them where they opted in", async () => {
    const business = await newBusiness({ minutesAllowance: 10 });
    const ownerPhone = uniquePhone();
    await sql`update public.profiles set notify_sms = true, business_phone = ${ownerPhone} where id = ${business.user.id}`;

    const { steps } = await simulateCall({ to: business.number, from: uniquePhone(), minutes: 7.5 });
    await expect.poll(() => emailsTo(business.user.email)).toHaveLength(1);
    // Retell delivering the call's events again, and a call that stays below the next threshold, warn no more.
    for (const step of steps.filter((s) => s.path === "retell-webhook")) await postAsRetell(step.path, step.request);
    await simulateCall({ to: business.number, from: uniquePhone(), minutes: 1 });
    await simulateCall({ to: business.number, from: uniquePhone(), minutes: 2 });
    await expect.poll(() => emailsTo(business.user.email)).toHaveLength(2);
    await simulateCall({ to: business.number, from: uniquePhone(), minutes: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const emails = await emailsTo(business.user.email);
    expect(emails.map((email) => email.subject)).toEqual([
      `${business.businessName}: 80% of your plan's call minutes are used`,
      `${business.businessName}: all call minutes of your plan are used`,
    ]);
    expect(emails[1].text).toMatch(/only takes callers' details/);
    await expect.poll(async () => (await sentTo(ownerPhone)).length).toBe(2);
    const texts = await sentTo(ownerPhone);
    expect(texts.every((text) => text.from === functionEnv().MASTER_SMS_NUMBER)).toBe(true);

    const { data } = await business.user.client.from("usage_warnings").select("kind, percent").order("percent");
    expect(data).toEqual([{ kind: "call", percent: 80 }, { kind: "call", percent: 100 }]);
  });

  it("a jump past both thresholds sends only the 100% notice; SMS count too; email off sends none", async () => {
    const business = await newBusiness({ minutesAllowance: 2 });
    await simulateCall({ to: business.number, from: uniquePhone(), minutes: 3 });
    await expect.poll(() => emailsTo(business.user.email)).toHaveLength(1);
    expect((await emailsTo(business.user.email))[0].subject).toMatch(/all call minutes/);

    await sql`update public.profiles set notify_email = false where id = ${business.user.id}`;
    await sql`update public.usage_limits set sms_allowance = 5 where user_id = ${business.user.id}`;
    await sql`insert into public.usage_sms (user_id, message_id, direction, segments)
              values (${business.user.id}, ${`fair_sms_${business.user.id}`}, 'outbound', 4)`;
    const { data } = await business.user.client.from("usage_warnings").select("kind, percent").order("kind").order("percent");
    expect(data).toEqual([{ kind: "call", percent: 80 }, { kind: "call", percent: 100 }, { kind: "sms", percent: 80 }]);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await emailsTo(business.user.email)).toHaveLength(1);
  });
});

/** A new number whose area code's zone is now mid-day (the text-back keeps the quiet hours). */
const daytimeCaller = async () => `+1${await areaCodeInDaytime(sql)}${uniquePhone().slice(5)}`;

describe("missed-call text-back", () => {
  const textBackOf = async (callId: string) => (await sql`select * from public.call_text_backs where call_id = ${callId}`)[0];
  const UNSUCCESSFUL = { call_summary: "The caller hung up before booking.", user_sentiment: "Neutral", call_successful: false, in_voicemail: false, custom_analysis_data: {} };

  it("a caller the business could only take a message from gets one text a day from its number, in the conversation", async () => {
    const business = await newBusiness({ minutesAllowance: 10, minutesUsed: 10 });
    const caller = await daytimeCaller();
    const first = await simulateCall({ to: business.number, from: caller, minutes: 1 });
    await expect.poll(async () => (await sentTo(caller)).length).toBe(1);
    const [text] = await sentTo(caller);
    expect(text.from).toBe(business.number);
    expect(text.body).toMatch(new RegExp(`^${business.businessName} here: we got your call`));
    expect(await textBackOf(first.callId)).toMatchObject({ reason: "message_only", skip_reason: null });

    // Retell delivering the events again, and the same caller calling again today, text no more.
    for (const step of first.steps.filter((s) => s.path === "retell-webhook")) await postAsRetell(step.path, step.request);
    const second = await simulateCall({ to: business.number, from: caller, minutes: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await sentTo(caller)).toHaveLength(1);
    expect(await textBackOf(second.callId)).toBeUndefined();

    const { data } = await business.user.client.from("sms_messages").select("direction, body, status, to_number").eq("to_number", caller);
    expect(data).toEqual([{ direction: "outbound", body: text.body, status: "sent", to_number: caller }]);
  });

  it("an unsuccessful call without a booking is texted the owner's own words; a caller who texted STOP is not", async () => {
    const business = await newBusiness();
    await business.user.client.from("profiles").update({ text_back_message: "Sorry we missed you! Book at example.com/book" }).eq("id", business.user.id);
    const caller = await daytimeCaller();
    const call = await simulateCall({ to: business.number, from: caller, minutes: 1, analysis: UNSUCCESSFUL });
    await expect.poll(async () => (await sentTo(caller)).map((t) => t.body)).toEqual(["Sorry we missed you! Book at example.com/book"]);
    expect(await textBackOf(call.callId)).toMatchObject({ reason: "unsuccessful" });

    const stopped = await daytimeCaller();
    const stop = await customerTexts(business, stopped, "STOP");
    expect(stop.status).toBe(200);
    const refused = await simulateCall({ to: business.number, from: stopped, minutes: 1, analysis: UNSUCCESSFUL });
    await expect.poll(async () => (await textBackOf(refused.callId))?.skip_reason).toBe("recipient_opted_out");
    expect(await sentTo(stopped)).toHaveLength(0);
  });

  it("a caller in their night is not texted, then or later: the refusal is kept on the text-back and in the conversation", async () => {
    const business = await newBusiness();
    // A number no area code places is in the business's zone: one where it is now deep night.
    const [night] = await sql`select name from pg_timezone_names
                              where name like '%/%' and extract(hour from now() at time zone name) between 0 and 4 limit 1`;
    await sql`update public.profiles set time_zone = ${night.name} where id = ${business.user.id}`;
    const caller = `+4420${uniquePhone().slice(-8)}`;
    const call = await simulateCall({ to: business.number, from: caller, minutes: 1, analysis: UNSUCCESSFUL });
    await expect.poll(async () => (await textBackOf(call.callId))?.skip_reason).toBe("quiet_hours");
    const { data } = await business.user.client.from("sms_messages").select("status, error_code").eq("to_number", caller);
    expect(data).toEqual([{ status: "refused", error_code: "quiet_hours" }]);
    await sql`select private.run_cron_job('kick-queued-sms')`;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await sentTo(caller)).toHaveLength(0);
  });

  it("a served call, a blocked or empty one, or a business that turned it off texts nobody", async () => {
    const business = await newBusiness();
    const served = await simulateCall({ to: business.number, from: uniquePhone(), minutes: 1 });
    const empty = await simulateCall({ to: business.number, from: uniquePhone(), minutes: 0.1, silent: true, analysis: UNSUCCESSFUL });
    const blockedCaller = uniquePhone();
    await business.user.client.from("caller_blocks").insert({ phone: blockedCaller });
    const blocked = await simulateCall({ to: business.number, from: blockedCaller, minutes: 0.5, silent: true, analysis: UNSUCCESSFUL });
    await business.user.client.from("profiles").update({ text_back_enabled: false }).eq("id", business.user.id);
    const off = await simulateCall({ to: business.number, from: uniquePhone(), minutes: 1, analysis: UNSUCCESSFUL });
    for (const call of [served, empty, blocked, off]) expect(await textBackOf(call.callId)).toBeUndefined();
  });
});
