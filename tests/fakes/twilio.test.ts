import http from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildInboundSms, createTwilioFake, signTwilioRequest } from "../../fakes/twilio.ts";
import { listenOnFreePort } from "../../fakes/lib/common.ts";

const accountSid = "AC00000000000000000000000000000001";
const authToken = "twilio-auth-token";
const fake = createTwilioFake({ accountSid, authToken });
let base: string;

const BUSINESS = "+15550001111";
const CUSTOMER = "+15552223333";

// Our inbound-SMS webhook stand-in: checks the signature the way the app must, then replies with TwiML.
const inbound: { params: Record<string, string>; valid: boolean }[] = [];
const webhook = http.createServer(async (req, res) => {
  let raw = "";
  for await (const chunk of req) raw += chunk;
  const params = Object.fromEntries(new URLSearchParams(raw));
  const url = `http://${req.headers.host}${req.url}`;
  inbound.push({ params, valid: req.headers["x-twilio-signature"] === signTwilioRequest(authToken, url, params) });
  res.writeHead(200, { "content-type": "text/xml" }).end("<Response/>");
});
let webhookUrl: string;

async function send(params: Record<string, string>, auth = `${accountSid}:${authToken}`, sid = accountSid) {
  const res = await fetch(`${base}/2010-04-01/Accounts/${sid}/Messages.json`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(auth).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams(params),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function control(path: string, body: unknown = {}) {
  const res = await fetch(base + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return (await res.json()) as any;
}

beforeAll(async () => {
  base = await listenOnFreePort(fake.server);
  webhookUrl = `${await listenOnFreePort(webhook)}/functions/v1/sms-inbound?tenant=1`;
});
afterAll(() => {
  fake.server.close();
  webhook.close();
});
beforeEach(async () => {
  await control("/__control/reset");
  inbound.length = 0;
});

describe("Twilio fake: sending", () => {
  it("rejects wrong credentials and another account's path with 20003", async () => {
    const wrong = await send({ To: CUSTOMER, From: BUSINESS, Body: "hi" }, `${accountSid}:nope`);
    expect(wrong).toEqual({
      status: 401,
      body: { code: 20003, message: "Authenticate", more_info: "https://www.twilio.com/docs/errors/20003", status: 401 },
    });
    expect((await send({ To: CUSTOMER, From: BUSINESS, Body: "hi" }, undefined, "AC999")).status).toBe(401);
  });

  it("queues a message and returns the Message resource", async () => {
    const { status, body } = await send({ To: CUSTOMER, From: BUSINESS, Body: "Your technician is on the way" });
    expect(status).toBe(201);
    expect(body).toMatchObject({
      account_sid: accountSid,
      status: "queued",
      to: CUSTOMER,
      from: BUSINESS,
      body: "Your technician is on the way",
      direction: "outbound-api",
      num_segments: "1",
      api_version: "2010-04-01",
    });
    expect(body.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(body.date_created).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    expect(body.uri).toBe(`/2010-04-01/Accounts/${accountSid}/Messages/${body.sid}.json`);

    const viaService = await send({ To: CUSTOMER, MessagingServiceSid: "MG123", Body: "x".repeat(200) });
    expect(viaService.body).toMatchObject({ status: "accepted", from: null, messaging_service_sid: "MG123", num_segments: "2" });

    const sent = (await (await fetch(`${base}/__control/messages`)).json()) as any[];
    expect(sent.map((m) => m.sid)).toEqual([body.sid, viaService.body.sid]);
  });

  it("answers missing parameters with Twilio's error codes", async () => {
    expect((await send({ From: BUSINESS, Body: "hi" })).body.code).toBe(21604);
    expect((await send({ To: CUSTOMER, Body: "hi" })).body.code).toBe(21603);
    expect((await send({ To: CUSTOMER, From: BUSINESS })).body.code).toBe(21602);
    expect((await send({ To: "555", From: BUSINESS, Body: "hi" })).body.code).toBe(21211);
  });

  it("refuses to text an opted-out recipient until they opt back in", async () => {
    await control("/__control/opt-out", { to: CUSTOMER });
    expect(await send({ To: CUSTOMER, From: BUSINESS, Body: "hi" })).toEqual({
      status: 400,
      body: {
        code: 21610,
        message: "Attempt to send to unsubscribed recipient",
        more_info: "https://www.twilio.com/docs/errors/21610",
        status: 400,
      },
    });
    await control("/__control/opt-in", { to: CUSTOMER });
    expect((await send({ To: CUSTOMER, From: BUSINESS, Body: "hi" })).status).toBe(201);

    // An opt-out is per sender when one is named.
    await control("/__control/opt-out", { to: CUSTOMER, from: BUSINESS });
    expect((await send({ To: CUSTOMER, From: BUSINESS, Body: "hi" })).status).toBe(400);
    expect((await send({ To: CUSTOMER, From: "+15559998888", Body: "hi" })).status).toBe(201);
  });

  it("fails the next call when a fault is injected", async () => {
    await control("/__control/faults", { failNext: 1 });
    const failed = await send({ To: CUSTOMER, From: BUSINESS, Body: "hi" });
    expect(failed.status).toBe(500);
    expect(failed.body.code).toBe(20500);
    expect((await send({ To: CUSTOMER, From: BUSINESS, Body: "hi" })).status).toBe(201);
  });
});

describe("Twilio fake: inbound SMS", () => {
  it("signs like Twilio: matches the documented example vector", () => {
    const params = { CallSid: "CA1234567890ABCDE", Caller: "+14158675309", Digits: "1234", From: "+14158675309", To: "+18005551212" };
    expect(signTwilioRequest("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params)).toBe("RSOYDt4T1cUTdK1PDd93/VVr8B8=");
  });

  it("builds the full inbound parameter set", () => {
    const params = buildInboundSms({ AccountSid: accountSid, From: CUSTOMER, To: BUSINESS, Body: "Is Tuesday OK?" });
    expect(params).toMatchObject({ AccountSid: accountSid, From: CUSTOMER, To: BUSINESS, Body: "Is Tuesday OK?", NumMedia: "0", SmsStatus: "received", ApiVersion: "2010-04-01" });
    expect(params.MessageSid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(params.SmsSid).toBe(params.MessageSid);
  });

  it("delivers a signed inbound SMS and applies STOP and START", async () => {
    const delivered = await control("/__control/inbound", { url: webhookUrl, From: CUSTOMER, To: BUSINESS, Body: " stop " });
    expect(delivered).toMatchObject({ status: 200, responseBody: "<Response/>" });
    expect(inbound).toHaveLength(1);
    expect(inbound[0].valid).toBe(true);
    expect(inbound[0].params).toMatchObject({ From: CUSTOMER, To: BUSINESS, Body: " stop ", AccountSid: accountSid });
    expect((await send({ To: CUSTOMER, From: BUSINESS, Body: "hi" })).body.code).toBe(21610);

    await control("/__control/inbound", { url: webhookUrl, From: CUSTOMER, To: BUSINESS, Body: "START" });
    expect((await send({ To: CUSTOMER, From: BUSINESS, Body: "welcome back" })).status).toBe(201);
  });
});
