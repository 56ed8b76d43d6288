// What the webhook suites share: a receiver on 127.0.0.1, endpoints saved the way the functions
// save them (service role: the loopback targets the local stack allows), outbox events written as
// the call, SMS and booking paths write them, and reads of the delivery state.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll } from "vitest";
import { Webhook } from "standardwebhooks";
import { type Answer, type ReceivedRequest, WebhookReceiver } from "../../fakes/webhook-receiver.ts";
import { newUser, sql, type TestUser } from "../helpers/stack.ts";
import { fakeUrl } from "../../stack/config.ts";

export let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await WebhookReceiver.start();
});
afterAll(async () => {
  await receiver.stop();
});

export type Endpoint = { id: string; url: string; secret: string; received: ReceivedRequest[]; waitFor: (n: number, ms?: number) => Promise<ReceivedRequest[]> };

export async function newEndpoint(
  owner: TestUser,
  answers?: Answer[] | ((n: number) => Answer),
  options: { events?: string[]; active?: boolean; url?: string } = {},
): Promise<Endpoint> {
  const hook = receiver.endpoint(answers);
  const url = options.url ?? hook.url;
  const [row] = await sql`
    insert into public.webhook_configs (user_id, url, events, active)
    values (${owner.id}, ${url}, ${options.events ?? ["call_ended", "lead_created", "appointment_booked", "sms_received"]},
            ${options.active ?? true})
    returning id, secret`;
  return { id: row.id, url, secret: row.secret, received: hook.received, waitFor: hook.waitFor };
}

/** An outbox event, as record_call_event and the other producers write one. */
export async function newEvent(owner: TestUser, type = "call_ended", payload: Record<string, unknown> = { call_id: randomUUID() }) {
  const [row] = await sql`
    insert into public.webhook_queue (user_id, event_type, dedupe_key, payload)
    values (${owner.id}, ${type}, ${`${type}:${randomUUID()}`}, ${sql.json(payload as any)})
    returning id, created_at`;
  return row as { id: number; created_at: Date };
}

export async function deliveriesOf(eventId: number) {
  return sql`select * from public.webhook_endpoint_deliveries where event_id = ${eventId} order by id`;
}

export async function attemptsOf(deliveryId: number) {
  return sql`select * from public.webhook_deliveries where delivery_id = ${deliveryId} order by id`;
}

/** Polls the delivery of an event to an endpoint until `done` holds. */
export async function waitForDelivery(eventId: number, endpointId: string, done: (row: any) => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await sql`select * from public.webhook_endpoint_deliveries where event_id = ${eventId} and webhook_config_id = ${endpointId}`;
    if (row && done(row)) return row;
    if (Date.now() > deadline) throw new Error(`delivery of event ${eventId} still ${JSON.stringify(row)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Verifies a received request with the official package, as the business's receiver would. */
export function verified(request: ReceivedRequest, secret: string): any {
  return new Webhook(secret).verify(request.body, request.headers);
}

export { newUser, sql };

/** What the every-minute cron job does, run now instead of waiting for the minute. */
export async function sweep(): Promise<void> {
  await sql`select private.kick_due_webhook_deliveries()`;
}

/** Emails the fake Resend received for `to`. */
export async function emailsTo(to: string): Promise<any[]> {
  const emails = (await (await fetch(`${fakeUrl("resend")}/__control/emails`)).json()) as any[];
  // Not the welcome email every new owner gets.
  return emails.filter((e) => e.to.includes(to) && !e.idempotency_key?.startsWith("welcome:"));
}
