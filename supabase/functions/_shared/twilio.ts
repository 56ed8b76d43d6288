// Twilio Programmable Messaging (contracts.md §4): the signature on the webhooks it sends us, and
// sending a text through its 2010-04-01 REST API.
import { validateRequest } from "twilio/lib/webhooks/webhooks.js";
import { optionalEnv, requireEnv } from "./env.ts";
import { HttpError } from "./http.ts";

/**
 * The URL Twilio signed: the public address it was configured with. Behind the gateway
 * `request.url` is the function's internal address, so it is rebuilt from SUPABASE_URL, the
 * function's public path and the query the request came with.
 */
export function publicFunctionUrl(request: Request, functionName: string): string {
  return functionUrl(functionName) + new URL(request.url).search;
}

/** A function's public address, as Twilio is configured to call it. */
function functionUrl(functionName: string): string {
  return `${requireEnv("SUPABASE_URL").replace(/\/$/, "")}/functions/v1/${functionName}`;
}

/**
 * The form of a request that carries a valid `X-Twilio-Signature` (the official validator: HMAC-SHA1
 * with the auth token over the URL and the sorted parameters); a 401 before anything is read otherwise.
 */
export async function verifiedTwilioForm(request: Request, functionName: string): Promise<{ raw: string; params: Record<string, string> }> {
  const signature = request.headers.get("x-twilio-signature");
  const raw = await request.text();
  const params: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(raw)) params[name] = value;
  const url = publicFunctionUrl(request, functionName);
  if (!signature || !validateRequest(requireEnv("TWILIO_AUTH_TOKEN"), signature, url, params)) {
    throw new HttpError(401, "invalid_signature", "X-Twilio-Signature does not match this request");
  }
  return { raw, params };
}

export type TwilioSendResult = { sid: string } | { errorCode: string; message: string };

/**
 * Sends `body` from `from` to `to`. Twilio's refusals (a 4xx with its error code, such as 21610 for
 * a recipient who texted STOP) come back as `errorCode`; its 5xx and network faults throw, since the
 * same send may work a moment later.
 */
export async function sendTwilioSms(m: { from: string; to: string; body: string }): Promise<TwilioSendResult> {
  const accountSid = requireEnv("TWILIO_ACCOUNT_SID");
  const base = optionalEnv("TWILIO_API_BASE") ?? "https://api.twilio.com";
  const response = await fetch(`${base}/2010-04-01/Accounts/${accountSid}/Messages.json`, {
    method: "POST",
    headers: {
      Authorization: `Basic ${btoa(`${accountSid}:${requireEnv("TWILIO_AUTH_TOKEN")}`)}`,
      "Content-Type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({
      From: m.from,
      To: m.to,
      Body: m.body,
      // Where Twilio reports sent, delivered, undelivered and failed (the sms-status function).
      StatusCallback: functionUrl("sms-status"),
    }),
    signal: AbortSignal.timeout(10_000),
  });
  const answer = await response.json().catch(() => ({}));
  if (response.ok && typeof answer.sid === "string") return { sid: answer.sid };
  if (response.status >= 400 && response.status < 500 && response.status !== 429) {
    return { errorCode: String(answer.code ?? response.status), message: String(answer.message ?? response.statusText) };
  }
  throw new Error(`Twilio answered ${response.status}`);
}
