// SMS through the whole stack: a customer texts through the Twilio fake (signed as Twilio signs),
// sms-inbound stores it and applies the keywords, and the owner texts back through send-sms, which
// sends through the Twilio fake. Opt-out by keyword, by phrase and by Twilio's 21610; the sender is
// the business's own number; the allowance in segments, charged once per Idempotency-Key; bad
// signatures write nothing.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { validateRequest } from "twilio/lib/webhooks/webhooks.js";
import { signTwilioRequest } from "../../fakes/twilio.ts";
import { functionEnv } from "../../stack/functions.ts";
import { newBusiness, uniquePhone, type Business } from "../calls/fixtures.ts";
import { callFunction, FUNCTIONS_URL, newUser, sql } from "../helpers/stack.ts";
import { customerTexts, sentTo, SMS_INBOUND_URL, twilioControl } from "./twilio.ts";

const env = functionEnv();

function ownerSends(b: Business, to: string, body: string, key = randomUUID()) {
  return callFunction("send-sms", { token: b.user.accessToken, body: { to, body }, headers: { "idempotency-key": key } });
}

async function optedOut(b: Business, customer: string): Promise<boolean | undefined> {
  const [row] = await sql`select opted_out from public.sms_consents where business_number = ${b.number} and customer_phone = ${customer}`;
  return row?.opted_out;
}

describe("the Twilio signature", () => {
  it("is the one in Twilio's documentation, and the fake signs the same way", () => {
    // https://www.twilio.com/docs/usage/webhooks/webhooks-security (twilio-node's own test case)
    const url = "https://mycompany.com/myapp.php?foo=1&bar=2";
    const params = { CallSid: "CA1234567890ABCDE", Caller: "+12349013030", Digits: "1234", From: "+12349013030", To: "+18005551212" };
    expect(validateRequest("12345", "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", url, params)).toBe(true);
    expect(signTwilioRequest("12345", url, params)).toBe("0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
    expect(validateRequest("12345", "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", url, { ...params, Digits: "1235" })).toBe(false);
  });
});

describe("sms-inbound", () => {
  it("stores a customer's text once in its conversation and answers TwiML with no reply", async () => {
    const b = await newBusiness();
    const customer = uniquePhone();
    const delivery = await customerTexts(b, customer, "Is Tuesday free?");
    expect(delivery.status).toBe(200);
    expect(delivery.responseBody).toContain("<Response/>");
    const params = delivery.params;
    // Twilio redelivers the same form: nothing new.
    const again = await fetch(SMS_INBOUND_URL, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signTwilioRequest(env.TWILIO_AUTH_TOKEN, SMS_INBOUND_URL, params) },
      body: new URLSearchParams(params).toString(),
    });
    expect(again.status).toBe(200);
    const rows = await sql`select m.body, m.direction, v.customer_phone from public.sms_messages m
                           join public.sms_conversations v on v.id = m.conversation_id where m.user_id = ${b.user.id}`;
    expect(rows).toEqual([{ body: "Is Tuesday free?", direction: "inbound", customer_phone: customer }]);
    const [event] = await sql`select count(*)::int as n from public.webhook_queue where user_id = ${b.user.id} and event_type = 'sms_received'`;
    expect(event.n).toBe(1);
  });

  it("refuses a bad signature, or one made over the internal URL, and writes nothing", async () => {
    const b = await newBusiness();
    const params = { MessageSid: `SM${randomUUID().replaceAll("-", "")}`, AccountSid: env.TWILIO_ACCOUNT_SID, From: uniquePhone(), To: b.number, Body: "hi" };
    const internal = "http://127.0.0.1:54332/sms-inbound";
    for (const signature of [null, "nope", signTwilioRequest("wrong-token", SMS_INBOUND_URL, params), signTwilioRequest(env.TWILIO_AUTH_TOKEN, internal, params)]) {
      const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
      if (signature) headers["x-twilio-signature"] = signature;
      const response = await fetch(SMS_INBOUND_URL, { method: "POST", headers, body: new URLSearchParams(params).toString() });
      expect(response.status).toBe(401);
    }
    const [count] = await sql`select count(*)::int as n from public.sms_messages where user_id = ${b.user.id}`;
    expect(count.n).toBe(0);
  });

  it("answers HELP with the business's name and how to opt out", async () => {
    const b = await newBusiness({ businessName: "Helpful Heating" });
    const delivery = await customerTexts(b, uniquePhone(), "HELP");
    expect(delivery.responseBody).toMatch(/<Message>Helpful Heating: .*Reply STOP to opt out\.<\/Message>/);
  });
});

describe("send-sms", () => {
  it("a STOP stops the owner's texts until START; a phrase opts out too", async () => {
    const b = await newBusiness();
    const customer = uniquePhone();
    const stop = await customerTexts(b, customer, "STOP");
    expect(stop.responseBody).toContain("<Response/>");
    const refused = await ownerSends(b, customer, "We can come Tuesday");
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("recipient_opted_out");
    expect(await sentTo(customer)).toEqual([]);

    await customerTexts(b, customer, "START");
    const sent = await ownerSends(b, customer, "We can come Tuesday");
    expect(sent.status).toBe(201);
    expect((await sentTo(customer)).map((m) => [m.from, m.body])).toEqual([[b.number, "We can come Tuesday"]]);

    const phrase = await customerTexts(b, customer, "please stop texting me");
    expect(phrase.responseBody).toContain("Reply START");
    expect(await optedOut(b, customer)).toBe(true);
    expect((await ownerSends(b, customer, "Just checking in")).body.error.code).toBe("recipient_opted_out");
  });

  it("charges one send once in segments, however often its Idempotency-Key is retried at once", async () => {
    const b = await newBusiness();
    const customer = uniquePhone();
    await customerTexts(b, customer, "Can you text me the price?");
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 20 }, () => ownerSends(b, customer, "x".repeat(200), key)));
    expect(answers.map((a) => a.status).filter((s) => s !== 200 && s !== 201)).toEqual([]);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(await sentTo(customer)).toHaveLength(1);
    const [usage] = await sql`select count(*)::int as rows, sum(segments)::int as segments from public.usage_sms where user_id = ${b.user.id}`;
    expect(usage).toEqual({ rows: 1, segments: 2 });
    const [limits] = await sql`select sms_used from public.usage_limits where user_id = ${b.user.id}`;
    expect(limits.sms_used).toBe(2);
  });

  it("refuses at the cap and sends again after a top-up", async () => {
    const b = await newBusiness();
    const customer = uniquePhone();
    await customerTexts(b, customer, "Hello?");
    await sql`update public.usage_limits set sms_used = sms_allowance where user_id = ${b.user.id}`;
    const refused = await ownerSends(b, customer, "Hi");
    expect(refused.status).toBe(402);
    expect(refused.body.error.code).toBe("sms_cap_reached");
    await sql`update public.usage_limits set topup_sms = 10 where user_id = ${b.user.id}`;
    expect((await ownerSends(b, customer, "Hi")).status).toBe(201);
  });

  it("learns an opt-out from Twilio's 21610 and gives the charge back", async () => {
    const b = await newBusiness();
    const customer = uniquePhone();
    await customerTexts(b, customer, "Hello?");
    await twilioControl("/__control/opt-out", { to: customer, from: b.number });
    const refused = await ownerSends(b, customer, "Hi");
    expect(refused.body.error.code).toBe("recipient_opted_out");
    expect(await optedOut(b, customer)).toBe(true);
    const [usage] = await sql`select count(*)::int as n from public.usage_sms where user_id = ${b.user.id}`;
    expect(usage.n).toBe(0);
    const [message] = await sql`select status, error_code from public.sms_messages where user_id = ${b.user.id} and direction = 'outbound'`;
    expect(message).toEqual({ status: "failed", error_code: "21610" });
  });

  it("honours an owner's opt-out at once, and never lets an owner lift the customer's own", async () => {
    const b = await newBusiness();
    const customer = uniquePhone();
    await customerTexts(b, customer, "Are you open Saturday?");
    const optOut = await b.user.client.rpc("set_customer_sms_consent", { customer_phone: customer, opted_out: true });
    expect(optOut.error).toBeNull();
    expect((await ownerSends(b, customer, "Yes, 9 to 1")).body.error.code).toBe("recipient_opted_out");
    expect((await b.user.client.rpc("set_customer_sms_consent", { customer_phone: customer, opted_out: false })).error).toBeNull();
    expect((await ownerSends(b, customer, "Yes, 9 to 1")).status).toBe(201);

    await customerTexts(b, customer, "STOP");
    const override = await b.user.client.rpc("set_customer_sms_consent", { customer_phone: customer, opted_out: false });
    expect(override.error?.code).toBe("PT409");
    expect(await optedOut(b, customer)).toBe(true);
    const stranger = await b.user.client.rpc("set_customer_sms_consent", { customer_phone: uniquePhone(), opted_out: true });
    expect(stranger.error?.code).toBe("PT404");
    const [audited] = await sql`select count(*)::int as n from public.audit_logs where actor_user_id = ${b.user.id} and action like 'sms.customer_opted_%'`;
    expect(audited.n).toBe(2);
  });

  it("needs a number of the business's own and a valid recipient", async () => {
    const owner = await newUser("sms");
    const noNumber = await callFunction("send-sms", { token: owner.accessToken, body: { to: uniquePhone(), body: "Hi" }, headers: { "idempotency-key": "k" } });
    expect([noNumber.status, noNumber.body.error.code]).toEqual([409, "no_sms_sender"]);
    const b = await newBusiness();
    const bad = await ownerSends(b, "555-0100", "Hi");
    expect([bad.status, bad.body.error.code]).toEqual([400, "invalid_recipient"]);
    const noKey = await callFunction("send-sms", { token: b.user.accessToken, body: { to: uniquePhone(), body: "Hi" } });
    expect([noKey.status, noKey.body.error.code]).toEqual([400, "invalid_idempotency_key"]);
    const anonymous = await callFunction("send-sms", { body: { to: uniquePhone(), body: "Hi" }, headers: { "idempotency-key": "k" } });
    expect(anonymous.status).toBe(401);
  });
});

describe("reads", () => {
  it("an owner reads their own conversations, messages and consent, and no one else's", async () => {
    const b = await newBusiness();
    const other = await newBusiness();
    const customer = uniquePhone();
    await customerTexts(b, customer, "STOP");
    const mine = await b.user.client.from("sms_consents").select("customer_phone, opted_out");
    expect(mine.data).toEqual([{ customer_phone: customer, opted_out: true }]);
    const inbox = await b.user.client.from("sms_conversation_summaries").select("customer_phone, unread_count, opted_out, last_message_body");
    expect(inbox.data).toEqual([{ customer_phone: customer, unread_count: 1, opted_out: true, last_message_body: "STOP" }]);
    const theirs = await other.user.client.from("sms_messages").select("id");
    expect(theirs.data).toEqual([]);
  });
});

describe("sms-status", () => {
  const STATUS_URL = `${FUNCTIONS_URL}/sms-status`;
  const callback = (sid: string, status: string, errorCode?: string) => {
    const params: Record<string, string> = {
      AccountSid: env.TWILIO_ACCOUNT_SID, MessageSid: sid, SmsSid: sid, MessageStatus: status, SmsStatus: status, ApiVersion: "2010-04-01",
    };
    if (errorCode) params.ErrorCode = errorCode;
    return fetch(STATUS_URL, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signTwilioRequest(env.TWILIO_AUTH_TOKEN, STATUS_URL, params) },
      body: new URLSearchParams(params).toString(),
    });
  };
  const stored = async (id: string) => (await sql`select status, error_code from public.sms_messages where id = ${id}`)[0];

  it("moves a sent message forward only, in any order", async () => {
    const b = await newBusiness();
    const customer = uniquePhone();
    await customerTexts(b, customer, "Hello?");
    const sent = await ownerSends(b, customer, "Hi there");
    const { id, provider_message_id: sid } = sent.body.message;
    expect((await callback(sid, "delivered")).status).toBe(204);
    expect((await callback(sid, "sent")).status).toBe(204);
    expect(await stored(id)).toEqual({ status: "delivered", error_code: null });
  });

  it("gives the charge back once when the carrier could not deliver", async () => {
    const b = await newBusiness();
    const customer = uniquePhone();
    await customerTexts(b, customer, "Hello?");
    const sent = await ownerSends(b, customer, "Hi there");
    const { id, provider_message_id: sid } = sent.body.message;
    expect((await sql`select sms_used from public.usage_limits where user_id = ${b.user.id}`)[0].sms_used).toBe(1);
    await callback(sid, "undelivered", "30003");
    await callback(sid, "undelivered", "30003");
    await callback(sid, "delivered");
    expect(await stored(id)).toEqual({ status: "failed", error_code: "30003" });
    expect((await sql`select sms_used from public.usage_limits where user_id = ${b.user.id}`)[0].sms_used).toBe(0);
  });

  it("refuses a badly signed callback and changes nothing", async () => {
    const params = { AccountSid: env.TWILIO_ACCOUNT_SID, MessageSid: `SM${"a".repeat(32)}`, MessageStatus: "failed" };
    const response = await fetch(STATUS_URL, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signTwilioRequest("wrong", STATUS_URL, params) },
      body: new URLSearchParams(params).toString(),
    });
    expect(response.status).toBe(401);
  });
});
