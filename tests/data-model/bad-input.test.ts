// Bad input from a client (wrong types, missing required fields, malformed phone numbers, values too
// long, unknown enum values) is refused by the schema with a clear PostgREST error, and nothing is written.
import type { SupabaseClient } from "@supabase/supabase-js";
import { beforeAll, describe, expect, it } from "vitest";
import { newUser, type TestUser } from "../helpers/stack.ts";
import { expectRefused, insertRow, rowsAsStored, uniquePhone } from "./fixtures.ts";

let owner: TestUser;
let leadId: string;
let customerId: string;
let trackingSessionId: string;

beforeAll(async () => {
  owner = await newUser("bad-input");
  leadId = (await insertRow("leads", { user_id: owner.id, name: "Lee" })).id;
  customerId = (await insertRow("customers", { user_id: owner.id, phone: uniquePhone() })).id;
  trackingSessionId = (await insertRow("tracking_sessions", { user_id: owner.id })).id;
});

const appointment = (overrides: Record<string, unknown> = {}) => ({
  customer_name: "Avery", customer_phone: "+14155550123", start_at: "2030-01-07T15:00:00Z", end_at: "2030-01-07T16:00:00Z", ...overrides,
});
const withoutField = (values: Record<string, unknown>, field: string) => Object.fromEntries(Object.entries(values).filter(([key]) => key !== field));

type Case = {
  name: string;
  code: string;
  /** What the request could have changed, read as the superuser before and after. */
  table: string;
  column: string;
  value: () => string;
  send: (client: SupabaseClient) => PromiseLike<{ data: unknown; error: any; status: number }>;
};

const profile = (name: string, code: string, patch: Record<string, unknown>): Case => ({
  name: `profile: ${name}`, code, table: "profiles", column: "id", value: () => owner.id,
  send: (client) => client.from("profiles").update(patch).eq("id", owner.id),
});
const newAppointment = (name: string, code: string, rows: () => Record<string, unknown>[]): Case => ({
  name: `new appointment: ${name}`, code, table: "appointments", column: "user_id", value: () => owner.id,
  send: (client) => client.from("appointments").insert(rows()),
});
const newWebhook = (name: string, code: string, values: Record<string, unknown>): Case => ({
  name: `new webhook: ${name}`, code, table: "webhook_configs", column: "user_id", value: () => owner.id,
  send: (client) => client.from("webhook_configs").insert(values),
});

const cases: Case[] = [
  profile("business_phone not in E.164 (555-1234)", "23514", { business_phone: "555-1234" }),
  profile("business_phone with formatting", "23514", { business_phone: "+1 (415) 555-0100" }),
  profile("transfer_number not in E.164", "23514", { transfer_number: "415-555-0100" }),
  profile("area_code that cannot exist", "23514", { area_code: "012" }),
  profile("industry outside the enum", "23514", { industry: "electrical" }),
  profile("agent_tone outside the enum", "23514", { agent_tone: "sarcastic" }),
  profile("full_name longer than 200 characters", "23514", { full_name: "x".repeat(201) }),
  profile("blank business_name", "23514", { business_name: "   " }),
  profile("standard_fee that is not a number", "22P02", { standard_fee: "twenty dollars" }),
  profile("negative emergency_fee", "23514", { emergency_fee: -5 }),
  profile("notify_email that is not a boolean", "22P02", { notify_email: "sometimes" }),
  profile("time_zone removed (required)", "23502", { time_zone: null }),
  profile("business_hours that is not an object", "23514", { business_hours: ["mon", "tue"] }),
  profile("a valid field together with a bad one", "23514", { business_name: "Half Written", business_phone: "555-1234" }),

  newAppointment("customer_name missing (required)", "23502", () => [withoutField(appointment(), "customer_name")]),
  newAppointment("start_at missing (required)", "23502", () => [withoutField(appointment(), "start_at")]),
  newAppointment("customer_phone not in E.164", "23514", () => [appointment({ customer_phone: "555-1234" })]),
  newAppointment("start_at that is not a time", "22007", () => [appointment({ start_at: "next tuesday" })]),
  newAppointment("end before start", "23514", () => [appointment({ end_at: "2030-01-07T14:00:00Z" })]),
  newAppointment("customer_email without @", "23514", () => [appointment({ customer_email: "nobody" })]),
  newAppointment("notes longer than 5000 characters", "23514", () => [appointment({ notes: "n".repeat(5001) })]),
  newAppointment("a batch with one bad row writes neither", "23514", () => [appointment(), appointment({ customer_phone: "555-1234" })]),

  newWebhook("url that is not https", "23514", { url: "http://hooks.example.com/plain" }),
  newWebhook("url missing (required)", "23502", { description: "no url" }),
  newWebhook("unknown event", "23514", { url: "https://hooks.example.com/x", events: ["everything"] }),
  newWebhook("events that is not a list", "22P02", { url: "https://hooks.example.com/x", events: "lead_created" }),

  {
    name: "lead: status outside the enum", code: "23514", table: "leads", column: "id", value: () => leadId,
    send: (client) => client.from("leads").update({ status: "maybe" }).eq("id", leadId),
  },
  {
    name: "lead: flag_reason longer than 500 characters", code: "23514", table: "leads", column: "id", value: () => leadId,
    send: (client) => client.from("leads").update({ flagged: true, flag_reason: "r".repeat(501) }).eq("id", leadId),
  },
  {
    name: "customer: email without @", code: "23514", table: "customers", column: "id", value: () => customerId,
    send: (client) => client.from("customers").update({ email: "not-an-email" }).eq("id", customerId),
  },
  {
    name: "tracking point: latitude out of range", code: "23514", table: "tracking_points", column: "session_id", value: () => trackingSessionId,
    send: (client) => client.from("tracking_points").insert({ session_id: trackingSessionId, latitude: 91, longitude: 0 }),
  },
  {
    name: "tracking point: latitude that is not a number", code: "22P02", table: "tracking_points", column: "session_id", value: () => trackingSessionId,
    send: (client) => client.from("tracking_points").insert({ session_id: trackingSessionId, latitude: "north", longitude: 0 }),
  },
  {
    name: "black-box event: event_type missing (required)", code: "23502", table: "black_box_events", column: "user_id", value: () => owner.id,
    send: (client) => client.from("black_box_events").insert({ payload: { step: 1 } }),
  },
  {
    name: "black-box event: payload that is not an object", code: "23514", table: "black_box_events", column: "user_id", value: () => owner.id,
    send: (client) => client.from("black_box_events").insert({ event_type: "wizard.step", payload: [1, 2] }),
  },
  {
    name: "RPC: session id that is not a uuid", code: "22P02", table: "profiles", column: "id", value: () => owner.id,
    send: (client) => client.rpc("revoke_session", { session_id: "not-a-uuid" }),
  },
  {
    name: "RPC: consent kind outside the enum", code: "23514", table: "consent_logs", column: "user_id", value: () => owner.id,
    send: async (client) => {
      const { data: settings } = await client.rpc("public_settings");
      return client.rpc("record_consent", { version: settings.consent_version, kind: "everything" });
    },
  },
];

describe("bad input is refused and writes nothing", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const before = await rowsAsStored(c.table, c.column, c.value());
    const answer = await c.send(owner.client);
    expectRefused(answer, c.code);
    expect(answer.status).toBe(400);
    expect(await rowsAsStored(c.table, c.column, c.value())).toEqual(before);
  });
});

describe("bad input in a filter or a call", () => {
  it("a filter value of the wrong type is refused with 22P02", async () => {
    const answer = await owner.client.from("profiles").select("id").eq("id", "not-a-uuid");
    expectRefused(answer, "22P02");
  });

  it("an RPC called without a required argument is refused with PGRST202 (no such function)", async () => {
    const answer = await owner.client.rpc("record_consent", {});
    expectRefused(answer, "PGRST202");
    expect(answer.status).toBe(404);
  });
});
