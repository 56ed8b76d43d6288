// The wizard's deploy step (deploy-agent) and the preconditions: a deployment starts by itself the
// moment the last of profile, consent and payment is in, whichever order they come in.
// Area codes of this suite: 763, 952 (Minnesota).
import { beforeAll, describe, expect, it } from "vitest";
import { ANON_KEY, callFunction } from "../helpers/stack.ts";
import {
  auditActions,
  completeProfile,
  deploymentOf,
  newBusiness,
  numbersOf,
  RETELL_ENV,
  requestDeploymentLikeStripe,
  setInventory,
  settled,
  startSubscription,
  waitForDeployment,
} from "./fixtures.ts";

const wizardPayload = (areaCode: string) => ({
  business_name: "Frost & Flame HVAC",
  area_code: areaCode,
  industry: "hvac",
  business_hours: { mon: ["08:00", "17:00"], sat: ["09:00", "12:00"] },
  transfer_number: "(612) 555-0199",
  agent_tone: "professional",
  schedule_summary: "Weekdays 8 to 5, Saturday mornings",
  standard_fee: 89,
  emergency_fee: 189,
});

beforeAll(async () => {
  await setInventory({ "763": 50, "952": 50 });
});

describe("deploy-agent", () => {
  it("saves the wizard's details and deploys one number bound to the pinned master agent", async () => {
    const owner = await newBusiness({ areaCode: "763", profile: false });
    expect((await owner.client.rpc("record_consent", { version: "v1" })).error).toBeNull();

    const answer = await callFunction("deploy-agent", { token: owner.accessToken, body: wizardPayload("763") });
    expect(answer.status).toBe(202);
    expect(answer.body.deployment).toMatchObject({ status: "pending", model: "shared", user_id: owner.id });

    const deployment = await waitForDeployment(owner.id, settled);
    expect(deployment).toMatchObject({
      deploy_status: "active",
      model: "shared",
      retell_agent_id: RETELL_ENV.RETELL_MASTER_AGENT_ID_HVAC,
      retell_agent_version: Number(RETELL_ENV.RETELL_AGENT_VERSION_HVAC),
      area_code_requested: "763",
      area_code_obtained: "763",
      area_codes_tried: ["763"],
      deploy_error_code: null,
    });

    const [number] = await numbersOf(owner.id);
    expect(number.phone_number).toBe(deployment.phone_number);
    const binding = [{ agent_id: RETELL_ENV.RETELL_MASTER_AGENT_ID_HVAC, agent_version: 1, weight: 1 }];
    expect(number.inbound_agents).toEqual(binding);
    expect(number.outbound_agents).toEqual(binding);
    expect(number.inbound_webhook_url).toMatch(/\/functions\/v1\/retell-inbound$/);

    const { data: profile } = await owner.client.from("profiles").select("*").eq("id", owner.id).single();
    expect(profile).toMatchObject({
      business_name: "Frost & Flame HVAC",
      transfer_number: "+16125550199",
      agent_tone: "professional",
      business_hours: { mon: ["08:00", "17:00"], sat: ["09:00", "12:00"] },
      deploy_error: null,
    });
    expect(await auditActions(owner.id)).toEqual(
      expect.arrayContaining(["agent.deploy_requested", "agent.deploy_claimed", "agent.number_purchase_started", "agent.deployed"]),
    );

    // A second click once deployed changes nothing.
    const again = await callFunction("deploy-agent", { token: owner.accessToken, body: wizardPayload("763") });
    expect(again.status).toBe(200);
    expect(again.body.deployment).toMatchObject({ status: "active", phone_number: deployment.phone_number });
    expect(await numbersOf(owner.id)).toHaveLength(1);
  });

  it("waits for payment when the wizard comes first, and deploys when the subscription starts", async () => {
    const owner = await newBusiness({ areaCode: "952", paid: false });
    const answer = await callFunction("deploy-agent", { token: owner.accessToken, body: wizardPayload("952") });
    expect(answer.status).toBe(202);
    expect(answer.body.deployment).toMatchObject({ status: "waiting_for_profile", waiting_for: ["subscription"] });

    await startSubscription(owner.id);
    const deployment = await waitForDeployment(owner.id, settled);
    expect(deployment.deploy_status).toBe("active");
    expect(await numbersOf(owner.id)).toHaveLength(1);
  });

  it("refuses bad input with a 400 naming each field, and writes nothing", async () => {
    const owner = await newBusiness({ areaCode: "952", profile: false });
    const answer = await callFunction("deploy-agent", {
      token: owner.accessToken,
      body: { business_name: " ", area_code: "12", industry: "pools", transfer_number: "call me", business_hours: { mon: ["17:00", "08:00"] } },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe("invalid_payload");
    for (const field of ["business_name", "area_code", "industry", "transfer_number", "business_hours.mon"]) {
      expect(answer.body.error.message).toContain(field);
    }
    expect(await deploymentOf(owner.id)).toBeUndefined();
    const { data: profile } = await owner.client.from("profiles").select("business_name").eq("id", owner.id).single();
    expect(profile?.business_name).toBeNull();

    const notJson = await callFunction("deploy-agent", { token: owner.accessToken, rawBody: "{" });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.code).toBe("invalid_json");
  });

  it("answers 401 without a signed-in user", async () => {
    const anonymous = await callFunction("deploy-agent", { token: ANON_KEY, body: wizardPayload("952") });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe("not_signed_in");
    expect((await callFunction("deploy-agent", { body: wizardPayload("952") })).status).toBe(401);
  });

  it("limits each user to 6 requests a minute: 429 with Retry-After", async () => {
    // Not paid, so nothing is bought however many requests get through.
    const owner = await newBusiness({ areaCode: "952", paid: false });
    const answers = await Promise.all(
      Array.from({ length: 14 }, () => callFunction("deploy-agent", { token: owner.accessToken, body: wizardPayload("952") })),
    );
    const limited = answers.filter((a) => a.status === 429);
    // 14 requests cover at most two fixed one-minute windows of 6.
    expect(limited.length).toBeGreaterThanOrEqual(2);
    expect(answers.filter((a) => a.status === 202).length).toBe(14 - limited.length);
    for (const answer of limited) {
      expect(answer.body.error.code).toBe("rate_limited");
      const retryAfter = Number(answer.headers.get("retry-after"));
      expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    }
  });
});

describe("payment before profile", () => {
  it("waits for the profile and consent, then deploys by itself when they are complete", async () => {
    const owner = await newBusiness({ areaCode: "952", profile: false });
    await requestDeploymentLikeStripe(owner.id);
    const waiting = await deploymentOf(owner.id);
    expect(waiting).toMatchObject({ deploy_status: "waiting_for_profile" });
    expect(waiting!.waiting_for.sort()).toEqual(["area_code", "business_name", "consent", "industry"]);

    // The owner fills in the wizard later: business details first, consent last.
    const { error } = await owner.client
      .from("profiles")
      .update({ business_name: "Late Bloomer Plumbing", industry: "plumbing", area_code: "952" })
      .eq("id", owner.id);
    expect(error).toBeNull();
    expect(await deploymentOf(owner.id)).toMatchObject({ deploy_status: "waiting_for_profile", waiting_for: ["consent"] });
    await completeProfile(owner, { areaCode: "952", industry: "plumbing" });

    const deployment = await waitForDeployment(owner.id, settled);
    expect(deployment).toMatchObject({
      deploy_status: "active",
      retell_agent_id: RETELL_ENV.RETELL_MASTER_AGENT_ID_PLUMBING,
      // No RETELL_AGENT_VERSION_PLUMBING locally: the number follows the master's latest version.
      retell_agent_version: null,
    });
    const [number] = await numbersOf(owner.id);
    expect(number.inbound_agents).toEqual([{ agent_id: RETELL_ENV.RETELL_MASTER_AGENT_ID_PLUMBING, weight: 1 }]);
    expect(await auditActions(owner.id)).toContain("agent.deploy_resumed");
  });
});
