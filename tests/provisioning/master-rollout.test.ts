// Staged rollout of a master agent version (master-rollout job, admin RPCs) against the fake
// Retell: numbers move through the stages' inbound_agents weights and end on the new version; a
// new version whose calls end in error disconnections is halted and rolled back by itself; a run
// the fake fails halfway is completed by the next run; a pinned business is never touched.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callObject, postAsRetell } from "../../scripts/lib/call-simulator.ts";
import { callFunction, newUser, SERVICE_ROLE_KEY, sql, type TestUser } from "../helpers/stack.ts";
import { newBusiness as newCallBusiness, type Business, uniqueCallId, uniquePhone } from "../calls/fixtures.ts";
import {
  buyNumberAtRetell,
  kickWorker,
  newAdmin,
  newBusiness as newDeployBusiness,
  numbersOf,
  requestDeploymentLikeStripe,
  RETELL_ENV,
  type RetellNumber,
  retellState,
  setInventory,
  setRetellFaults,
  settled,
  waitForDeployment,
} from "./fixtures.ts";
import { fakeUrl } from "../../stack/config.ts";

const MASTER = RETELL_ENV.RETELL_MASTER_AGENT_ID_HVAC;
const PINNED_VERSION = Number(RETELL_ENV.RETELL_AGENT_VERSION_HVAC);
// Area codes no other suite buys in.
const AREA_CODE = 307;

const runJob = () => callFunction("master-rollout", { token: SERVICE_ROLE_KEY, body: {} });

async function retellApi(method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${fakeUrl("retell")}${path}`, {
    method,
    headers: { authorization: `Bearer ${RETELL_ENV.RETELL_API_KEY}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`fake Retell ${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** A new draft of the HVAC master made from `base`, as retell-template-sync makes one. */
const newDraft = async (base: number): Promise<number> =>
  (await retellApi("POST", `/create-agent-version/${MASTER}`, { base_version: base })).version;

const rollout = async (id: string) => (await sql`select * from public.master_rollouts where id = ${id}`)[0];

/** Runs the job until the rollout satisfies `done` (bounded). */
async function runUntil(id: string, done: (row: Record<string, any>) => boolean, runs = 30): Promise<Record<string, any>> {
  for (let i = 0; i < runs; i++) {
    const answer = await runJob();
    expect(answer.status).toBe(200);
    const row = await rollout(id);
    if (done(row)) return row;
  }
  throw new Error(`rollout ${id} did not get there: ${JSON.stringify(await rollout(id))}`);
}

const bindingAtRetell = async (number: string): Promise<RetellNumber> =>
  (await retellState()).phoneNumbers.find((n) => n.phone_number === number)!;

const versions = (n: RetellNumber) =>
  (n.inbound_agents ?? []).map((b) => `${b.agent_id}@${b.agent_version}=${b.weight}`).sort();

/** Ends `count` calls of the business answered by `version` of the master, as Retell reports them. */
async function endCalls(business: Business, version: number, count: number, disconnection = "user_hangup"): Promise<void> {
  for (let i = 0; i < count; i++) {
    const call = callObject({ callId: uniqueCallId("call_rollout"), to: business.number, from: uniquePhone(), minutes: 3 }, "ended");
    Object.assign(call, { agent_version: version, disconnection_reason: disconnection });
    const answer = await postAsRetell("retell-webhook", { event: "call_ended", call });
    expect(answer.status).toBe(200);
  }
}

let admin: TestUser;
let cronLocks: Awaited<ReturnType<typeof sql.reserve>>;
let businesses: Business[];
let pinned: Business;

/** A business of the HVAC master whose number the fake holds, bound to the pinned version. */
async function businessWithNumber(): Promise<Business> {
  const number = await buyNumberAtRetell({
    area_code: AREA_CODE,
    inbound_agents: [{ agent_id: MASTER, agent_version: PINNED_VERSION, weight: 1 }],
    outbound_agents: [{ agent_id: MASTER, agent_version: PINNED_VERSION, weight: 1 }],
  });
  return newCallBusiness({ number: number.phone_number });
}

beforeAll(async () => {
  // This suite runs the jobs itself: their cron starts do nothing meanwhile (private.run_cron_job
  // skips a start while its lock is held), so no run of theirs moves a rollout or meets the faults.
  cronLocks = await sql.reserve();
  await cronLocks`select pg_advisory_lock(hashtextextended('private.run_cron_job:' || name, 0))
                  from unnest(array['master-rollout', 'master-agent-health']) as name`;
  admin = await newAdmin();
  // Other suites' businesses of the HVAC master have numbers the fake never sold: each run records
  // them missing_at_retell. Short stages with few calls keep this suite quick; restored afterwards.
  await sql`update public.master_rollout_rules set min_calls_per_stage = 3, min_stage_minutes = 0, min_calls_to_compare = 3
            where industry = 'hvac'`;
  await sql`update public.master_rollouts set status = 'rolled_back', finished_at = now() where finished_at is null`;
  await sql`delete from public.master_rollouts where industry = 'hvac'`;
  await callFunction("master-agent-health", { token: SERVICE_ROLE_KEY, body: {} });
  businesses = await Promise.all([businessWithNumber(), businessWithNumber(), businessWithNumber()]);
  pinned = await businessWithNumber();
  const pin = await admin.client.rpc("admin_pin_master_version", { target_user_id: pinned.user.id, pinned: true });
  expect(pin.error).toBeNull();
});

afterAll(async () => {
  await cronLocks`select pg_advisory_unlock_all()`;
  cronLocks.release();
  await setRetellFaults({});
  await sql`update public.master_rollout_rules r set min_calls_per_stage = d.min_calls_per_stage, min_stage_minutes = d.min_stage_minutes,
              min_calls_to_compare = d.min_calls_to_compare
            from (select 20 as min_calls_per_stage, 60 as min_stage_minutes, 5 as min_calls_to_compare) d where r.industry = 'hvac'`;
  // Later suites deploy HVAC numbers on the configured pin again.
  await sql`delete from public.master_rollouts where industry = 'hvac'`;
  await sql`update public.calls set ended_at = ended_at - interval '1 day' where call_id like 'call_rollout_%' and ended_at > now() - interval '1 hour'`;
});

describe("master version rollout", () => {
  it("is started and rolled back by admins only, one at a time per industry", async () => {
    const owner = await newUser("rollout-owner");
    const refused = await owner.client.rpc("admin_start_master_rollout", { industry: "hvac" });
    expect(refused.error?.code).toBe("42501");
    const bad = await admin.client.rpc("admin_start_master_rollout", { industry: "hvac", stage_weights: [0.5, 0.9] });
    expect(bad.error?.code).toBe("22023");
    const same = await admin.client.rpc("admin_start_master_rollout", { industry: "hvac", to_version: PINNED_VERSION });
    expect(same.error?.code).toBe("PT409");
    expect(await sql`select * from public.master_rollouts where industry = 'hvac'`).toHaveLength(0);
  });

  let rolledOutVersion: number;
  let moved: number;

  it("rolls a published draft out in stages to every unpinned number of the industry", async () => {
    rolledOutVersion = await newDraft(PINNED_VERSION);
    const started = await admin.client.rpc("admin_start_master_rollout", { industry: "hvac", stage_weights: [0.25, 1] });
    expect(started.error).toBeNull();
    expect(started.data).toMatchObject({ status: "publishing", from_version: PINNED_VERSION, to_version: null });
    const again = await admin.client.rpc("admin_start_master_rollout", { industry: "hvac" });
    expect(again.error?.code).toBe("PT409");
    const [audit] = await sql`select * from public.audit_logs where action = 'master_rollout.start' and target_id = ${started.data.id}`;
    expect(audit).toBeDefined();

    // Published, then every number split 75/25 between the two versions.
    const id = started.data.id;
    let row = await runUntil(id, (r) => r.stage_bound_at !== null);
    expect(row).toMatchObject({ status: "rolling_out", to_version: rolledOutVersion, stage: 1 });
    expect((await retellState()).agents.find((a) => a.agent_id === MASTER && a.version === rolledOutVersion).is_published).toBe(true);
    for (const business of businesses) {
      expect(versions(await bindingAtRetell(business.number))).toEqual(
        [`${MASTER}@${PINNED_VERSION}=0.75`, `${MASTER}@${rolledOutVersion}=0.25`].sort(),
      );
    }

    // Not enough calls of the new version yet: the stage holds.
    await runJob();
    expect((await rollout(id)).stage).toBe(1);
    await endCalls(businesses[0], PINNED_VERSION, 3);
    await endCalls(businesses[1], rolledOutVersion, 3);
    row = await runUntil(id, (r) => r.stage === 2);
    // Other suites' calls on the master's old version may fall in the stage too.
    expect(row.comparison).toMatchObject({ new: { calls: 3, errors: 0 }, old: { errors: 0 }, worse: [] });
    expect(row.comparison.old.calls).toBeGreaterThanOrEqual(3);
    await runUntil(id, (r) => r.status === "completed");

    for (const business of businesses) {
      expect((await bindingAtRetell(business.number)).inbound_agents).toEqual([{ agent_id: MASTER, agent_version: rolledOutVersion, weight: 1 }]);
      expect((await bindingAtRetell(business.number)).outbound_agents).toEqual([{ agent_id: MASTER, agent_version: rolledOutVersion, weight: 1 }]);
    }
    const recorded = await sql`select user_id, retell_agent_version from public.agents where user_id in ${sql(businesses.map((b) => b.user.id))}`;
    expect(recorded.map((r) => r.retell_agent_version)).toEqual([rolledOutVersion, rolledOutVersion, rolledOutVersion]);
  });

  it("halts and rolls back by itself when the new version's calls end in error disconnections", async () => {
    const bad = await newDraft(rolledOutVersion);
    const started = await admin.client.rpc("admin_start_master_rollout", { industry: "hvac", to_version: bad, stage_weights: [0.5, 1] });
    expect(started.error).toBeNull();
    const id = started.data.id;
    await runUntil(id, (r) => r.stage_bound_at !== null);
    expect(versions(await bindingAtRetell(businesses[2].number))).toEqual(
      [`${MASTER}@${rolledOutVersion}=0.5`, `${MASTER}@${bad}=0.5`].sort(),
    );

    await endCalls(businesses[0], rolledOutVersion, 3);
    await endCalls(businesses[1], bad, 3, "error_llm_websocket_runtime");
    const row = await runUntil(id, (r) => r.status === "rolled_back");
    expect(row.halt_reason).toBe("error_share");
    expect(row.comparison.new).toMatchObject({ calls: 3, errors: 3 });
    for (const business of businesses) {
      expect((await bindingAtRetell(business.number)).inbound_agents).toEqual([{ agent_id: MASTER, agent_version: rolledOutVersion, weight: 1 }]);
    }
    const [alert] = await sql`select * from public.ops_alerts where dedupe_key = ${`master_rollout_halted:${id}`} and resolved_at is null`;
    expect(alert).toMatchObject({ kind: "master_rollout_halted", severity: "critical" });
  });

  it("completes on the next run a move the fake failed halfway, never leaving a number on two versions", async () => {
    const target = await newDraft(rolledOutVersion);
    const started = await admin.client.rpc("admin_start_master_rollout", { industry: "hvac", to_version: target, stage_weights: [1] });
    expect(started.error).toBeNull();
    const id = started.data.id;
    await runUntil(id, (r) => r.status === "rolling_out");

    // Two bindings go through, then Retell fails.
    await setRetellFaults({ passNext: 2, failNext: 1000, failStatus: 503 } as never);
    const interrupted = await runJob();
    await setRetellFaults({});
    expect(interrupted.status).toBe(200);
    expect(interrupted.body.rollouts.hvac.interrupted).toMatch(/503|Injected/);
    const [{ n }] = await sql`select count(*)::int as n from public.master_rollout_numbers where rollout_id = ${id}`;
    expect(n).toBe(2);
    for (const business of businesses) {
      const bound = (await bindingAtRetell(business.number)).inbound_agents;
      expect(bound).toHaveLength(1);
    }

    const row = await runUntil(id, (r) => r.status === "completed");
    expect(row.to_version).toBe(target);
    moved = target;
    for (const business of businesses) {
      expect((await bindingAtRetell(business.number)).inbound_agents).toEqual([{ agent_id: MASTER, agent_version: target, weight: 1 }]);
    }
  });

  it("never touches a pinned business", async () => {
    expect((await bindingAtRetell(pinned.number)).inbound_agents).toEqual([{ agent_id: MASTER, agent_version: PINNED_VERSION, weight: 1 }]);
    const [agent] = await sql`select retell_agent_version, master_version_pinned from public.agents where user_id = ${pinned.user.id}`;
    expect(agent).toEqual({ retell_agent_version: 1, master_version_pinned: true });
    const touched = await sql`select * from public.master_rollout_numbers where user_id = ${pinned.user.id}`;
    expect(touched).toHaveLength(0);
  });

  it("binds a number bought during a rollout per the rollout's stage, and an admin rolls it back", async () => {
    const draft = await newDraft(moved);
    const { data } = await admin.client.rpc("admin_start_master_rollout", { industry: "hvac", to_version: draft, stage_weights: [0.5, 1] });
    await runUntil(data.id, (r) => r.stage_bound_at !== null);

    await setInventory({ [String(AREA_CODE)]: 5 });
    const owner = await newDeployBusiness({ areaCode: String(AREA_CODE) });
    await requestDeploymentLikeStripe(owner.id);
    await kickWorker(owner.id);
    const deployed = await waitForDeployment(owner.id, settled);
    expect(deployed).toMatchObject({ deploy_status: "active", retell_agent_version: moved });
    const [bought] = await numbersOf(owner.id);
    expect(versions(bought)).toEqual([`${MASTER}@${moved}=0.5`, `${MASTER}@${draft}=0.5`].sort());

    const refused = await newUser("rollout-owner-2").then((u) => u.client.rpc("admin_roll_back_master_rollout", { industry: "hvac" }));
    expect(refused.error?.code).toBe("42501");
    const rolledBack = await admin.client.rpc("admin_roll_back_master_rollout", { industry: "hvac" });
    expect(rolledBack.data).toMatchObject({ status: "rolling_back", halt_reason: "admin", target_weight: 0 });
    await runUntil(data.id, (r) => r.status === "rolled_back");
    for (const number of [bought.phone_number, ...businesses.map((b) => b.number)]) {
      expect((await bindingAtRetell(number)).inbound_agents).toEqual([{ agent_id: MASTER, agent_version: moved, weight: 1 }]);
    }
    const nothing = await admin.client.rpc("admin_roll_back_master_rollout", { industry: "hvac" });
    expect(nothing.error?.code).toBe("PT409");
  });
});
