// The master-agent-health job and failover: a master agent deleted at Retell, or one whose recent
// calls end in error disconnections, is reported unhealthy with one ops alert, and the inbound
// webhook answers that industry's shared businesses with the fallback agent until the master is
// healthy again. Dedicated agents are checked the same way: while one is unhealthy its business's
// calls go to the master, or to the fallback agent when the master is down too.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postAsRetell } from "../../scripts/lib/call-simulator.ts";
import { fakeUrl } from "../../stack/config.ts";
import { functionEnv } from "../../stack/functions.ts";
import { retellSeed } from "../../fakes/index.ts";
import { callFunction, SERVICE_ROLE_KEY, sql } from "../helpers/stack.ts";
import { type Business, newBusiness, uniqueCallId, uniquePhone } from "./fixtures.ts";

const ENV = functionEnv();
const MASTER = ENV.RETELL_MASTER_AGENT_ID_HVAC;
const FALLBACK = ENV.RETELL_FALLBACK_AGENT_ID_HVAC;

async function retell(method: string, path: string, body?: unknown): Promise<void> {
  const response = await fetch(`${fakeUrl("retell")}${path}`, {
    method,
    headers: { authorization: `Bearer ${ENV.RETELL_API_KEY}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`fake Retell ${method} ${path}: ${response.status} ${await response.text()}`);
}

/** The HVAC master as the stack made it: seeded, version 0 published, version 1 published. */
async function restoreMaster(): Promise<void> {
  const seed = retellSeed(ENV);
  await retell("POST", "/__control/seed", { agents: seed.agents.filter((agent) => agent.agent_id === MASTER) });
  await retell("POST", `/publish-agent-version/${MASTER}`, { version: 0 });
  await retell("POST", `/create-agent-version/${MASTER}`, { base_version: 0 });
  await retell("POST", `/publish-agent-version/${MASTER}`, { version: 1 });
}

const runCheck = () => callFunction("master-agent-health", { token: SERVICE_ROLE_KEY, body: {} });

const masterRow = async () => (await sql`select * from public.master_agents where industry = 'hvac'`)[0];

const openAlerts = async () =>
  (await sql`select * from public.ops_alerts where dedupe_key = 'master_agent_unhealthy:hvac' and resolved_at is null`);

const answerFor = async (business: Business) =>
  (await postAsRetell("retell-inbound", {
    event: "call_inbound",
    call_inbound: { from_number: uniquePhone(), to_number: business.number, call_id: uniqueCallId() },
  })).body.call_inbound;

/** A business's own agent at the fake, as the deployer leaves it: versions 0 to 2, all published. */
async function dedicatedAgentAtRetell(agentId: string): Promise<void> {
  const master = retellSeed(ENV).agents.find((agent) => agent.agent_id === MASTER)!;
  await retell("POST", "/__control/seed", { agents: [{ ...master, agent_id: agentId, agent_name: "Own agent" }] });
  await retell("POST", `/publish-agent-version/${agentId}`, { version: 0 });
  for (const version of [1, 2]) {
    await retell("POST", `/create-agent-version/${agentId}`, { base_version: version - 1 });
    await retell("POST", `/publish-agent-version/${agentId}`, { version });
  }
}

const OWN_AGENT = `agent_own_health_${randomUUID().slice(0, 8)}`;

let shared: Business;
let dedicated: Business;

beforeAll(async () => {
  await dedicatedAgentAtRetell(OWN_AGENT);
  [shared, dedicated] = await Promise.all([newBusiness(), newBusiness({ dedicatedAgent: { id: OWN_AGENT, version: 2 } })]);
});

afterAll(async () => {
  // Leave the stack as it was for the suites after this one.
  const state = await (await fetch(`${fakeUrl("retell")}/__control/state`)).json();
  if (!state.agents.some((agent: { agent_id: string }) => agent.agent_id === MASTER)) await restoreMaster();
  await sql`update public.calls set ended_at = ended_at - interval '1 day' where agent_id = ${MASTER} and ended_at > now() - interval '1 hour'`;
  await runCheck();
});

describe("master-agent-health", () => {
  it("is for the service role only", async () => {
    const before = await sql`select count(*)::int as n from public.master_agents`;
    const refused = await callFunction("master-agent-health", { body: {}, token: ENV.SUPABASE_ANON_KEY });
    expect(refused.status).toBe(403);
    expect(await sql`select count(*)::int as n from public.master_agents`).toEqual(before);
  });

  it("finds the configured masters healthy and answers calls with them", async () => {
    const checked = await runCheck();
    expect(checked.status).toBe(200);
    expect(checked.body.industries.hvac).toEqual({ checked: true, healthy: true, problems: [] });
    expect(checked.body.industries.plumbing).toMatchObject({ checked: true, healthy: true });
    expect(await masterRow()).toMatchObject({ retell_agent_id: MASTER, retell_agent_version: 1, fallback_agent_id: FALLBACK, healthy: true });
    expect(await openAlerts()).toHaveLength(0);
    expect(await answerFor(shared)).not.toHaveProperty("override_agent_id");
  });

  it("with the master deleted at Retell: one alert, calls go to the fallback agent, and back once it is restored", async () => {
    await retell("DELETE", `/delete-agent/${MASTER}`);
    const checked = await runCheck();
    expect(checked.body.industries.hvac).toEqual({ checked: true, healthy: false, problems: ["agent_not_found"] });
    const [alert] = await openAlerts();
    expect(alert).toMatchObject({ kind: "master_agent_unhealthy", severity: "critical" });
    expect(alert.details).toMatchObject({ retell_agent_id: MASTER, problems: ["agent_not_found"], fallback_agent_id: FALLBACK });

    const answer = await answerFor(shared);
    expect(answer.override_agent_id).toBe(FALLBACK);
    expect(answer.dynamic_variables.business_name).toBe(shared.businessName);
    // A business with its own agent is not moved.
    expect(await answerFor(dedicated)).toMatchObject({ override_agent_id: OWN_AGENT, override_agent_version: 2 });

    // Checked again while still down: the same one alert, the outage's start kept.
    const since = (await masterRow()).unhealthy_since;
    await runCheck();
    expect(await openAlerts()).toHaveLength(1);
    expect((await masterRow()).unhealthy_since).toEqual(since);

    await restoreMaster();
    expect((await runCheck()).body.industries.hvac).toEqual({ checked: true, healthy: true, problems: [] });
    expect(await openAlerts()).toHaveLength(0);
    expect((await sql`select resolved_at from public.ops_alerts where id = ${alert.id}`)[0].resolved_at).not.toBeNull();
    expect(await answerFor(shared)).not.toHaveProperty("override_agent_id");
  });

  it("fails over when more than a quarter of the master's recent calls end in an error disconnection", async () => {
    const endCalls = (reasons: string[]) => sql`
      insert into public.calls (call_id, user_id, agent_id, to_number, status, started_at, ended_at, disconnection_reason)
      select 'call_health_' || gen_random_uuid(), ${shared.user.id}, ${MASTER}, ${shared.number}, 'ended',
             now() - interval '2 minutes', now() - interval '1 minute', reason
      from unnest(${reasons}::text[]) as reason`;
    // Only this test's calls count: earlier suites' calls of the master leave the window.
    await sql`update public.calls set ended_at = now() - interval '1 hour' where agent_id = ${MASTER} and ended_at > now() - interval '1 hour'`;
    // 1 error in 5 calls: not enough.
    await endCalls(["user_hangup", "agent_hangup", "user_hangup", "call_transfer", "error_llm_websocket_runtime"]);
    expect((await runCheck()).body.industries.hvac.healthy).toBe(true);
    // 3 errors in 7: unhealthy.
    await endCalls(["error_llm_websocket_runtime", "error_retell"]);
    expect((await runCheck()).body.industries.hvac).toEqual({ checked: true, healthy: false, problems: ["error_disconnections"] });
    expect(await masterRow()).toMatchObject({ recent_calls: 7, recent_error_calls: 3 });
    expect((await answerFor(shared)).override_agent_id).toBe(FALLBACK);

    // The errors age out of the window: healthy again.
    await sql`update public.calls set ended_at = now() - interval '1 hour' where agent_id = ${MASTER} and call_id like 'call_health_%'`;
    expect((await runCheck()).body.industries.hvac.healthy).toBe(true);
    expect(await answerFor(shared)).not.toHaveProperty("override_agent_id");
  });

  it("checks dedicated agents the same way: one alert each, calls to the master, or the fallback while the master is down too", async () => {
    const dedicatedRow = async () => (await sql`select * from public.dedicated_agent_health where user_id = ${dedicated.user.id}`)[0];
    const dedicatedAlerts = async () =>
      await sql`select * from public.ops_alerts where dedupe_key = ${`dedicated_agent_unhealthy:${dedicated.user.id}`} and resolved_at is null`;

    const checked = await runCheck();
    expect(checked.body.dedicated.checked).toBeGreaterThanOrEqual(1);
    expect(await dedicatedRow()).toMatchObject({ retell_agent_id: OWN_AGENT, retell_agent_version: 2, healthy: true, problems: [] });

    await retell("DELETE", `/delete-agent/${OWN_AGENT}`);
    await runCheck();
    expect(await dedicatedRow()).toMatchObject({ healthy: false, problems: ["agent_not_found"] });
    const [alert] = await dedicatedAlerts();
    expect(alert).toMatchObject({ kind: "dedicated_agent_unhealthy", user_id: dedicated.user.id });
    expect(await answerFor(dedicated)).toMatchObject({ override_agent_id: MASTER, override_agent_version: 1 });
    // Other businesses are not moved.
    expect(await answerFor(shared)).not.toHaveProperty("override_agent_id");

    await retell("DELETE", `/delete-agent/${MASTER}`);
    await runCheck();
    const answer = await answerFor(dedicated);
    expect(answer.override_agent_id).toBe(FALLBACK);
    expect(answer).not.toHaveProperty("override_agent_version");

    await restoreMaster();
    await dedicatedAgentAtRetell(OWN_AGENT);
    await runCheck();
    expect(await dedicatedRow()).toMatchObject({ healthy: true, problems: [], unhealthy_since: null });
    expect(await dedicatedAlerts()).toHaveLength(0);
    expect(await answerFor(dedicated)).toMatchObject({ override_agent_id: OWN_AGENT, override_agent_version: 2 });
  });
});
