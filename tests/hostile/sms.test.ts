// The SMS webhooks and the owner's send, tried as a hostile sender would: Twilio forms generated from
// one fixed seed (a genuine inbound SMS or status callback with one field hostile or missing, and
// bodies that are not a form at all), each sent correctly signed and badly signed; and generated
// send-sms bodies with a genuine token. A correctly signed form is answered 2xx (TwiML, 204, or a
// rejection recorded for an operator), never a 5xx, within Twilio's 15 s; a badly signed one is
// refused and writes no row.
import fc from "fast-check";
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { buildInboundSms, signTwilioRequest } from "../../fakes/twilio.ts";
import { functionEnv } from "../../stack/functions.ts";
import { newBusiness, uniquePhone, type Business } from "../calls/fixtures.ts";
import { API_URL, callFunction, FUNCTIONS_URL } from "../helpers/stack.ts";
import { broken, countingWrites, expectRejected, generated, nastyString, reportAfterAll, rowsIn, sendAll, tally } from "./hostile.ts";

reportAfterAll("sms");

const env = functionEnv();
const INBOUND_URL = `${FUNCTIONS_URL}/sms-inbound`;
const STATUS_URL = `${FUNCTIONS_URL}/sms-status`;
/** Twilio waits 15 s for the whole answer (contracts.md §4). */
const TWILIO_TIMEOUT_MS = 15_000;

/** What the function will read: the bytes fetch sends (lone surrogates become U+FFFD) parsed as a form. */
function formOf(raw: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(new TextDecoder().decode(new TextEncoder().encode(raw)))) params[name] = value;
  return params;
}

async function post(url: string, raw: string, signature: string | null) {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (signature !== null) headers["x-twilio-signature"] = signature;
  const response = await fetch(url, { method: "POST", headers, body: raw });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // TwiML
  }
  return { status: response.status, body };
}

const signedPost = (url: string, raw: string) => post(url, raw, signTwilioRequest(env.TWILIO_AUTH_TOKEN, url, formOf(raw)));

/** Missing, empty, wrong-token, other-URL, other-body and truncated signatures, in turn. */
function badSignature(url: string, raw: string, index: number): string | null {
  const params = formOf(raw);
  const forms = [
    () => null,
    () => "",
    () => signTwilioRequest("not-the-auth-token", url, params),
    () => signTwilioRequest(env.TWILIO_AUTH_TOKEN, url.replace(API_URL, "http://127.0.0.1:54332"), params),
    () => signTwilioRequest(env.TWILIO_AUTH_TOKEN, url, { ...params, Extra: "1" }),
    () => signTwilioRequest(env.TWILIO_AUTH_TOKEN, url, params).slice(0, -2),
  ];
  return forms[index % forms.length]();
}

/** Bodies that are not a Twilio form at all. */
const strange = fc.oneof(fc.constantFrom("", "=", "&&&", "%", "%zz=1", "Body=%00", "a=1&a=2"), fc.string({ unit: "binary", maxLength: 64 }));

/** A genuine form with one field hostile, removed, or a hostile extra field. */
function mutationsOfForm(genuine: () => Record<string, string>, fields: string[]) {
  return fc.oneof(
    fc.tuple(fc.constantFrom(...fields), nastyString).map(([field, value]) => ({ ...genuine(), [field]: value })),
    fc.constantFrom(...fields).map((field) => {
      const form = genuine();
      delete form[field];
      return form;
    }),
    fc.tuple(nastyString, nastyString).map(([field, value]) => ({ ...genuine(), [field]: value })),
  ).map((form) => new URLSearchParams(form).toString());
}

describe("sms-inbound", () => {
  let business: Business;
  beforeAll(async () => {
    business = await newBusiness();
  });

  const genuine = () => buildInboundSms({ AccountSid: env.TWILIO_ACCOUNT_SID, From: uniquePhone(), To: business.number, Body: "Hello" });
  const mutated = () => mutationsOfForm(genuine, ["MessageSid", "AccountSid", "From", "To", "Body", "NumMedia", "NumSegments", "SmsStatus"]);

  it("rejects a NUL in the text, an unknown To number and another account's form for an operator, instead of a 5xx", async () => {
    for (const form of [
      { ...genuine(), Body: "before\u0000after" },
      { ...genuine(), To: uniquePhone() },
      { ...genuine(), AccountSid: `AC${"1".repeat(32)}` },
    ]) {
      const raw = new URLSearchParams(form).toString();
      await expectRejected(await signedPost(INBOUND_URL, raw), "twilio", raw);
    }
  });

  it("answers every correctly signed generated form 200, stored or rejected for an operator, within Twilio's timeout", async () => {
    const inputs = [...generated(mutated(), 120, 301), ...generated(strange, 30, 302)];
    const { result: sent, written } = await countingWrites(() => sendAll(inputs, (raw) => signedPost(INBOUND_URL, raw)));
    tally("sms-inbound", "correctly signed", sent, rowsIn(written));
    expect(broken(sent, { allowed: (s) => s === 200, budgetMs: TWILIO_TIMEOUT_MS })).toEqual([]);
  });

  it("refuses every badly signed form with 401 and writes no row anywhere", async () => {
    const inputs = [...generated(mutated(), 60, 303), new URLSearchParams(genuine()).toString()];
    const { result: sent, written } = await countingWrites(() => sendAll(inputs, (raw, i) => post(INBOUND_URL, raw, badSignature(INBOUND_URL, raw, i))));
    tally("sms-inbound", "badly signed", sent, rowsIn(written));
    expect(broken(sent, { allowed: (s) => s === 401, budgetMs: TWILIO_TIMEOUT_MS })).toEqual([]);
    expect(written).toEqual({});
  });
});

describe("sms-status", () => {
  const genuine = (): Record<string, string> => {
    const sid = `SM${randomUUID().replaceAll("-", "")}`;
    return { AccountSid: env.TWILIO_ACCOUNT_SID, MessageSid: sid, SmsSid: sid, MessageStatus: "delivered", SmsStatus: "delivered", ApiVersion: "2010-04-01", ErrorCode: "30003" };
  };
  const mutated = () => mutationsOfForm(genuine, ["MessageSid", "AccountSid", "MessageStatus", "ErrorCode"]);

  it("answers every correctly signed generated callback 2xx, applied, ignored or rejected for an operator, within Twilio's timeout", async () => {
    const inputs = [...generated(mutated(), 80, 305), ...generated(strange, 20, 306)];
    const { result: sent, written } = await countingWrites(() => sendAll(inputs, (raw) => signedPost(STATUS_URL, raw)));
    tally("sms-status", "correctly signed", sent, rowsIn(written));
    expect(broken(sent, { allowed: (s) => s === 200 || s === 204, budgetMs: TWILIO_TIMEOUT_MS })).toEqual([]);
  });

  it("refuses every badly signed callback with 401 and writes no row anywhere", async () => {
    const inputs = [...generated(mutated(), 40, 307), new URLSearchParams(genuine()).toString()];
    const { result: sent, written } = await countingWrites(() => sendAll(inputs, (raw, i) => post(STATUS_URL, raw, badSignature(STATUS_URL, raw, i))));
    tally("sms-status", "badly signed", sent, rowsIn(written));
    expect(broken(sent, { allowed: (s) => s === 401, budgetMs: TWILIO_TIMEOUT_MS })).toEqual([]);
    expect(written).toEqual({});
  });
});

describe("send-sms", () => {
  it("answers generated bodies and keys with a 4xx error or a send, never a 5xx", async () => {
    const business = await newBusiness();
    const body = fc.oneof(
      fc.record({ to: fc.oneof(nastyString, fc.constant(uniquePhone())), body: nastyString }),
      fc.dictionary(nastyString, nastyString, { maxKeys: 3 }),
      nastyString,
    );
    const inputs = generated(fc.tuple(body, fc.oneof(nastyString, fc.constant(randomUUID()))), 80, 304);
    const sent = await sendAll(inputs, ([b, key]) =>
      callFunction("send-sms", {
        token: business.user.accessToken,
        rawBody: typeof b === "string" ? b : JSON.stringify(b),
        // A header value cannot hold every character; fetch refuses those before sending.
        headers: /^[\x20-\x7e]*$/.test(key) ? { "idempotency-key": key } : {},
      })
    );
    tally("send-sms", "genuine token", sent);
    expect(broken(sent, { allowed: (s, b) => (s >= 400 && s < 500 && typeof b?.error?.code === "string") || s === 201, budgetMs: 10_000 })).toEqual([]);
  });
});
