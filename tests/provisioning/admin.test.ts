// Operators' agent actions (admin-agents): quick onboard with a dedicated agent (Model B), the
// legacy clone path, deploying or retrying for any business, and updating a dedicated agent.
// Area codes of this suite: 505, 575 (New Mexico), 702, 725, 775 (Nevada).
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { fakeUrl } from "../../stack/config.ts";
import { anonClient, callFunction, sql, type TestUser } from "../helpers/stack.ts";
import {
  auditActions,
  newAdmin,
  newBusiness,
  numbersOf,
  RETELL_ENV,
  requestDeploymentLikeStripe,
  retellState,
  setInventory,
  settled,
  waitForDeployment,
  warmUpFunctions,
} from "./fixtures.ts";

let admin: TestUser;

beforeAll(async () => {
  await warmUpFunctions();
  await setInventory({ "505": 20, "575": 20, "702": 0, "725": 0, "775": 0 });
  admin = await newAdmin();
});

const asAdmin = (route: string, body: unknown) => callFunction(`admin-agents/${route}`, { token: admin.accessToken, body });

const onboarding = (email: string) => ({
  email,
  full_name: "Oscar Owner",
  business_name: "Desert Cool HVAC",
  industry: "hvac",
  area_code: "505",
  plan: "pro",
  consent_confirmed: true,
  transfer_number: "505-555-0142",
  standard_fee: 95,
});

/** The fake Retell account's view of a dedicated agent: its versions, its LLM's versions, its numbers. */
async function dedicatedAgentAtRetell(agentId: string) {
  const state = await retellState();
  const versions = state.agents.filter((a) => a.agent_id === agentId);
  const llmId = versions[0]?.response_engine?.llm_id;
  return { versions, llmVersions: state.llms.filter((l) => l.llm_id === llmId), state };
}

describe("quick onboard (Model B)", () => {
  let userId: string;
  let agentId: string;

  it("creates the business and one dedicated agent from the master's template, with its own webhook and pinned versions", async () => {
    const email = `quick-${randomUUID().slice(0, 8)}@test.local`;
    const answer = await asAdmin("quick-onboard", onboarding(email));
    expect(answer.status).toBe(202);
    expect(answer.body.deployment).toMatchObject({ model: "dedicated", status: "pending" });
    userId = answer.body.deployment.user_id;

    const deployment = await waitForDeployment(userId, settled);
    expect(deployment).toMatchObject({ deploy_status: "active", model: "dedicated", retell_agent_version: 0, area_code_obtained: "505" });
    agentId = deployment.retell_agent_id!;
    expect(agentId).not.toBe(RETELL_ENV.RETELL_MASTER_AGENT_ID_HVAC);

    // One agent, made for this business, on a copy of the master's LLM, version pinned and published.
    const state = await retellState();
    const made = state.agents.filter((a) => String(a.agent_name).includes(`rcpt:${userId}`));
    expect(made).toHaveLength(1);
    expect(made[0]).toMatchObject({
      agent_id: agentId,
      version: 0,
      is_published: true,
      voice_id: RETELL_ENV.RETELL_VOICE_ID,
      response_engine: { type: "retell-llm", llm_id: deployment.retell_llm_id, version: 0 },
    });
    expect(made[0].webhook_url).toMatch(/\/functions\/v1\/retell-webhook$/);
    const masterLlm = state.llms.find((l) => l.llm_id === RETELL_ENV.RETELL_LLM_ID_HVAC && l.version === 1);
    const copy = state.llms.find((l) => l.llm_id === deployment.retell_llm_id);
    expect(copy.llm_id).not.toBe(RETELL_ENV.RETELL_LLM_ID_HVAC);
    expect(copy.general_prompt).toBe(masterLlm.general_prompt);

    // One number, bound to that agent's pinned version.
    const numbers = await numbersOf(userId);
    expect(numbers).toHaveLength(1);
    expect(numbers[0].phone_number).toBe(deployment.phone_number);
    expect(numbers[0].inbound_agents).toEqual([{ agent_id: agentId, agent_version: 0, weight: 1 }]);

    // The business exists: profile with the consent the admin confirmed, subscription, allowances.
    const [business] = await sql`
      select p.business_name, p.consent_version, p.transfer_number, s.plan, s.status, l.call_minutes_allowance
      from public.profiles p join public.subscriptions s on s.user_id = p.id join public.usage_limits l on l.user_id = p.id
      where p.id = ${userId}`;
    expect(business).toMatchObject({ business_name: "Desert Cool HVAC", consent_version: "v1", transfer_number: "+15055550142", plan: "pro", status: "active" });
    expect(business.call_minutes_allowance).toBeGreaterThan(0);

    const [onboarded] = await sql`
      select actor_user_id from public.audit_logs where on_behalf_of_user_id = ${userId} and action = 'admin.quick_onboard'`;
    expect(onboarded.actor_user_id).toBe(admin.id);
    expect(await auditActions(userId)).toEqual(expect.arrayContaining(["agent.retell_agent_saved", "agent.deployed"]));
  });

  it("creates the owner's account through Auth (an invite), and the owner signs in with the emailed link", async () => {
    const [account] = await sql`
      select u.invited_at is not null as invited, u.confirmation_token <> '' as link_pending, u.raw_user_meta_data ->> 'full_name' as full_name,
             (select count(*)::int from auth.identities i where i.user_id = u.id) as identities
      from auth.users u where u.id = ${userId}`;
    expect(account).toEqual({ invited: true, link_pending: true, full_name: "Oscar Owner", identities: 1 });
    const [{ email }] = await sql`select email from auth.users where id = ${userId}`;
    const emails: { to: string[]; text: string }[] = await (await fetch(`${fakeUrl("resend")}/__control/emails`)).json();
    const invite = emails.find((e) => e.to.includes(email));
    const link = /(http\S+\/auth\/v1\/verify\S+)/.exec(invite?.text ?? "")?.[1];
    expect(link).toBeDefined();

    // The owner follows the link: Auth confirms them and sends them to the frontend signed in.
    const followed = await fetch(link!, { redirect: "manual" });
    expect(followed.status).toBe(303);
    const session = new URLSearchParams(new URL(followed.headers.get("location")!).hash.slice(1));
    const owner = anonClient();
    await owner.auth.setSession({ access_token: session.get("access_token")!, refresh_token: session.get("refresh_token")! });
    expect((await owner.from("profiles").select("id, business_name").single()).data).toEqual({ id: userId, business_name: "Desert Cool HVAC" });
    // And chooses a password, with which they sign in from then on.
    expect((await owner.auth.updateUser({ password: "desert-cool-owner" })).error).toBeNull();
    const signedIn = await anonClient().auth.signInWithPassword({ email, password: "desert-cool-owner" });
    expect(signedIn.data.user?.id).toBe(userId);
  });

  it("creates no account when the onboarding is refused", async () => {
    const email = `quick-${randomUUID().slice(0, 8)}@test.local`;
    const unknownPlan = await asAdmin("quick-onboard", { ...onboarding(email), plan: "platinum" });
    expect(unknownPlan.status).toBe(400);
    expect(await sql`select 1 from auth.users where email = ${email}`).toHaveLength(0);
  });

  it("refuses an email that already has an account, and an onboarding without confirmed consent", async () => {
    const taken = await asAdmin("quick-onboard", onboarding(admin.email));
    expect(taken.status).toBe(409);
    const unconfirmed = await asAdmin("quick-onboard", { ...onboarding(`quick-${randomUUID().slice(0, 8)}@test.local`), consent_confirmed: false });
    expect(unconfirmed.status).toBe(400);
    expect(unconfirmed.body.error.message).toContain("consent_confirmed");
  });

  it("update-agent publishes a new version with the changes and moves the number onto it", async () => {
    const answer = await asAdmin("update-agent", {
      user_id: userId,
      agent: { agent_name: "Desert Cool front desk" },
      llm: { general_prompt: "You answer for Desert Cool HVAC. Be brief." },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.retell_agent_version).toBe(1);
    expect(answer.body.deployment).toMatchObject({ status: "active" });

    const { versions, llmVersions } = await dedicatedAgentAtRetell(agentId);
    expect(versions.map((v) => [v.version, v.is_published, v.agent_name])).toEqual([
      [0, true, expect.stringContaining("Desert Cool HVAC")],
      [1, true, "Desert Cool front desk"],
    ]);
    expect(llmVersions.map((l) => l.general_prompt)[1]).toBe("You answer for Desert Cool HVAC. Be brief.");
    const [number] = await numbersOf(userId);
    expect(number.inbound_agents).toEqual([{ agent_id: agentId, agent_version: 1, weight: 1 }]);

    const [row] = await sql`select retell_agent_version from public.agents where user_id = ${userId}`;
    expect(row.retell_agent_version).toBe(1);
    const [audit] = await sql`
      select actor_user_id, details from public.audit_logs where on_behalf_of_user_id = ${userId} and action = 'agent.updated'`;
    expect(audit.actor_user_id).toBe(admin.id);
    expect(audit.details).toMatchObject({ retell_agent_id: agentId, retell_agent_version: 1, changed: ["agent_name", "llm.general_prompt"] });
  });

  it("update-agent refuses businesses on the shared master agent and requests without changes", async () => {
    const owner = await newBusiness({ areaCode: "575" });
    await requestDeploymentLikeStripe(owner.id);
    await waitForDeployment(owner.id, settled);
    const shared = await asAdmin("update-agent", { user_id: owner.id, agent: { agent_name: "Mine" } });
    expect(shared.status).toBe(409);
    const nothing = await asAdmin("update-agent", { user_id: userId });
    expect(nothing.status).toBe(400);
  });
});

describe("deploying for a business", () => {
  it("clone (the legacy path) gives an existing business a dedicated agent and one number", async () => {
    const owner = await newBusiness({ areaCode: "575", industry: "plumbing" });
    const answer = await asAdmin("clone", { user_id: owner.id });
    expect(answer.status).toBe(202);
    const deployment = await waitForDeployment(owner.id, settled);
    expect(deployment).toMatchObject({ deploy_status: "active", model: "dedicated", retell_agent_version: 0 });
    const { versions } = await dedicatedAgentAtRetell(deployment.retell_agent_id!);
    expect(versions[0].response_engine.llm_id).not.toBe(RETELL_ENV.RETELL_LLM_ID_PLUMBING);
    expect(await numbersOf(owner.id)).toHaveLength(1);
    const [requested] = await sql`
      select actor_user_id, details from public.audit_logs where on_behalf_of_user_id = ${owner.id} and action = 'agent.deploy_requested'`;
    expect(requested).toMatchObject({ actor_user_id: admin.id, details: { source: "admin", model: "dedicated" } });

    // An active shared or dedicated agent cannot be switched by a later request.
    const again = await asAdmin("deploy", { user_id: owner.id, model: "shared" });
    expect(again.status).toBe(409);
  });

  it("deploy retries a failed deployment once the cause is fixed", async () => {
    const owner = await newBusiness({ areaCode: "775" });
    await requestDeploymentLikeStripe(owner.id);
    const failed = await waitForDeployment(owner.id, settled);
    expect(failed).toMatchObject({ deploy_status: "failed", deploy_error_code: "AREA_CODE_UNAVAILABLE", area_codes_tried: ["775", "702", "725"] });

    await setInventory({ "725": 1 });
    const answer = await asAdmin("deploy", { user_id: owner.id });
    expect(answer.status).toBe(202);
    expect(answer.body.deployment).toMatchObject({ status: "pending", error_code: null });
    const deployment = await waitForDeployment(owner.id, settled);
    expect(deployment).toMatchObject({ deploy_status: "active", area_code_obtained: "725" });
    expect(await numbersOf(owner.id)).toHaveLength(1);
  });

  it("an admin impersonating an owner deploys for the owner through the wizard's endpoint", async () => {
    const owner = await newBusiness({ areaCode: "575" });
    const { data: session, error } = await admin.client.rpc("admin_start_impersonation", {
      target_user_id: owner.id,
      reason: "customer asked for help with the wizard",
    });
    expect(error).toBeNull();
    const answer = await callFunction("deploy-agent", {
      token: admin.accessToken,
      headers: { "x-impersonation-session": session.id },
      body: { business_name: "Helped Heating", area_code: "575", industry: "hvac" },
    });
    expect(answer.status).toBe(202);
    expect(answer.body.deployment.user_id).toBe(owner.id);
    expect((await waitForDeployment(owner.id, settled)).deploy_status).toBe("active");
    const [requested] = await sql`
      select actor_user_id, details from public.audit_logs where on_behalf_of_user_id = ${owner.id} and action = 'agent.deploy_requested'`;
    expect(requested).toMatchObject({ actor_user_id: admin.id, details: { source: "wizard" } });
    await admin.client.rpc("admin_end_impersonation", { session_id: session.id });
  });

  it("is for admins only, and names its routes", async () => {
    const owner = await newBusiness({ areaCode: "575", paid: false });
    const refused = await callFunction("admin-agents/deploy", { token: owner.accessToken, body: { user_id: owner.id } });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("forbidden");
    const onboard = await callFunction("admin-agents/quick-onboard", { token: owner.accessToken, body: onboarding(`x-${randomUUID()}@test.local`) });
    expect(onboard.status).toBe(403);
    expect((await asAdmin("deploy", { user_id: randomUUID() })).status).toBe(404);
    expect((await asAdmin("nothing-here", {})).status).toBe(404);
  });
});
