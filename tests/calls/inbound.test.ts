// The inbound webhook while the caller hears ringing: the business's variables exactly as the
// agent's prompt expects them, the documented safe answer for unknown numbers, inactive
// subscriptions and businesses over their cap (always 200, refused calls recorded, operators told
// once), Model B's own agent, inbound SMS kept in their conversation, and a generic answer when the
// database does not answer in time.
import { describe, expect, it } from "vitest";
import { postAsRetell } from "../../scripts/lib/call-simulator.ts";
import { fakeUrl } from "../../stack/config.ts";
import { sql } from "../helpers/stack.ts";
import { newBusiness, storedCall, uniqueCallId, uniquePhone } from "./fixtures.ts";

const callInbound = (to: string, callId?: string, from = uniquePhone()) =>
  postAsRetell("retell-inbound", { event: "call_inbound", call_inbound: { from_number: from, to_number: to, call_id: callId } });

const MESSAGE_ONLY = { cal_com_link: "", calendar_enabled: "false", transfer_number: "" };

const emailsTo = async (address: string): Promise<{ subject: string; text: string }[]> => {
  const sent: { to: string[]; subject: string; text: string }[] = await (await fetch(`${fakeUrl("resend")}/__control/emails`)).json();
  // Not the welcome email every new owner gets: this suite looks at cap notices.
  return sent.filter((email: any) => email.to.includes(address) && !email.idempotency_key?.startsWith("welcome:"));
};

const openCapAlerts = async (userId: string) =>
  (await sql`select count(*)::int as n from public.ops_alerts
             where user_id = ${userId} and kind = 'usage_cap_reached' and resolved_at is null`)[0].n;

describe("a business that may take the call", () => {
  it("gets exactly the nine string variables its prompt reads", async () => {
    const business = await newBusiness({ calendar: { status: "connected", bookingUrl: "https://cal.com/test-cooling/visit" } });
    const answer = await callInbound(business.number, uniqueCallId());
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      call_inbound: {
        dynamic_variables: {
          business_name: business.businessName,
          cal_com_link: "https://cal.com/test-cooling/visit",
          calendar_enabled: "true",
          transfer_number: "+14155550999",
          agent_tone: "calm",
          schedule_summary: "Weekdays 7am to 7pm",
          standard_fee: "$89",
          emergency_fee: "$149.50",
          call_disposition: "",
        },
        metadata: { user_id: business.user.id },
      },
    });
  });

  it("finds the number however Retell formats it, and records nothing for an allowed call", async () => {
    const business = await newBusiness();
    const callId = uniqueCallId();
    const national = business.number.replace(/^\+1(\d{3})(\d{3})(\d{4})$/, "($1) $2-$3");
    const answer = await callInbound(national, callId);
    expect(answer.body.call_inbound.dynamic_variables.business_name).toBe(business.businessName);
    expect(await storedCall(callId)).toBeUndefined();
  });

  it("without a connected calendar, says so and gives no booking link", async () => {
    const business = await newBusiness({ calendar: { status: "needs_reauth", bookingUrl: "https://cal.com/x" } });
    const { dynamic_variables } = (await callInbound(business.number)).body.call_inbound;
    expect(dynamic_variables).toMatchObject({ calendar_enabled: "false", cal_com_link: "" });
  });

  it("Model B: the business's own agent and version answer", async () => {
    const business = await newBusiness({ dedicatedAgent: { id: "agent_dedicated_test", version: 4 } });
    const answer = (await callInbound(business.number)).body.call_inbound;
    expect(answer.override_agent_id).toBe("agent_dedicated_test");
    expect(answer.override_agent_version).toBe(4);
  });

  it("Model A: no override, the number's master agent answers", async () => {
    const business = await newBusiness();
    const answer = (await callInbound(business.number)).body.call_inbound;
    expect(answer).not.toHaveProperty("override_agent_id");
    expect(answer).not.toHaveProperty("override_agent_version");
  });
});

describe("refused calls get message-only service", () => {
  it("unknown number: 200, empty variables, the call recorded as refused, operators alerted", async () => {
    const number = uniquePhone();
    const callId = uniqueCallId();
    const answer = await callInbound(number, callId);
    expect(answer.status).toBe(200);
    expect(answer.body.call_inbound).toEqual({
      dynamic_variables: {
        business_name: "", cal_com_link: "", calendar_enabled: "false", transfer_number: "",
        agent_tone: "", schedule_summary: "", standard_fee: "", emergency_fee: "", call_disposition: "",
      },
      metadata: { user_id: null, refusal_reason: "unknown_number" },
    });
    expect(await storedCall(callId)).toMatchObject({ user_id: null, status: "refused", refusal_reason: "unknown_number", to_number: number });
    const [alert] = await sql`select kind from public.ops_alerts where dedupe_key = ${`unknown_inbound_number:${number}`}`;
    expect(alert.kind).toBe("unknown_inbound_number");
  });

  it("inactive subscription: the business's name and hours, no calendar or transfer", async () => {
    const business = await newBusiness({ subscriptionStatus: "canceled", calendar: { status: "connected", bookingUrl: "https://cal.com/x" } });
    const callId = uniqueCallId();
    const answer = (await callInbound(business.number, callId)).body.call_inbound;
    expect(answer.dynamic_variables).toMatchObject({ business_name: business.businessName, ...MESSAGE_ONLY });
    expect(answer.metadata).toEqual({ user_id: business.user.id, refusal_reason: "subscription_inactive" });
    expect(await storedCall(callId)).toMatchObject({ user_id: business.user.id, status: "refused", refusal_reason: "subscription_inactive" });
  });

  it("no subscription at all counts as inactive", async () => {
    const business = await newBusiness({ unsubscribed: true });
    const answer = (await callInbound(business.number)).body.call_inbound;
    expect(answer.metadata.refusal_reason).toBe("subscription_inactive");
  });

  it("over the cap: message-only, recorded, operators alerted once per period", async () => {
    const business = await newBusiness({ minutesAllowance: 200, minutesUsed: 200 });
    const first = uniqueCallId();
    const second = uniqueCallId();
    const answer = (await callInbound(business.number, first)).body.call_inbound;
    expect(answer.dynamic_variables).toMatchObject({ business_name: business.businessName, ...MESSAGE_ONLY });
    expect(answer.metadata.refusal_reason).toBe("over_cap");
    await callInbound(business.number, second);
    expect(await storedCall(first)).toMatchObject({ status: "refused", refusal_reason: "over_cap" });
    expect(await storedCall(second)).toMatchObject({ status: "refused", refusal_reason: "over_cap" });
    expect(await openCapAlerts(business.user.id)).toBe(1);
    // The owner's email about the cap is the 100% usage warning, sent when the counter reached it
    // (tests/billing/fair-billing.test.ts), not once more by a refused call.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await emailsTo(business.user.email)).toHaveLength(0);
  });

  it("top-up minutes keep a business past its plan allowance answering", async () => {
    const business = await newBusiness({ minutesAllowance: 200, minutesUsed: 200, topupMinutes: 30 });
    const answer = (await callInbound(business.number)).body.call_inbound;
    expect(answer.metadata).toEqual({ user_id: business.user.id });
    expect(await openCapAlerts(business.user.id)).toBe(0);
  });

  it("a retried inbound webhook records the refused call once", async () => {
    const business = await newBusiness({ subscriptionStatus: "unpaid" });
    const callId = uniqueCallId();
    await callInbound(business.number, callId);
    const before = await storedCall(callId);
    await callInbound(business.number, callId);
    expect(await storedCall(callId)).toEqual(before);
  });

  it("the seeded capped business is refused and the seeded HVAC business served", async () => {
    expect((await callInbound("+13125550005")).body.call_inbound.metadata.refusal_reason).toBe("over_cap");
    expect((await callInbound("+14155550003")).body.call_inbound.dynamic_variables.business_name).toBe("Hank's Heating & Air");
  });
});

describe("bad input", () => {
  it("a signed body that is not an inbound event gets 200 with the take-a-message variables, rejected naming the problem", async () => {
    const answer = await postAsRetell("retell-inbound", { event: "call_inbound", call_inbound: { from_number: "+14155551234" } });
    expect(answer.status).toBe(200);
    expect(answer.body.rejected.code).toBe("invalid_payload");
    expect(answer.body.rejected.message).toMatch(/to_number/);
    expect(answer.body.call_inbound.dynamic_variables).toMatchObject({ business_name: "", calendar_enabled: "false", transfer_number: "" });
  });
});

describe("the database does not answer in time", () => {
  it("answers 200 with the generic variables and logs the failure", async () => {
    // Holding the refused call's row in an open transaction blocks the lookup's insert past its
    // deadline, as a stalled database would.
    const number = uniquePhone();
    const callId = uniqueCallId();
    let answer: Awaited<ReturnType<typeof callInbound>> | undefined;
    await sql.begin(async (tx) => {
      await tx`insert into public.calls (call_id, status) values (${callId}, 'registered')`;
      const started = Date.now();
      answer = await callInbound(number, callId);
      expect(Date.now() - started).toBeLessThan(5000);
      throw new Error("rollback");
    }).catch((error) => {
      if (error.message !== "rollback") throw error;
    });
    expect(answer?.status).toBe(200);
    expect(answer?.body.call_inbound.dynamic_variables).toMatchObject({ business_name: "", calendar_enabled: "false" });
    expect(answer?.body.call_inbound.metadata).toEqual({ lookup: "unavailable" });
    await expect.poll(async () =>
      (await sql`select count(*)::int as n from public.error_logs where source = 'retell-inbound' and context ->> 'call_id' = ${callId}`)[0].n,
    ).toBe(1);
  });
});

describe("inbound SMS (chat_inbound)", () => {
  const chatInbound = (to: string, from: string, chatId: string, message?: string) =>
    postAsRetell("retell-inbound", { event: "chat_inbound", chat_inbound: { from_number: from, to_number: to, chat_id: chatId, message } });

  it("answers like a call and keeps the message in the customer's conversation, once", async () => {
    const business = await newBusiness();
    const customer = uniquePhone();
    const chatId = uniqueCallId("chat");
    const answer = await chatInbound(business.number, customer, chatId, "Can someone look at my furnace?");
    expect(answer.status).toBe(200);
    expect(answer.body.chat_inbound.dynamic_variables.business_name).toBe(business.businessName);
    await chatInbound(business.number, customer, chatId, "Can someone look at my furnace?");

    const messages = await sql`
      select m.body, m.direction, m.provider, m.from_number, m.to_number, v.customer_phone, v.business_number
      from public.sms_messages m join public.sms_conversations v on v.id = m.conversation_id
      where m.provider = 'retell' and m.provider_message_id = ${chatId}`;
    expect(messages).toEqual([{
      body: "Can someone look at my furnace?", direction: "inbound", provider: "retell",
      from_number: customer, to_number: business.number, customer_phone: customer, business_number: business.number,
    }]);
    const [outbox] = await sql`select count(*)::int as n from public.webhook_queue where dedupe_key = ${`sms_received:retell:${chatId}`}`;
    expect(outbox.n).toBe(1);
    const [usage] = await sql`select count(*)::int as n from public.usage_sms where user_id = ${business.user.id}`;
    expect(usage.n).toBe(0);
  });

  it("a second SMS from the same customer joins the same conversation", async () => {
    const business = await newBusiness();
    const customer = uniquePhone();
    await chatInbound(business.number, customer, uniqueCallId("chat"), "Hello?");
    await chatInbound(business.number, customer, uniqueCallId("chat"));
    const [thread] = await sql`
      select count(distinct v.id)::int as conversations, count(m.id)::int as messages
      from public.sms_conversations v join public.sms_messages m on m.conversation_id = v.id
      where v.user_id = ${business.user.id} and v.customer_phone = ${customer}`;
    expect(thread).toEqual({ conversations: 1, messages: 2 });
  });

  it("over its SMS allowance: message-only, the text still kept, the SMS cap alert raised", async () => {
    const business = await newBusiness();
    await sql`update public.usage_limits set sms_used = sms_allowance where user_id = ${business.user.id}`;
    const chatId = uniqueCallId("chat");
    const answer = await chatInbound(business.number, uniquePhone(), chatId, "Are you open Sunday?");
    expect(answer.body.chat_inbound.metadata.refusal_reason).toBe("over_cap");
    expect(answer.body.chat_inbound.dynamic_variables).toMatchObject(MESSAGE_ONLY);
    const [kept] = await sql`select count(*)::int as n from public.sms_messages where provider_message_id = ${chatId}`;
    expect(kept.n).toBe(1);
    const alerts = await sql`select kind from public.ops_alerts where user_id = ${business.user.id} and resolved_at is null`;
    expect(alerts.map((alert) => alert.kind)).toEqual(["sms_cap_reached"]);
  });

  it("an unknown number gets the generic answer and nothing is stored", async () => {
    const chatId = uniqueCallId("chat");
    const answer = await chatInbound(uniquePhone(), uniquePhone(), chatId, "hi");
    expect(answer.status).toBe(200);
    expect(answer.body.chat_inbound.metadata.refusal_reason).toBe("unknown_number");
    const [stored] = await sql`select count(*)::int as n from public.sms_messages where provider_message_id = ${chatId}`;
    expect(stored.n).toBe(0);
  });
});
