// Businesses for the call-time suites, each with its own user, number and billing state, so suites
// running at the same time as others never share a row. Written as the superuser, as the billing
// and provisioning functions would.
import { randomInt, randomUUID } from "node:crypto";
import { newUser, sql, type TestUser } from "../helpers/stack.ts";

/** A North American number no other test uses (random area code, exchange and line). */
export function uniquePhone(): string {
  return `+1${randomInt(201, 990)}${randomInt(200, 1000)}${String(randomInt(0, 10_000)).padStart(4, "0")}`;
}

export function uniqueCallId(prefix = "call_test"): string {
  return `${prefix}_${randomUUID().replaceAll("-", "")}`;
}

export type BusinessOptions = {
  businessName?: string;
  subscriptionStatus?: "active" | "trialing" | "past_due" | "canceled" | "unpaid";
  /** Plan minutes of the period, and how many are used already. */
  minutesAllowance?: number;
  minutesUsed?: number;
  topupMinutes?: number;
  /** Model B: an agent of the business's own. */
  dedicatedAgent?: { id: string; version: number | null };
  calendar?: { status: "connected" | "needs_reauth" | "disconnected"; bookingUrl: string | null };
  /** No subscription and no usage limits at all. */
  unsubscribed?: boolean;
  /** The business's number (default: a random one no other test uses, unknown to the fake Retell). */
  number?: string;
};

export type Business = { user: TestUser; number: string; businessName: string };

export async function newBusiness(options: BusinessOptions = {}): Promise<Business> {
  const user = await newUser("calls");
  return { user, ...(await setUpBusiness(user.id, options)) };
}

/** The business rows of an existing user (profile, billing, agent): what newBusiness adds to a new one. */
export async function setUpBusiness(userId: string, options: BusinessOptions = {}): Promise<Omit<Business, "user">> {
  const user = { id: userId };
  const number = options.number ?? uniquePhone();
  const businessName = options.businessName ?? `Test Cooling ${randomUUID().slice(0, 6)}`;
  await sql`
    update public.profiles
    set business_name = ${businessName}, industry = 'hvac', agent_tone = 'calm',
        transfer_number = '+14155550999', schedule_summary = 'Weekdays 7am to 7pm',
        standard_fee = 89.00, emergency_fee = 149.50, time_zone = 'America/Chicago'
    where id = ${user.id}`;
  if (!options.unsubscribed) {
    await sql`
      insert into public.subscriptions (user_id, plan, status, current_period_start, current_period_end)
      values (${user.id}, 'pro', ${options.subscriptionStatus ?? "active"}, now() - interval '5 days', now() + interval '25 days')`;
    await sql`
      insert into public.usage_limits (user_id, period_start, period_end, call_minutes_allowance, sms_allowance,
                                       call_minutes_used, topup_call_minutes)
      values (${user.id}, now() - interval '5 days', now() + interval '25 days', ${options.minutesAllowance ?? 500}, 500,
              ${options.minutesUsed ?? 0}, ${options.topupMinutes ?? 0})`;
  }
  const agent = options.dedicatedAgent;
  await sql`
    insert into public.agents (user_id, model, deploy_status, retell_agent_id, retell_agent_version, phone_number, deployed_at)
    values (${user.id}, ${agent ? "dedicated" : "shared"}, 'active', ${agent?.id ?? "agent_master_hvac"},
            ${agent ? agent.version : 1}, ${number}, now())`;
  if (options.calendar) {
    await sql`
      insert into public.integrations (user_id, provider, status, booking_url, connected_at)
      values (${user.id}, 'calcom', ${options.calendar.status}, ${options.calendar.bookingUrl}, now())`;
  }
  return { number, businessName };
}

/** The stored call row, or undefined. */
export async function storedCall(callId: string): Promise<Record<string, any> | undefined> {
  const [row] = await sql`select * from public.calls where call_id = ${callId}`;
  return row;
}

/** Everything a call wrote, as JSON, for before/after comparisons. */
export async function footprint(callId: string, userId: string): Promise<Record<string, unknown>> {
  const [row] = await sql`
    select jsonb_build_object(
      'call', (select to_jsonb(c) from public.calls c where c.call_id = ${callId}),
      'recording', (select to_jsonb(r) from public.call_recordings r where r.call_id = ${callId}),
      'usage', (select jsonb_agg(to_jsonb(u)) from public.usage_calls u where u.call_id = ${callId}),
      'lead', (select to_jsonb(l) from public.leads l where l.call_id = ${callId}),
      'outbox', (select jsonb_agg(to_jsonb(q) order by q.id) from public.webhook_queue q
                 where q.dedupe_key in (${`call_ended:${callId}`}, ${`lead_created:${callId}`})),
      'customers', (select jsonb_agg(to_jsonb(cu) order by cu.phone) from public.customers cu where cu.user_id = ${userId}::uuid),
      'limits', (select to_jsonb(l) from public.usage_limits l where l.user_id = ${userId}::uuid)
    ) as footprint`;
  return row.footprint;
}
