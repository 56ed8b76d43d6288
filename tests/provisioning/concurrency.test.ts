// At most one phone number per business, whatever arrives at once: double clicks in the wizard,
// redelivered checkout events, and concurrent kicks of the worker. Inventory is plentiful on
// purpose, so that a second purchase would succeed and show.
// Area codes of this suite: 612, 651 (Minnesota).
import { beforeAll, describe, expect, it } from "vitest";
import { callFunction, sql } from "../helpers/stack.ts";
import {
  auditActions,
  kickWorker,
  newBusiness,
  numbersOf,
  requestDeploymentLikeStripe,
  setInventory,
  settled,
  waitForDeployment,
  warmUpFunctions,
} from "./fixtures.ts";

beforeAll(async () => {
  await warmUpFunctions();
  await setInventory({ "612": 100, "651": 100 });
});

describe("one number per business under concurrency", () => {
  it("50 concurrent deploy requests and 10 redelivered checkout events buy exactly one number", async () => {
    const owner = await newBusiness({ areaCode: "612" });
    const body = { business_name: "Twin Cities Heating", area_code: "612", industry: "hvac" };

    const [answers] = await Promise.all([
      Promise.all(Array.from({ length: 50 }, () => callFunction("deploy-agent", { token: owner.accessToken, body }))),
      Promise.all(Array.from({ length: 10 }, () => requestDeploymentLikeStripe(owner.id))),
    ]);

    // The limiter let at most 6 per minute through (12 if the burst straddled a minute) and told
    // the rest when to come back.
    const accepted = answers.filter((a) => a.status === 200 || a.status === 202);
    const limited = answers.filter((a) => a.status === 429);
    expect(accepted.length + limited.length).toBe(50);
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    expect(accepted.length).toBeLessThanOrEqual(12);
    expect(limited.every((a) => Number(a.headers.get("retry-after")) >= 1)).toBe(true);

    const deployment = await waitForDeployment(owner.id, settled);
    expect(deployment.deploy_status).toBe("active");
    const numbers = await numbersOf(owner.id);
    expect(numbers).toHaveLength(1);
    expect(numbers[0].phone_number).toBe(deployment.phone_number);
    expect(deployment.deploy_attempts).toBe(1);

    const actions = await auditActions(owner.id);
    expect(actions.filter((a) => a === "agent.deploy_claimed")).toHaveLength(1);
    expect(actions.filter((a) => a === "agent.number_purchase_started")).toHaveLength(1);
  });

  it("of 50 concurrent kicks of the worker exactly one claims the deployment", async () => {
    const owner = await newBusiness({ areaCode: "651" });
    // A pending deployment whose own kick never arrived (the sweeper's case), so all kicks are ours.
    await sql`insert into public.agents (user_id) values (${owner.id})`;

    const answers = await Promise.all(Array.from({ length: 50 }, () => kickWorker(owner.id)));
    expect(answers.every((a) => a.status === 200 || a.status === 202)).toBe(true);
    expect(answers.filter((a) => a.body.claimed === true)).toHaveLength(1);

    const deployment = await waitForDeployment(owner.id, settled);
    expect(deployment).toMatchObject({ deploy_status: "active", deploy_attempts: 1 });
    expect(await numbersOf(owner.id)).toHaveLength(1);

    // Kicking an active deployment does nothing.
    const late = await kickWorker(owner.id);
    expect(late.body).toEqual({ claimed: false });
    expect(await numbersOf(owner.id)).toHaveLength(1);
  });

  it("only the service role may kick the worker", async () => {
    const owner = await newBusiness({ areaCode: "651", paid: false });
    const answer = await callFunction("agent-deployer", { token: owner.accessToken, body: { user_id: owner.id } });
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe("forbidden");
  });
});
