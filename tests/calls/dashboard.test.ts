// The dashboard read models through PostgREST, as the frontend calls them: a business's stats
// for its billing period and its daily analytics (its own rows only, also for an admin
// impersonating it), and the admin view across businesses.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "@supabase/supabase-js";
import ws from "ws";
import { callObject, postAsRetell, simulateCall } from "../../scripts/lib/call-simulator.ts";
import { ANON_KEY, API_URL, newUser, sql, type TestUser } from "../helpers/stack.ts";
import { newBusiness, uniqueCallId, uniquePhone, type Business } from "./fixtures.ts";

let business: Business;
let admin: TestUser;
let bookedCallId: string;

beforeAll(async () => {
  business = await newBusiness({ minutesAllowance: 100 });
  // The unsuccessful call below would earn a text-back, which these stats would count as SMS used.
  await sql`update public.profiles set text_back_enabled = false where id = ${business.user.id}`;
  bookedCallId = (await simulateCall({ to: business.number, from: uniquePhone(), minutes: 2 })).callId;
  await simulateCall({ to: business.number, from: uniquePhone(), minutes: 0.5, analysis: { call_successful: false, custom_analysis_data: {} } });
  const missed = callObject({ callId: uniqueCallId(), to: business.number, from: uniquePhone(), minutes: 0 }, "ended");
  await postAsRetell("retell-webhook", { event: "call_ended", call: { ...missed, call_status: "not_connected", disconnection_reason: "dial_no_answer" } });
  await sql`
    insert into public.appointments (user_id, source, customer_name, start_at, end_at, call_id)
    values (${business.user.id}, 'ai_call', 'Sam Caller', now() + interval '2 days', now() + interval '2 days 1 hour', ${bookedCallId})`;

  admin = await newUser("dashboard-admin");
  await sql`insert into private.admin_emails (email) values (${admin.email.toLowerCase()})`;
});

afterAll(async () => {
  await sql`delete from private.admin_emails where email = ${admin.email.toLowerCase()}`;
});

describe("dashboard_stats", () => {
  it("sums the business's billing period in one call", async () => {
    const { data, error } = await business.user.client.rpc("dashboard_stats");
    expect(error).toBeNull();
    expect(data).toMatchObject({
      calls: 3,
      answered_calls: 2,
      refused_calls: 0,
      minutes_used: 3,
      minutes_left: 97,
      sms_left: 500,
      cap_reached_at: null,
      leads: 1,
      new_leads: 1,
      appointments: 1,
      upcoming_appointments: 1,
      answer_rate: 0.667,
      booking_rate: 0.5,
    });
    expect(data.recent_calls).toHaveLength(3);
    const booked = data.recent_calls.find((call: any) => call.call_id === bookedCallId);
    expect(booked).toMatchObject({ status: "ended", duration_seconds: 120, has_recording: true, lead_id: expect.any(String) });
  });

  it("shows another user only their own (empty) numbers", async () => {
    const stranger = await newUser("dashboard-stranger");
    const { data } = await stranger.client.rpc("dashboard_stats");
    expect(data).toMatchObject({ calls: 0, minutes_used: 0, leads: 0, minutes_left: null, answer_rate: null, recent_calls: [] });
  });

  it("shows an impersonating admin the business's numbers", async () => {
    const { data: session, error } = await admin.client.rpc("admin_start_impersonation", {
      target_user_id: business.user.id, reason: "dashboard support", minutes: 5,
    });
    expect(error).toBeNull();
    const asBusiness = createClient(API_URL, ANON_KEY, {
      auth: { persistSession: false, autoRefreshToken: false },
      realtime: { transport: ws as unknown as typeof WebSocket },
      global: { headers: { Authorization: `Bearer ${admin.accessToken}`, "x-impersonation-session": session.id } },
    });
    const { data } = await asBusiness.rpc("dashboard_stats");
    expect(data).toMatchObject({ calls: 3, minutes_used: 3 });
    await admin.client.rpc("admin_end_impersonation", { session_id: session.id });
  });

  it("is not callable anonymously", async () => {
    const { error } = await createClient(API_URL, ANON_KEY, { realtime: { transport: ws as unknown as typeof WebSocket } }).rpc("dashboard_stats");
    expect(error).not.toBeNull();
  });
});

describe("analytics", () => {
  it("gives one entry per day, today's holding the calls", async () => {
    const { data, error } = await business.user.client.rpc("analytics", { days: 7 });
    expect(error).toBeNull();
    expect(data.time_zone).toBe("America/Chicago");
    expect(data.days).toHaveLength(7);
    const totals = data.days.reduce(
      (sum: Record<string, number>, day: Record<string, number>) => ({ calls: sum.calls + day.calls, minutes: sum.minutes + day.minutes, leads: sum.leads + day.leads }),
      { calls: 0, minutes: 0, leads: 0 },
    );
    expect(totals).toEqual({ calls: 3, minutes: 3, leads: 1 });
    expect(data.days.map((day: { date: string }) => day.date)).toEqual([...data.days.map((day: { date: string }) => day.date)].sort());
  });

  it("refuses a window outside 1-366 days with a clear error", async () => {
    const { error } = await business.user.client.rpc("analytics", { days: 0 });
    expect(error?.code).toBe("22023");
    expect(error?.message).toMatch(/days must be between 1 and 366/);
  });
});

describe("admin_dashboard_stats", () => {
  it("refuses a business owner", async () => {
    const { error } = await business.user.client.rpc("admin_dashboard_stats", { days: 30 });
    expect(error?.code).toBe("42501");
  });

  it("sums every business for an admin", async () => {
    const { data, error } = await admin.client.rpc("admin_dashboard_stats", { days: 30 });
    expect(error).toBeNull();
    expect(data.calls).toBeGreaterThanOrEqual(3);
    expect(data.minutes).toBeGreaterThanOrEqual(3);
    expect(data.businesses).toBeGreaterThanOrEqual(1);
    expect(data.top_businesses.length).toBeGreaterThan(0);
    expect(data.recent_calls.length).toBeGreaterThan(0);
    for (const key of ["live_numbers", "businesses_over_cap", "answered_calls", "refused_calls", "leads", "appointments", "answer_rate", "booking_rate"]) {
      expect(data).toHaveProperty(key);
    }
  });
});
