// Referrals end to end, as users and Stripe do it: a business signs up through supabase-js with
// another's code in its metadata, appears in the referrer's stats, pays its first checkout (signed
// Stripe events through stripe-webhook), and the reward waits for an admin, who approves it; the
// referrer asks for the payout and the admin pays it. Plus the sign-ups that must record nothing.
import type { SupabaseClient } from "@supabase/supabase-js";
import { randomUUID } from "node:crypto";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { signIn } from "../../stack/auth.ts";
import { TEST_PASSWORD } from "../../stack/config.ts";
import { anonClient, newUser, sql, userClient, type TestUser } from "../helpers/stack.ts";
import { clientAs } from "../data-model/fixtures.ts";
import { completeCheckout, deliver, startCheckout, subscribe, subscriptionEvent } from "../billing/stripe.ts";

let admin: SupabaseClient;

beforeAll(async () => {
  admin = clientAs(await signIn("admin@example.com"));
});

// The settings are global and other suites change them (the hostile suite calls every admin RPC):
// each test starts from the defaults, and leaves them behind.
const defaultSettings = () => sql`update public.referral_settings set enabled = true, reward_cents = 5000, min_payout_cents = 5000`;
beforeEach(defaultSettings);
afterEach(defaultSettings);

/** Signs up through Auth as the frontend does, with the metadata given; returns the signed-in user. */
async function signUp(email: string, data: Record<string, unknown>): Promise<TestUser> {
  const answer = await anonClient().auth.signUp({ email, password: TEST_PASSWORD, options: { data } });
  expect(answer.error).toBeNull();
  const session = answer.data.session!;
  return { id: answer.data.user!.id, email, sessionId: "", accessToken: session.access_token, refreshToken: session.refresh_token, client: userClient(session.access_token) };
}

const uniqueEmail = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}@test.local`;

async function codeOf(user: TestUser): Promise<string> {
  const { data } = await user.client.rpc("referral_stats");
  return data.referral_code;
}

async function referralsOf(referredId: string) {
  return sql`select referrer_user_id, status, reward_cents, qualified_at from public.referrals where referred_user_id = ${referredId}`;
}

describe("referrals", () => {
  it("go from sign-up through the first payment and approval to a paid-out reward", async () => {
    const referrer = await newUser("referrer");
    const code = await codeOf(referrer);
    expect((await referrer.client.rpc("referral_stats")).data).toMatchObject({ sign_ups: 0, paid: 0, pending_cents: 0 });

    // The code as someone would type it: lower case, with spaces.
    const referred = await signUp(uniqueEmail("referred"), { referral_code: ` ${code.toLowerCase()} `, full_name: "Ref Erred" });
    expect(await referralsOf(referred.id)).toEqual([{ referrer_user_id: referrer.id, status: "signed_up", reward_cents: 5000, qualified_at: null }]);
    expect((await referrer.client.rpc("referral_stats")).data).toMatchObject({ sign_ups: 1, paid: 0, pending_count: 0 });
    // The referred business sees nothing of the referrer's.
    expect((await referred.client.from("referrals").select("id")).data).toEqual([]);

    // The first paid checkout makes the reward due, at the reward then in force, once.
    await sql`update public.referral_settings set reward_cents = 7000, min_payout_cents = 7000`;
    const checkout = await subscribe(referred, "pro");
    const [due] = await referralsOf(referred.id);
    expect(due).toMatchObject({ status: "pending", reward_cents: 7000, qualified_at: expect.any(Date) });
    expect((await referrer.client.rpc("referral_stats")).data).toMatchObject({ sign_ups: 1, paid: 1, pending_count: 1, pending_cents: 7000 });
    expect((await deliver(checkout)).body).toMatchObject({ outcome: "duplicate" });
    expect((await referralsOf(referred.id))[0]).toEqual(due);

    // An admin approves it; the referrer asks for the payout; the admin approves and pays it.
    const [{ id: referralId }] = await sql`select id from public.referrals where referred_user_id = ${referred.id}`;
    expect((await admin.rpc("admin_decide_referral", { referral_id: referralId, decision: "approved" })).error).toBeNull();
    expect((await referrer.client.rpc("referral_stats")).data).toMatchObject({ pending_count: 0, approved_count: 1, approved_cents: 7000 });
    const payout = await referrer.client.rpc("request_payout", { method: "paypal", destination: "referrer@example.com" });
    expect(payout.error).toBeNull();
    expect(payout.data).toMatchObject({ amount_cents: 7000, status: "requested" });
    expect((await admin.rpc("admin_decide_payout", { payout_id: payout.data.id, decision: "approved" })).error).toBeNull();
    expect((await admin.rpc("admin_decide_payout", { payout_id: payout.data.id, decision: "paid" })).data).toMatchObject({ status: "paid" });
    expect((await referrer.client.rpc("referral_stats")).data).toMatchObject({
      sign_ups: 1, paid: 1, pending_cents: 0, approved_cents: 0, paid_out_count: 1, paid_out_cents: 7000,
    });
  });

  it("a renewal or a redelivered checkout does not make a second reward due", async () => {
    const referrer = await newUser("referrer-once");
    const referred = await signUp(uniqueEmail("referred-once"), { referral_code: await codeOf(referrer) });
    const started = await startCheckout(referred, { kind: "subscription", plan: "core" });
    const completed = await completeCheckout(started.body.id);
    expect((await deliver(completed)).body).toMatchObject({ outcome: "applied" });
    const [{ id }] = await sql`select id from public.referrals where referred_user_id = ${referred.id}`;
    expect((await admin.rpc("admin_decide_referral", { referral_id: id, decision: "approved" })).error).toBeNull();
    expect((await deliver(completed)).body).toMatchObject({ outcome: "duplicate" });
    const renewal = await subscriptionEvent(completed.event.data.object.subscription, "customer.subscription.updated");
    expect((await deliver(renewal)).body).toMatchObject({ outcome: "applied" });
    expect(await referralsOf(referred.id)).toMatchObject([{ status: "approved" }]);
  });

  it("records nothing, and signs up fine, for an unknown code, one's own mailbox again, or a closed programme", async () => {
    const unknown = await signUp(uniqueEmail("unknown-code"), { referral_code: "NOSUCHCODE00" });
    expect(await referralsOf(unknown.id)).toEqual([]);

    // The referrer's second account through a +tag of the same mailbox.
    const local = `self-${randomUUID().slice(0, 8)}`;
    const referrer = await signUp(`${local}@test.local`, {});
    const second = await signUp(`${local}+again@TEST.local`, { referral_code: await codeOf(referrer) });
    expect(await referralsOf(second.id)).toEqual([]);

    // A referred business's second account with the same mailbox, through the same code.
    const friend = `friend-${randomUUID().slice(0, 8)}`;
    const first = await signUp(`${friend}@test.local`, { referral_code: await codeOf(referrer) });
    expect(await referralsOf(first.id)).toHaveLength(1);
    const again = await signUp(`${friend}+2@test.local`, { referral_code: await codeOf(referrer) });
    expect(await referralsOf(again.id)).toEqual([]);

    await sql`update public.referral_settings set enabled = false`;
    const closed = await signUp(uniqueEmail("closed"), { referral_code: await codeOf(referrer) });
    expect(await referralsOf(closed.id)).toEqual([]);
    expect((await referrer.client.rpc("referral_stats")).data).toMatchObject({ sign_ups: 1, programme_enabled: false });
  });

  it("admins change the settings (audited) and reject a referral that never paid; owners cannot", async () => {
    const owner = await newUser("referral-settings-owner");
    expect((await owner.client.rpc("admin_update_referral_settings", { reward_cents: 1 })).error?.code).toBe("42501");

    const changed = await admin.rpc("admin_update_referral_settings", { reward_cents: 2500 });
    expect(changed.error).toBeNull();
    expect(changed.data).toMatchObject({ enabled: true, reward_cents: 2500, min_payout_cents: 5000 });
    const [audit] = await sql`select details from public.audit_logs where action = 'referral_settings.update' order by id desc limit 1`;
    expect(audit.details).toMatchObject({ before: { reward_cents: 5000 }, after: { reward_cents: 2500 } });
    const bad = await admin.rpc("admin_update_referral_settings", { min_payout_cents: -1 });
    expect(bad.error?.code).toBe("22023");
    expect(bad.status).toBe(400);

    const referred = await signUp(uniqueEmail("never-paid"), { referral_code: await codeOf(owner) });
    const [{ id }] = await sql`select id from public.referrals where referred_user_id = ${referred.id}`;
    expect((await admin.rpc("admin_decide_referral", { referral_id: id, decision: "approved" })).error?.code).toBe("22023");
    expect((await admin.rpc("admin_decide_referral", { referral_id: id, decision: "rejected" })).data).toMatchObject({ status: "rejected" });
    expect((await owner.client.rpc("referral_stats")).data).toMatchObject({ sign_ups: 1, paid: 0, rejected_count: 1 });
  });
});
