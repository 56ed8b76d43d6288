// Local fake of Twilio Programmable Messaging for one account: sending SMS through the
// 2010-04-01 REST API, and the inbound side, where Twilio POSTs a signed form to our webhook.
// Like Twilio it honours opt-outs: after a customer texts STOP, sends to them fail with 21610
// until they text START.
import type http from "node:http";
import { createHmac, randomBytes } from "node:crypto";
import { addControlRoutes, createServer, json, newFaults, type Reply, type Request } from "./lib/http.ts";
import { deliverWebhook, LoggingRouter } from "./lib/common.ts";

const API_VERSION = "2010-04-01";
const MAX_BODY_LENGTH = 1600;
// Whole-message keywords Twilio acts on for long codes and toll-free numbers (contracts.md §4).
const OPT_OUT_KEYWORDS = new Set(["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"]);
const OPT_IN_KEYWORDS = new Set(["START", "YES", "UNSTOP"]);

export type TwilioMessage = {
  sid: string;
  account_sid: string;
  api_version: string;
  body: string;
  date_created: string;
  date_sent: null;
  date_updated: string;
  direction: "outbound-api";
  error_code: null;
  error_message: null;
  from: string | null;
  messaging_service_sid: string | null;
  num_media: string;
  num_segments: string;
  price: null;
  price_unit: string;
  status: "queued" | "accepted";
  subresource_uris: { media: string };
  to: string;
  uri: string;
};

/** Twilio's ids: two letters for the resource type and 32 hex digits. */
function twilioSid(prefix: string): string {
  return prefix + randomBytes(16).toString("hex");
}

/** RFC 2822 dates, as the 2010-04-01 API writes them. */
function rfc2822(date: Date): string {
  return date.toUTCString().replace("GMT", "+0000");
}

/**
 * `X-Twilio-Signature` for a request to `url` with form `params`: base64 HMAC-SHA1, keyed with
 * the auth token, of the URL followed by every parameter's name and value, sorted by name.
 */
export function signTwilioRequest(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, name) => acc + name + params[name], url);
  return createHmac("sha1", authToken).update(data, "utf8").digest("base64");
}

/** The full parameter set Twilio POSTs for an inbound SMS; given fields override the defaults. */
export function buildInboundSms(
  params: { AccountSid: string; From: string; To: string; Body: string } & Record<string, string>,
): Record<string, string> {
  const sid = twilioSid("SM");
  return {
    MessageSid: sid,
    SmsSid: sid,
    SmsMessageSid: sid,
    NumMedia: "0",
    NumSegments: "1",
    SmsStatus: "received",
    ApiVersion: API_VERSION,
    FromCity: "",
    FromState: "",
    FromZip: "",
    FromCountry: "US",
    ToCity: "",
    ToState: "",
    ToZip: "",
    ToCountry: "US",
    ...params,
  };
}

/** Twilio's REST error body; `more_info` points at the error's page as Twilio's does. */
function errorBody(status: number, code: number, message: string) {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

const twilioError = (status: number, code: number, message: string): Reply => json(status, errorBody(status, code, message));

/** Codes for errors the toolkit raises (unknown route, injected faults). */
const GENERIC_CODES: Record<number, number> = { 401: 20003, 404: 20404, 429: 20429 };

function segments(body: string): number {
  // GSM-7 text: 160 characters fit one SMS; longer texts travel in 153-character parts.
  return body.length <= 160 ? 1 : Math.ceil(body.length / 153);
}

export function createTwilioFake(o: { accountSid: string; authToken: string }) {
  const state = {
    messages: [] as TwilioMessage[],
    /** Blocked "recipient sender" pairs; sender "*" blocks the recipient for every sender. */
    optOuts: new Set<string>(),
  };
  const faults = newFaults();
  const router = new LoggingRouter();

  function reset() {
    state.messages.length = 0;
    state.optOuts.clear();
    router.requests.length = 0;
  }

  const isBlocked = (to: string, sender: string) => state.optOuts.has(`${to} ${sender}`) || state.optOuts.has(`${to} *`);

  function optOut(to: string, senders: string[]) {
    for (const sender of senders) state.optOuts.add(`${to} ${sender}`);
  }

  function optIn(to: string, senders?: string[]) {
    for (const pair of state.optOuts) {
      const [recipient, sender] = pair.split(" ");
      if (recipient === to && (!senders || senders.includes(sender) || sender === "*")) state.optOuts.delete(pair);
    }
  }

  /** HTTP Basic with the account SID and auth token, for the account named in the path. */
  function authenticated(req: Request): boolean {
    const [scheme, encoded] = (req.headers.authorization ?? "").split(" ");
    if (scheme !== "Basic" || !encoded) return false;
    const credentials = Buffer.from(encoded, "base64").toString("utf8");
    return credentials === `${o.accountSid}:${o.authToken}` && req.params.sid === o.accountSid;
  }

  router.on("POST /2010-04-01/Accounts/:sid/Messages.json", (req) => {
    if (!authenticated(req)) return twilioError(401, 20003, "Authenticate");
    const { To: to, From: from, MessagingServiceSid: service, Body: body = "" } = (req.body ?? {}) as Record<string, string>;
    if (!to) return twilioError(400, 21604, "A 'To' phone number is required.");
    if (!/^\+[1-9]\d{6,14}$/.test(to)) return twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (!from && !service) return twilioError(400, 21603, "A 'From' phone number is required.");
    if (!body) return twilioError(400, 21602, "Message body is required.");
    if (body.length > MAX_BODY_LENGTH) {
      return twilioError(400, 21617, "The concatenated message body exceeds the 1600 character limit.");
    }
    if (isBlocked(to, from ?? service)) return twilioError(400, 21610, "Attempt to send to unsubscribed recipient");

    const sid = twilioSid("SM");
    const now = rfc2822(new Date());
    const uri = `/${API_VERSION}/Accounts/${o.accountSid}/Messages/${sid}.json`;
    const message: TwilioMessage = {
      sid,
      account_sid: o.accountSid,
      api_version: API_VERSION,
      body,
      date_created: now,
      date_sent: null,
      date_updated: now,
      direction: "outbound-api",
      error_code: null,
      error_message: null,
      from: from ?? null,
      messaging_service_sid: service ?? null,
      num_media: "0",
      num_segments: String(segments(body)),
      price: null,
      price_unit: "USD",
      // A Messaging Service picks the sender itself, so its messages start out "accepted".
      status: from ? "queued" : "accepted",
      subresource_uris: { media: uri.replace(".json", "/Media.json") },
      to,
      uri,
    };
    state.messages.push(message);
    return json(201, message);
  });

  router.on("GET /__control/messages", () => json(200, state.messages));

  // The customer texted STOP (or START): block (or unblock) sends to `to`, from the given sender
  // or, without `from`, from every sender.
  router.on("POST /__control/opt-out", (req) => {
    optOut(req.body.to, [req.body.from ?? "*"]);
    return json(200, { optOuts: [...state.optOuts] });
  });
  router.on("POST /__control/opt-in", (req) => {
    optIn(req.body.to, req.body.from ? [req.body.from] : undefined);
    return json(200, { optOuts: [...state.optOuts] });
  });

  /**
   * A customer texts one of our numbers: Twilio POSTs the signed form to the number's webhook
   * `url`. Opt-out and opt-in keywords also change the blocking state, which Twilio does on its
   * own before forwarding the message. Answers with our endpoint's status and TwiML reply.
   */
  router.on("POST /__control/inbound", async (req) => {
    const { url, ...fields } = req.body ?? {};
    const params = buildInboundSms({ AccountSid: o.accountSid, ...fields });
    const keyword = params.Body.trim().toUpperCase();
    const senders = [params.To, params.MessagingServiceSid].filter(Boolean);
    if (OPT_OUT_KEYWORDS.has(keyword)) optOut(params.From, senders);
    if (OPT_IN_KEYWORDS.has(keyword)) optIn(params.From, senders);
    const delivery = await deliverWebhook(url, new URLSearchParams(params).toString(), {
      "content-type": "application/x-www-form-urlencoded",
      "x-twilio-signature": signTwilioRequest(o.authToken, url, params),
    }, 15_000);
    return json(200, { ...delivery, params });
  });

  addControlRoutes(router, faults, reset);

  const server: http.Server = createServer(router, faults, (status, message) =>
    errorBody(status, GENERIC_CODES[status] ?? 20500, message),
  );
  return { server, reset, state };
}
