// Retell failing under a deployment: a purchase that times out (it may or may not have happened)
// and Retell answering 5xx. The retry never buys a second number: after an ambiguous purchase it
// first looks for the business's marked number at Retell.
// Area codes of this suite: 507, 320, 218 (Minnesota).
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { sql } from "../helpers/stack.ts";
import {
  auditActions,
  buyNumberAtRetell,
  deploymentOf,
  type Deployment,
  kickWorker,
  newBusiness,
  numbersOf,
  RETELL_ENV,
  requestDeploymentLikeStripe,
  setInventory,
  setRetellFaults,
  settled,
  waitForDeployment,
  warmUpFunctions,
} from "./fixtures.ts";

beforeAll(async () => {
  await warmUpFunctions();
  await setInventory({ "507": 20, "320": 20, "218": 20 });
});

// A fault a test set and did not see consumed would hit someone else's request.
let faultArmed = false;
afterEach(async () => {
  if (faultArmed) await setRetellFaults({});
  faultArmed = false;
});

/** Requests the deployment with the fake set to leave the next Retell request unanswered. */
async function deployIntoATimeout(userId: string): Promise<Deployment> {
  faultArmed = true;
  await setRetellFaults({ hangNext: 1 });
  await requestDeploymentLikeStripe(userId);
  // The client gives up after 10 s; the attempt then ends with a retry scheduled.
  const retrying = await waitForDeployment(userId, (d) => d.deploy_status === "pending" && d.deploy_attempts === 1, 25_000);
  faultArmed = false;
  return retrying;
}

/** Kicks the worker until it takes the deployment again (once the retry delay is over). */
async function retryNow(userId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await kickWorker(userId)).body.claimed !== true) {
    const deployment = await deploymentOf(userId);
    if (deployment?.deploy_status !== "pending") return; // the sweeper got there first
    if (Date.now() > deadline) throw new Error("the retry was never claimed");
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

describe("a purchase that times out", () => {
  it("is recorded as an unknown outcome and retried after a delay", async () => {
    const owner = await newBusiness({ areaCode: "507" });
    const retrying = await deployIntoATimeout(owner.id);
    expect(retrying).toMatchObject({ deploy_error_code: "RETELL_OUTCOME_UNKNOWN", phone_number: null });
    expect(retrying.next_attempt_at.getTime()).toBeGreaterThan(Date.now());
    expect(await auditActions(owner.id)).toContain("agent.deploy_retry_scheduled");
    // The owner is not shown an error while a retry is pending.
    const [profile] = await sql`select deploy_error from public.profiles where id = ${owner.id}`;
    expect(profile.deploy_error).toBeNull();

    await retryNow(owner.id);
    const deployment = await waitForDeployment(owner.id, settled);
    expect(deployment).toMatchObject({ deploy_status: "active", deploy_attempts: 2, deploy_error_code: null });
    const numbers = await numbersOf(owner.id);
    expect(numbers).toHaveLength(1);
    expect(numbers[0].phone_number).toBe(deployment.phone_number);
  }, 60_000);

  it("adopts the number Retell bought after all instead of buying a second one", async () => {
    const owner = await newBusiness({ areaCode: "320" });
    await deployIntoATimeout(owner.id);
    // Retell completed the purchase although we never heard back: the number carries our marker.
    const binding = [{ agent_id: RETELL_ENV.RETELL_MASTER_AGENT_ID_HVAC, agent_version: 1, weight: 1 }];
    const bought = await buyNumberAtRetell({
      area_code: 320,
      nickname: `rcpt:${owner.id}`,
      inbound_agents: binding,
      outbound_agents: binding,
    });

    await retryNow(owner.id);
    const deployment = await waitForDeployment(owner.id, settled);
    expect(deployment).toMatchObject({ deploy_status: "active", phone_number: bought.phone_number, area_code_obtained: "320" });
    expect(await numbersOf(owner.id)).toHaveLength(1);
    const [deployed] = await sql`
      select details from public.audit_logs where on_behalf_of_user_id = ${owner.id} and action = 'agent.deployed'`;
    expect(deployed.details).toMatchObject({ adopted: true, phone_number: bought.phone_number });
  }, 60_000);
});

describe("Retell answering 5xx", () => {
  it("schedules a retry with RETELL_UNAVAILABLE and the retry deploys", async () => {
    const owner = await newBusiness({ areaCode: "218" });
    faultArmed = true;
    await setRetellFaults({ failNext: 1, failStatus: 503 });
    await requestDeploymentLikeStripe(owner.id);
    const retrying = await waitForDeployment(owner.id, (d) => d.deploy_attempts === 1 && d.deploy_status === "pending");
    faultArmed = false;
    expect(retrying.deploy_error_code).toBe("RETELL_UNAVAILABLE");

    await retryNow(owner.id);
    const deployment = await waitForDeployment(owner.id, settled);
    expect(deployment.deploy_status).toBe("active");
    expect(await numbersOf(owner.id)).toHaveLength(1);
  }, 60_000);
});
