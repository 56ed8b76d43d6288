// Every table a business owner reaches through supabase-js keeps each business to its own rows:
// another user can neither read, update nor delete them, anonymous callers reach nothing, and
// admins read them all.
import { beforeAll, describe, expect, it } from "vitest";
import type { SupabaseClient } from "@supabase/supabase-js";
import { signIn } from "../../stack/auth.ts";
import { anonClient, newUser, sql, type TestUser } from "../helpers/stack.ts";
import { clientAs, expectNothingReached, insertRow, rowsAsStored, uniqueId, uniquePhone } from "./fixtures.ts";

/** One row owned by a user, how to find it, and a change an attacker would like to make. */
type OwnedRow = { key: string; value: string | number; patch: Record<string, unknown> };

const inAMonth = () => new Date(Date.now() + 30 * 86_400_000);

async function call(owner: TestUser) {
  return insertRow("calls", { call_id: uniqueId("call_isolation"), user_id: owner.id, status: "ended" });
}
async function conversation(owner: TestUser) {
  return insertRow("sms_conversations", { user_id: owner.id, customer_phone: uniquePhone(), business_number: uniquePhone() });
}
async function trackingSession(owner: TestUser) {
  return insertRow("tracking_sessions", { user_id: owner.id, technician_name: "Tess" });
}
async function queuedEvent(owner: TestUser) {
  return insertRow("webhook_queue", { user_id: owner.id, event_type: "call_ended", dedupe_key: uniqueId("isolation"), payload: sql.json({}) });
}
async function endpointDelivery(owner: TestUser) {
  const endpoint = await insertRow("webhook_configs", { user_id: owner.id, url: "https://hooks.example.com/isolation", active: false });
  return insertRow("webhook_endpoint_deliveries", { event_id: (await queuedEvent(owner)).id, webhook_config_id: endpoint.id, user_id: owner.id });
}

// Every table with a "Users ..." policy, and how to give a user a row in it (as the superuser,
// because clients cannot insert into most of them).
const ownedRows: Record<string, (owner: TestUser) => Promise<OwnedRow>> = {
  profiles: async (owner) => ({ key: "id", value: owner.id, patch: { business_name: "Taken over" } }),
  agents: async (owner) => {
    const row = await insertRow("agents", { user_id: owner.id });
    return { key: "id", value: row.id, patch: { deploy_status: "failed", deploy_error_code: "X" } };
  },
  subscriptions: async (owner) => {
    const row = await insertRow("subscriptions", { user_id: owner.id, plan: "core", status: "active" });
    return { key: "id", value: row.id, patch: { plan: "scale" } };
  },
  usage_limits: async (owner) => {
    await insertRow("usage_limits", {
      user_id: owner.id, period_start: new Date(), period_end: inAMonth(), call_minutes_allowance: 200, sms_allowance: 200,
    });
    return { key: "user_id", value: owner.id, patch: { call_minutes_used: 0 } };
  },
  usage_calls: async (owner) => {
    const row = await insertRow("usage_calls", { user_id: owner.id, call_id: uniqueId("call"), duration_seconds: 90, billable_minutes: 2 });
    return { key: "id", value: row.id, patch: { billable_minutes: 0 } };
  },
  topup_purchases: async (owner) => {
    const row = await insertRow("topup_purchases", { user_id: owner.id, product: "call_300", call_minutes: 300, sms: 0, stripe_checkout_session_id: uniqueId("cs_test") });
    return { key: "id", value: row.id, patch: { call_minutes: 100_000 } };
  },
  usage_sms: async (owner) => {
    const row = await insertRow("usage_sms", { user_id: owner.id, message_id: uniqueId("SM"), direction: "outbound" });
    return { key: "id", value: row.id, patch: { segments: 2 } };
  },
  customers: async (owner) => {
    const row = await insertRow("customers", { user_id: owner.id, phone: uniquePhone(), name: "Casey Caller" });
    return { key: "id", value: row.id, patch: { notes: "written by someone else" } };
  },
  calls: async (owner) => {
    const row = await call(owner);
    return { key: "call_id", value: row.call_id, patch: { transferred: true } };
  },
  call_recordings: async (owner) => {
    const row = await insertRow("call_recordings", { call_id: (await call(owner)).call_id, user_id: owner.id, transcript: "Hello" });
    return { key: "id", value: row.id, patch: { transcript: "Rewritten" } };
  },
  leads: async (owner) => {
    const row = await insertRow("leads", { user_id: owner.id, name: "Lee Lead", phone: uniquePhone() });
    return { key: "id", value: row.id, patch: { flagged: true, status: "lost" } };
  },
  sms_conversations: async (owner) => {
    const row = await conversation(owner);
    return { key: "id", value: row.id, patch: { last_message_at: new Date().toISOString() } };
  },
  sms_messages: async (owner) => {
    const thread = await conversation(owner);
    const row = await insertRow("sms_messages", {
      conversation_id: thread.id, user_id: owner.id, direction: "inbound", body: "Is anyone there?",
      from_number: thread.customer_phone, to_number: thread.business_number, provider: "twilio", provider_message_id: uniqueId("SM"),
    });
    return { key: "id", value: row.id, patch: { status: "failed" } };
  },
  appointments: async (owner) => {
    const row = await insertRow("appointments", {
      user_id: owner.id, customer_name: "Avery", customer_phone: uniquePhone(),
      start_at: inAMonth(), end_at: new Date(inAMonth().getTime() + 3_600_000),
    });
    return { key: "id", value: row.id, patch: { notes: "moved by someone else", status: "cancelled" } };
  },
  integrations: async (owner) => {
    const row = await insertRow("integrations", { user_id: owner.id, provider: "calcom", access_token_encrypted: "sealed" });
    return { key: "id", value: row.id, patch: { status: "disconnected" } };
  },
  webhook_configs: async (owner) => {
    const row = await insertRow("webhook_configs", { user_id: owner.id, url: "https://hooks.example.com/owner" });
    return { key: "id", value: row.id, patch: { url: "https://attacker.example.com/steal" } };
  },
  webhook_queue: async (owner) => {
    const row = await queuedEvent(owner);
    return { key: "id", value: row.id, patch: { event_type: "lead_created" } };
  },
  webhook_endpoint_deliveries: async (owner) => {
    const row = await endpointDelivery(owner);
    return { key: "id", value: row.id, patch: { status: "dead" } };
  },
  webhook_deliveries: async (owner) => {
    const delivery = await endpointDelivery(owner);
    const row = await insertRow("webhook_deliveries", {
      queue_id: delivery.event_id, delivery_id: delivery.id, user_id: owner.id, attempt: 1, status_code: 200,
    });
    return { key: "id", value: row.id, patch: { status_code: 500 } };
  },
  referrals: async (owner) => {
    const referred = await newUser("referred");
    const row = await insertRow("referrals", { referrer_user_id: owner.id, referred_user_id: referred.id, code: "ISOLATE1", reward_cents: 5000 });
    return { key: "id", value: row.id, patch: { status: "approved" } };
  },
  payout_requests: async (owner) => {
    const row = await insertRow("payout_requests", { user_id: owner.id, amount_cents: 5000, method: "paypal", destination: "owner@example.com" });
    return { key: "id", value: row.id, patch: { destination: "attacker@example.com" } };
  },
  consent_logs: async (owner) => {
    const row = await insertRow("consent_logs", { user_id: owner.id, consent_version: "v1" });
    return { key: "id", value: row.id, patch: { consent_version: "v0" } };
  },
  tracking_sessions: async (owner) => {
    const row = await trackingSession(owner);
    return { key: "id", value: row.id, patch: { status: "ended", technician_name: "Mallory" } };
  },
  tracking_points: async (owner) => {
    const row = await insertRow("tracking_points", { session_id: (await trackingSession(owner)).id, user_id: owner.id, latitude: 37.7, longitude: -122.4 });
    return { key: "id", value: row.id, patch: { latitude: 0 } };
  },
  black_box_events: async (owner) => {
    const row = await insertRow("black_box_events", { user_id: owner.id, event_type: "wizard.opened" });
    return { key: "id", value: row.id, patch: { event_type: "wizard.tampered" } };
  },
};

let admin: SupabaseClient;
beforeAll(async () => {
  admin = clientAs(await signIn("admin@example.com"));
});

describe("owner tables", () => {
  it("the list above is every table with a \"Users ...\" policy", async () => {
    const rows = await sql`
      select distinct tablename from pg_catalog.pg_policies
      where schemaname = 'public' and policyname like 'Users %' order by tablename`;
    expect(Object.keys(ownedRows).sort()).toEqual(rows.map((r) => r.tablename));
  });
});

describe.each(Object.keys(ownedRows))("%s", (table) => {
  let owner: TestUser;
  let other: TestUser;
  let row: OwnedRow;
  let stored: unknown[];

  beforeAll(async () => {
    owner = await newUser(`owner-${table}`);
    other = await newUser(`other-${table}`);
    row = await ownedRows[table](owner);
    stored = await rowsAsStored(table, row.key, row.value);
    expect(stored).toHaveLength(1);
  });

  it("its owner reads the row", async () => {
    const { data, error } = await owner.client.from(table).select(row.key).eq(row.key, row.value);
    expect(error).toBeNull();
    // postgres.js hands bigint ids over as strings; PostgREST as numbers.
    const found = (data ?? []) as unknown as Record<string, unknown>[];
    expect(found.map((r) => String(r[row.key]))).toEqual([String(row.value)]);
  });

  it("an admin reads it", async () => {
    const { data, error } = await admin.from(table).select(row.key).eq(row.key, row.value);
    expect(error).toBeNull();
    expect(data).toHaveLength(1);
  });

  it("another user can neither read, update nor delete it", async () => {
    expectNothingReached(await other.client.from(table).select(row.key).eq(row.key, row.value));
    expectNothingReached(await other.client.from(table).update(row.patch).eq(row.key, row.value).select(row.key));
    expectNothingReached(await other.client.from(table).delete().eq(row.key, row.value).select(row.key));
    expect(await rowsAsStored(table, row.key, row.value)).toEqual(stored);
  });

  it("an anonymous caller can neither read, update nor delete it", async () => {
    const anon = anonClient();
    expectNothingReached(await anon.from(table).select(row.key));
    expectNothingReached(await anon.from(table).update(row.patch).eq(row.key, row.value).select(row.key));
    expectNothingReached(await anon.from(table).delete().eq(row.key, row.value).select(row.key));
    expect(await rowsAsStored(table, row.key, row.value)).toEqual(stored);
  });
});
