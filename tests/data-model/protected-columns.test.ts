// Columns an owner must not set themselves (subscription state, usage counters, deployment state,
// consent, ownership, encrypted tokens) are refused by column privileges with 42501, and nothing changes.
import { beforeAll, describe, expect, it } from "vitest";
import { newUser, sql, type TestUser } from "../helpers/stack.ts";
import { expectRefused, insertRow, rowsAsStored, uniqueId, uniquePhone } from "./fixtures.ts";

let owner: TestUser;
let other: TestUser;
/** The owner's row in each table: the column that finds it and its value. */
const rows: Record<string, { key: string; value: string | number }> = {};
const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
const dayAfter = new Date(Date.now() + 2 * 86_400_000).toISOString();

beforeAll(async () => {
  owner = await newUser("protected");
  other = await newUser("protected-other");
  const call = await insertRow("calls", { call_id: uniqueId("call_protected"), user_id: owner.id });
  const created: Record<string, Record<string, unknown>> = {
    agents: await insertRow("agents", { user_id: owner.id }),
    subscriptions: await insertRow("subscriptions", { user_id: owner.id, plan: "core", status: "incomplete" }),
    integrations: await insertRow("integrations", { user_id: owner.id, provider: "calcom", status: "needs_reauth", access_token_encrypted: "sealed-access", refresh_token_encrypted: "sealed-refresh", token_key_id: "k1" }),
    leads: await insertRow("leads", { user_id: owner.id, call_id: call.call_id, name: "Lee", summary: "Needs a boiler" }),
    customers: await insertRow("customers", { user_id: owner.id, phone: uniquePhone(), total_calls: 3 }),
    appointments: await insertRow("appointments", { user_id: owner.id, customer_name: "Avery", start_at: tomorrow, end_at: dayAfter }),
    webhook_configs: await insertRow("webhook_configs", { user_id: owner.id, url: "https://hooks.example.com/protected" }),
    tracking_sessions: await insertRow("tracking_sessions", { user_id: owner.id }),
    black_box_events: await insertRow("black_box_events", { user_id: owner.id, event_type: "wizard.opened" }),
    referrals: await insertRow("referrals", { referrer_user_id: owner.id, referred_user_id: other.id, code: "PROTECT1", reward_cents: 5000 }),
    payout_requests: await insertRow("payout_requests", { user_id: owner.id, amount_cents: 5000, method: "paypal", destination: "owner@example.com" }),
    consent_logs: await insertRow("consent_logs", { user_id: owner.id, consent_version: "v1" }),
  };
  for (const [table, row] of Object.entries(created)) rows[table] = { key: "id", value: row.id as string };
  await insertRow("usage_limits", { user_id: owner.id, period_start: new Date(), period_end: dayAfter, call_minutes_allowance: 200, sms_allowance: 200, call_minutes_used: 200 });
  rows.usage_limits = { key: "user_id", value: owner.id };
  rows.profiles = { key: "id", value: owner.id };
});

// [table, a column the owner tries to set on their own row, the value]
const forbiddenUpdates: [string, string, () => unknown][] = [
  ["profiles", "consent_version", () => "v999"],
  ["profiles", "consent_accepted_at", () => tomorrow],
  ["profiles", "deploy_error", () => null],
  ["profiles", "referral_code", () => "MINE0001"],
  ["profiles", "email", () => "someone-else@example.com"],
  ["profiles", "id", () => other.id],
  ["agents", "deploy_status", () => "active"],
  ["agents", "phone_number", () => uniquePhone()],
  ["agents", "retell_agent_id", () => "agent_of_my_own"],
  ["subscriptions", "status", () => "active"],
  ["subscriptions", "plan", () => "scale"],
  ["subscriptions", "current_period_end", () => dayAfter],
  ["usage_limits", "call_minutes_used", () => 0],
  ["usage_limits", "call_minutes_allowance", () => 100_000],
  ["usage_limits", "topup_call_minutes", () => 999],
  ["integrations", "status", () => "connected"],
  ["integrations", "access_token_encrypted", () => "chosen"],
  ["leads", "user_id", () => other.id],
  ["leads", "summary", () => "Rewritten"],
  ["customers", "user_id", () => other.id],
  ["customers", "total_calls", () => 0],
  ["customers", "phone", () => uniquePhone()],
  ["appointments", "source", () => "ai_call"],
  ["appointments", "calcom_booking_uid", () => "forged-uid"],
  ["appointments", "user_id", () => other.id],
  ["webhook_configs", "secret", () => "whsec_guessable"],
  ["webhook_configs", "user_id", () => other.id],
  ["tracking_sessions", "token", () => "guessable"],
  ["tracking_sessions", "expires_at", () => "2099-01-01T00:00:00Z"],
  ["tracking_sessions", "user_id", () => other.id],
  ["black_box_events", "event_type", () => "wizard.rewritten"],
  ["referrals", "status", () => "approved"],
  ["referrals", "reward_cents", () => 1_000_000],
  ["payout_requests", "status", () => "paid"],
  ["payout_requests", "amount_cents", () => 1_000_000],
  ["consent_logs", "consent_version", () => "v0"],
];

describe("an owner updating a column they must not set", () => {
  it.each(forbiddenUpdates)("%s.%s is refused with 42501 and nothing changes", async (table, column, newValue) => {
    const { key, value } = rows[table];
    const before = await rowsAsStored(table, key, value);
    expect(before).toHaveLength(1);
    expectRefused(await owner.client.from(table).update({ [column]: newValue() }).eq(key, value), "42501");
    expect(await rowsAsStored(table, key, value)).toEqual(before);
  });
});

// [table, what is protected, the column naming the owner, a row the owner tries to create themselves]
const forbiddenInserts: [string, string, string, () => Record<string, unknown>][] = [
  ["agents", "any row", "user_id", () => ({ user_id: owner.id, deploy_status: "active" })],
  ["subscriptions", "any row", "user_id", () => ({ user_id: owner.id, plan: "scale", status: "active" })],
  ["usage_calls", "any row", "user_id", () => ({ user_id: owner.id, call_id: uniqueId("call"), duration_seconds: 1, billable_minutes: 0 })],
  ["usage_sms", "any row", "user_id", () => ({ user_id: owner.id, message_id: uniqueId("SM"), direction: "outbound" })],
  ["calls", "any row", "user_id", () => ({ call_id: uniqueId("call"), user_id: owner.id })],
  ["customers", "any row", "user_id", () => ({ user_id: owner.id, phone: uniquePhone() })],
  ["leads", "any row", "user_id", () => ({ user_id: owner.id, name: "Self-made lead" })],
  ["integrations", "any row", "user_id", () => ({ user_id: owner.id, provider: "calcom" })],
  ["consent_logs", "any row", "user_id", () => ({ user_id: owner.id, consent_version: "v1" })],
  ["payout_requests", "any row", "user_id", () => ({ user_id: owner.id, amount_cents: 1_000_000, method: "paypal", destination: "me@example.com" })],
  ["referrals", "any row", "referrer_user_id", () => ({ referrer_user_id: owner.id, referred_user_id: other.id, code: "SELF", reward_cents: 1 })],
  ["audit_logs", "any row", "actor_user_id", () => ({ actor_user_id: owner.id, action: "forged.entry" })],
  ["appointments", "source", "user_id", () => ({ user_id: owner.id, source: "ai_call", customer_name: "Forged", start_at: tomorrow, end_at: dayAfter })],
  ["appointments", "calcom_booking_uid", "user_id", () => ({ user_id: owner.id, calcom_booking_uid: uniqueId("uid"), customer_name: "Forged", start_at: tomorrow, end_at: dayAfter })],
  ["tracking_sessions", "token", "user_id", () => ({ user_id: owner.id, token: "guessable" })],
];

describe("an owner creating a row only functions may create", () => {
  it.each(forbiddenInserts)("%s (%s) is refused with 42501 and nothing is written", async (table, _protected, ownerColumn, values) => {
    const count = async () => (await rowsAsStored(table, ownerColumn, owner.id)).length;
    const before = await count();
    expectRefused(await owner.client.from(table).insert(values()), "42501");
    expect(await count()).toBe(before);
  });
});

describe("an owner deleting a row only functions may delete", () => {
  it.each(["profiles", "agents", "subscriptions", "usage_limits", "customers", "leads", "consent_logs", "black_box_events", "tracking_sessions", "payout_requests"])(
    "%s is refused with 42501 and the row stays",
    async (table) => {
      const { key, value } = rows[table];
      expectRefused(await owner.client.from(table).delete().eq(key, value), "42501");
      expect(await rowsAsStored(table, key, value)).toHaveLength(1);
    },
  );
});

describe("integration tokens", () => {
  it.each(["access_token_encrypted", "refresh_token_encrypted", "token_key_id", "*"])(
    "the owner cannot even select %s",
    async (column) => {
      expectRefused(await owner.client.from("integrations").select(column).eq("id", rows.integrations.value), "42501");
    },
  );

  it("the owner reads the connection without the tokens", async () => {
    const { data, error } = await owner.client.from("integrations").select("id, provider, status, scopes").eq("id", rows.integrations.value);
    expect(error).toBeNull();
    expect(data).toEqual([{ id: rows.integrations.value, provider: "calcom", status: "needs_reauth", scopes: [] }]);
  });
});

describe("what the owner may set", () => {
  it("the business fields of their profile", async () => {
    const { data, error } = await owner.client.from("profiles").update({ business_name: "Owner's Own Heating", agent_tone: "calm" })
      .eq("id", owner.id).select("business_name, agent_tone, consent_version").single();
    expect(error).toBeNull();
    expect(data).toEqual({ business_name: "Owner's Own Heating", agent_tone: "calm", consent_version: null });
    const [stored] = await sql`select business_name from public.profiles where id = ${owner.id}`;
    expect(stored.business_name).toBe("Owner's Own Heating");
  });
});
