// What the old routes offered owners, now as table access under RLS or RPCs: settings, sign-in
// sessions, consent, customers and their history, leads, payouts, appointments, webhooks, and the
// customer-facing tracking link.
import { beforeAll, describe, expect, it } from "vitest";
import { signIn } from "../../stack/auth.ts";
import { anonClient, newUser, sql, type TestUser } from "../helpers/stack.ts";
import { expectRefused, insertRow, uniqueId, uniquePhone } from "./fixtures.ts";

describe("public_settings", () => {
  it("gives anyone what the frontend needs and nothing secret", async () => {
    const { data, error } = await anonClient().rpc("public_settings");
    expect(error).toBeNull();
    expect(Object.keys(data).sort()).toEqual(["consent_version", "is_admin", "wizard_maintenance_mode"]);
    expect(typeof data.wizard_maintenance_mode).toBe("boolean");
    expect(data.consent_version).toMatch(/\S/);
    expect(data.is_admin).toBe(false);
  });
});

describe("sign-in sessions", () => {
  it("lists the user's sessions, marking the current one", async () => {
    const user = await newUser("sessions");
    const second = await signIn(user.email);
    const { data, error } = await user.client.rpc("my_sessions");
    expect(error).toBeNull();
    expect(data.map((s: { id: string; is_current: boolean }) => [s.id, s.is_current]).sort()).toEqual(
      [[user.sessionId, true], [second.sessionId, false]].sort(),
    );
  });

  it("revokes one session of the user's, and none of anyone else's", async () => {
    const user = await newUser("revoke-one");
    const second = await signIn(user.email);
    const stranger = await newUser("revoke-stranger");

    expect(await user.client.rpc("revoke_session", { session_id: stranger.sessionId })).toMatchObject({ error: null, data: false });
    expect(await sql`select 1 from auth.sessions where id = ${stranger.sessionId}`).toHaveLength(1);

    expect(await user.client.rpc("revoke_session", { session_id: second.sessionId })).toMatchObject({ error: null, data: true });
    const { data } = await user.client.rpc("my_sessions");
    expect(data.map((s: { id: string }) => s.id)).toEqual([user.sessionId]);
  });

  it("revokes every other session and keeps the caller's", async () => {
    const user = await newUser("revoke-others");
    await signIn(user.email);
    await signIn(user.email);
    const bystander = await newUser("revoke-others-bystander");

    expect(await user.client.rpc("revoke_other_sessions")).toMatchObject({ error: null, data: 2 });
    const remaining = await sql`select id from auth.sessions where user_id = ${user.id}`;
    expect(remaining.map((s) => s.id)).toEqual([user.sessionId]);
    expect(await sql`select 1 from auth.sessions where id = ${bystander.sessionId}`).toHaveLength(1);
  });
});

describe("record_consent", () => {
  it("records the current version and stamps the profile", async () => {
    const user = await newUser("consent");
    const { data: settings } = await anonClient().rpc("public_settings");

    const { data, error } = await user.client.rpc("record_consent", { version: settings.consent_version });
    expect(error).toBeNull();
    expect(data).toMatchObject({ user_id: user.id, consent_version: settings.consent_version, consent_type: "terms_and_recording" });

    const { data: profile } = await user.client.from("profiles").select("consent_version, consent_accepted_at").eq("id", user.id).single();
    expect(profile?.consent_version).toBe(settings.consent_version);
    expect(profile?.consent_accepted_at).not.toBeNull();
    const { data: logged } = await user.client.from("consent_logs").select("consent_version");
    expect(logged).toEqual([{ consent_version: settings.consent_version }]);
  });

  it("refuses a version that is not the current one, writing nothing", async () => {
    const user = await newUser("consent-stale");
    expectRefused(await user.client.rpc("record_consent", { version: "v0-outdated" }), "22023");
    expect(await sql`select 1 from public.consent_logs where user_id = ${user.id}`).toHaveLength(0);
    const [profile] = await sql`select consent_version from public.profiles where id = ${user.id}`;
    expect(profile.consent_version).toBeNull();
  });
});

describe("customers and leads", () => {
  let owner: TestUser;
  let customerPhone: string;
  let customerId: string;
  let leadId: string;

  beforeAll(async () => {
    owner = await newUser("customers");
    customerPhone = uniquePhone();
    const businessNumber = uniquePhone();
    const customer = await insertRow("customers", { user_id: owner.id, phone: customerPhone, name: "Casey" });
    customerId = customer.id;
    const call = await insertRow("calls", {
      call_id: uniqueId("call_history"), user_id: owner.id, from_number: customerPhone, to_number: businessNumber, status: "ended", started_at: new Date(),
    });
    const thread = await insertRow("sms_conversations", { user_id: owner.id, customer_phone: customerPhone, business_number: businessNumber });
    await insertRow("sms_messages", {
      conversation_id: thread.id, user_id: owner.id, direction: "inbound", body: "Running late?", from_number: customerPhone,
      to_number: businessNumber, provider: "twilio", provider_message_id: uniqueId("SM"),
    });
    await insertRow("appointments", {
      user_id: owner.id, source: "ai_call", customer_name: "Casey", customer_phone: customerPhone, call_id: call.call_id,
      start_at: new Date(Date.now() + 86_400_000), end_at: new Date(Date.now() + 90_000_000),
    });
    leadId = (await insertRow("leads", { user_id: owner.id, call_id: call.call_id, customer_id: customer.id, name: "Casey", phone: customerPhone })).id;
  });

  it("customer_history returns one customer's calls, messages, appointments and leads", async () => {
    const { data, error } = await owner.client.rpc("customer_history", { customer_phone: customerPhone });
    expect(error).toBeNull();
    expect(data.customer).toMatchObject({ id: customerId, phone: customerPhone, name: "Casey" });
    expect(data.calls).toHaveLength(1);
    expect(data.messages).toEqual([expect.objectContaining({ body: "Running late?" })]);
    expect(data.appointments).toEqual([expect.objectContaining({ customer_name: "Casey", source: "ai_call" })]);
    expect(data.leads).toEqual([expect.objectContaining({ id: leadId })]);
  });

  it("customer_history knows nothing of another business's customer", async () => {
    const stranger = await newUser("customers-stranger");
    expect(await stranger.client.rpc("customer_history", { customer_phone: customerPhone })).toMatchObject({ error: null, data: null });
  });

  it("the owner annotates a customer", async () => {
    const { data, error } = await owner.client.from("customers").update({ name: "Casey Jones", notes: "Prefers mornings" })
      .eq("id", customerId).select("name, notes").single();
    expect(error).toBeNull();
    expect(data).toEqual({ name: "Casey Jones", notes: "Prefers mornings" });
  });

  it("the owner lists leads and flags one", async () => {
    const listed = await owner.client.from("leads").select("id, status, flagged").order("created_at");
    expect(listed.data).toEqual([{ id: leadId, status: "new", flagged: false }]);

    const { data, error } = await owner.client.from("leads").update({ flagged: true, flag_reason: "Spam caller", status: "lost" })
      .eq("id", leadId).select("flagged, flag_reason, status").single();
    expect(error).toBeNull();
    expect(data).toEqual({ flagged: true, flag_reason: "Spam caller", status: "lost" });
    const [stored] = await sql`select flagged, flag_reason from public.leads where id = ${leadId}`;
    expect(stored).toEqual({ flagged: true, flag_reason: "Spam caller" });
  });
});

describe("request_payout", () => {
  it("refuses a payout below the minimum, writing nothing", async () => {
    const user = await newUser("payout");
    const referred = await newUser("payout-referred");
    await insertRow("referrals", { referrer_user_id: user.id, referred_user_id: referred.id, code: "PAYOUT01", reward_cents: 1, status: "approved" });
    const refused = await user.client.rpc("request_payout", { method: "paypal", destination: "owner@example.com" });
    expectRefused(refused, "22023");
    expect(refused.error?.message).toContain("below the minimum payout");
    expect(await sql`select 1 from public.payout_requests where user_id = ${user.id}`).toHaveLength(0);
  });
});

describe("appointments and webhooks the owner manages", () => {
  it("the owner books, moves and cancels a manual appointment without naming themselves", async () => {
    const owner = await newUser("appointments");
    const booked = await owner.client.from("appointments").insert({
      customer_name: "Walk-in", customer_phone: uniquePhone(), start_at: "2030-01-07T15:00:00Z", end_at: "2030-01-07T16:00:00Z",
    }).select("id, user_id, source, status").single();
    expect(booked.error).toBeNull();
    expect(booked.data).toMatchObject({ user_id: owner.id, source: "manual", status: "scheduled" });

    const moved = await owner.client.from("appointments").update({ start_at: "2030-01-08T15:00:00Z", end_at: "2030-01-08T16:00:00Z", status: "rescheduled" })
      .eq("id", booked.data?.id).select("status").single();
    expect(moved.data).toEqual({ status: "rescheduled" });

    const removed = await owner.client.from("appointments").delete().eq("id", booked.data?.id).select("id");
    expect(removed.data).toEqual([{ id: booked.data?.id }]);
    expect(await sql`select 1 from public.appointments where user_id = ${owner.id}`).toHaveLength(0);
  });

  it("the owner adds a webhook, reads its signing secret, and removes it", async () => {
    const owner = await newUser("webhooks");
    const added = await owner.client.from("webhook_configs").insert({ url: "https://hooks.example.com/zap", events: ["lead_created"] })
      .select("id, user_id, secret, events").single();
    expect(added.error).toBeNull();
    expect(added.data).toMatchObject({ user_id: owner.id, events: ["lead_created"] });
    expect(added.data?.secret).toMatch(/^whsec_/);
    const removed = await owner.client.from("webhook_configs").delete().eq("id", added.data?.id).select("id");
    expect(removed.data).toEqual([{ id: added.data?.id }]);
  });
});

describe("tracking links", () => {
  it("anyone with the token sees the session; an unknown or expired token shows nothing", async () => {
    const owner = await newUser("tracking");
    await sql`update public.profiles set business_name = 'Tracked Plumbing' where id = ${owner.id}`;
    const started = await owner.client.from("tracking_sessions").insert({ technician_name: "Tess" }).select("id, token").single();
    expect(started.error).toBeNull();
    const point = await owner.client.from("tracking_points").insert({ session_id: started.data?.id, latitude: 40.7128, longitude: -74.006 });
    expect(point.error).toBeNull();

    const seen = await anonClient().rpc("tracking_session_by_token", { session_token: started.data?.token });
    expect(seen.error).toBeNull();
    expect(seen.data).toMatchObject({ status: "active", technician_name: "Tess", business_name: "Tracked Plumbing" });
    expect(seen.data.points).toEqual([expect.objectContaining({ latitude: 40.7128, longitude: -74.006 })]);

    expect((await anonClient().rpc("tracking_session_by_token", { session_token: "no-such-token" })).data).toBeNull();
    await sql`update public.tracking_sessions set expires_at = now() - interval '1 minute' where id = ${started.data?.id}`;
    expect((await anonClient().rpc("tracking_session_by_token", { session_token: started.data?.token })).data).toBeNull();
  });

  it("no points can be added to an ended session", async () => {
    const owner = await newUser("tracking-ended");
    const started = await owner.client.from("tracking_sessions").insert({}).select("id").single();
    await owner.client.from("tracking_sessions").update({ status: "ended" }).eq("id", started.data?.id);
    expectRefused(await owner.client.from("tracking_points").insert({ session_id: started.data?.id, latitude: 1, longitude: 1 }), "42501");
  });
});
