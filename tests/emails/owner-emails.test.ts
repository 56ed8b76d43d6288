// The owner emails, each queued by the change that causes it and sent by send-emails through the
// Resend fake: welcome after sign-up, "your receptionist is live" with the number, the deployment
// failure the owner must act on, and a referral reward approved. Each goes out once, with its
// dedupe key as the Idempotency-Key, however often send-emails runs.
// Area codes of this suite: 859 (numbers for sale), 907 (none).
import type { SupabaseClient } from "@supabase/supabase-js";
import { beforeAll, describe, expect, it } from "vitest";
import { signIn } from "../../stack/auth.ts";
import { fakeUrl } from "../../stack/config.ts";
import { callFunction, newUser, SERVICE_ROLE_KEY, sql } from "../helpers/stack.ts";
import { clientAs } from "../data-model/fixtures.ts";
import { newBusiness, requestDeploymentLikeStripe, setInventory, settled, waitForDeployment } from "../provisioning/fixtures.ts";

type SentEmail = { to: string[]; subject: string; text: string; html: string; idempotency_key: string };

async function emailsTo(address: string): Promise<SentEmail[]> {
  const sent = (await (await fetch(`${fakeUrl("resend")}/__control/emails`)).json()) as SentEmail[];
  return sent.filter((email) => email.to.includes(address));
}

/** Waits until `address` got an email whose subject matches, and returns that email. */
async function waitForEmail(address: string, subject: RegExp): Promise<SentEmail> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const found = (await emailsTo(address)).find((email) => subject.test(email.subject));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no email "${subject}" to ${address}: ${JSON.stringify(await emailsTo(address))}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

let admin: SupabaseClient;

beforeAll(async () => {
  await setInventory({ "859": 10, "907": 0 });
  admin = clientAs(await signIn("admin@example.com"));
});

describe("owner emails", () => {
  it("welcome an owner who signed up, once, even when send-emails runs again", async () => {
    const owner = await newUser("welcome");
    const email = await waitForEmail(owner.email, /^Welcome/);
    expect(email.idempotency_key).toBe(`welcome:${owner.id}`);
    expect(email.text).toContain("/onboarding");
    expect(email.html).toContain("<p>");

    expect((await callFunction("send-emails", { token: SERVICE_ROLE_KEY, body: {} })).status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await emailsTo(owner.email)).filter((e) => /^Welcome/.test(e.subject))).toHaveLength(1);
    const [queued] = await sql`select sent_at, attempts from private.email_outbox where dedupe_key = ${"welcome:" + owner.id}`;
    expect(queued).toMatchObject({ sent_at: expect.any(Date), attempts: 1 });
  });

  it("tell the owner their receptionist is live, with the number and the business name", async () => {
    const owner = await newBusiness({ areaCode: "859" });
    await requestDeploymentLikeStripe(owner.id);
    const deployment = await waitForDeployment(owner.id, settled);
    expect(deployment.deploy_status).toBe("active");
    const email = await waitForEmail(owner.email, /is live$/);
    expect(email.subject).toBe("Your receptionist for Test Heating & Air is live");
    expect(email.text).toContain(deployment.phone_number);
    expect(email.html).toContain("Test Heating &amp; Air");
    expect(email.idempotency_key).toBe(`agent-live:${deployment.id}:${deployment.phone_number}`);
  });

  it("ask the owner for another area code when none has numbers", async () => {
    const owner = await newBusiness({ areaCode: "907" });
    await requestDeploymentLikeStripe(owner.id);
    expect((await waitForDeployment(owner.id, settled)).deploy_error_code).toBe("AREA_CODE_UNAVAILABLE");
    const email = await waitForEmail(owner.email, /^Action needed/);
    expect(email.text).toContain("907");
  });

  it("tell the referrer a reward was approved", async () => {
    const referrer = await newUser("reward-email");
    const referred = await newUser("reward-email-referred");
    const [{ id }] = await sql`insert into public.referrals (referrer_user_id, referred_user_id, code, reward_cents)
                              values (${referrer.id}, ${referred.id}, 'EMAILTEST', 4200) returning id`;
    expect((await admin.rpc("admin_decide_referral", { referral_id: id, decision: "approved" })).error).toBeNull();
    const email = await waitForEmail(referrer.email, /reward was approved/);
    expect(email.text).toContain("$42.00");
    expect(email.idempotency_key).toBe(`referral-approved:${id}`);
  });
});
