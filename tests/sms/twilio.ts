// The Twilio side of the SMS suites: the fake's control routes (a customer texting through it,
// what it sent).
import { fakeUrl } from "../../stack/config.ts";
import type { Business } from "../calls/fixtures.ts";
import { FUNCTIONS_URL } from "../helpers/stack.ts";

const TWILIO_URL = fakeUrl("twilio");
export const SMS_INBOUND_URL = `${FUNCTIONS_URL}/sms-inbound`;

export async function twilioControl(path: string, body: unknown = {}): Promise<any> {
  const response = await fetch(`${TWILIO_URL}${path}`, {
    method: path.startsWith("/__control/messages") ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    body: path.startsWith("/__control/messages") ? undefined : JSON.stringify(body),
  });
  return response.json();
}

/** The customer texts the business: Twilio's fake signs and POSTs it to sms-inbound. */
export async function customerTexts(b: Business, from: string, body: string): Promise<{ status: number; responseBody: string; params: Record<string, string> }> {
  return twilioControl("/__control/inbound", { url: SMS_INBOUND_URL, From: from, To: b.number, Body: body });
}

/** What the Twilio fake sent to `to`. */
export async function sentTo(to: string): Promise<any[]> {
  const messages: any[] = await twilioControl("/__control/messages");
  return messages.filter((m) => m.to === to);
}
