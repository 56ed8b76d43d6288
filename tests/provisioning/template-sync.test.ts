// Prompt templates as data, pushed to the HVAC master's Retell LLM by retell-template-sync: a
// changed template becomes exactly one new LLM draft at Retell, an unchanged one changes nothing,
// the pushed draft edited at Retell is reported as drift (one ops alert, not overwritten), and the
// numbers stay on their pinned master version throughout.
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { callFunction, newUser, SERVICE_ROLE_KEY, sql, type TestUser } from "../helpers/stack.ts";
import { newAdmin, RETELL_ENV, retellState } from "./fixtures.ts";
import { fakeUrl } from "../../stack/config.ts";

const MASTER = RETELL_ENV.RETELL_MASTER_AGENT_ID_HVAC;
const LLM = RETELL_ENV.RETELL_LLM_ID_HVAC;

const sync = () => callFunction("retell-template-sync", { token: SERVICE_ROLE_KEY, body: { force: true } });

const versionsAtRetell = async () => {
  const state = await retellState();
  return {
    agent: state.agents.filter((a: { agent_id: string }) => a.agent_id === MASTER).length,
    llm: state.llms.filter((l: { llm_id: string }) => l.llm_id === LLM).length,
  };
};

const llmVersion = async (version: number) =>
  (await retellState()).llms.find((l: { llm_id: string; version: number }) => l.llm_id === LLM && l.version === version);

const openDriftAlerts = async () =>
  await sql`select * from public.ops_alerts where kind = 'retell_llm_drift' and details ->> 'industry' = 'hvac' and resolved_at is null`;

let admin: TestUser;
let template: Record<string, any>;

beforeAll(async () => {
  admin = await newAdmin();
  // Earlier runs on this stack may have left a drift alert open; this suite starts from none.
  await sql`update public.ops_alerts set resolved_at = now() where kind = 'retell_llm_drift' and resolved_at is null`;
});

describe("prompt templates", () => {
  it("are saved by admins only, each save a new audited version", async () => {
    const owner = await newUser("template-owner");
    const refused = await owner.client.rpc("admin_save_prompt_template", { industry: "hvac", general_prompt: "x" });
    expect(refused.error?.code).toBe("42501");
    const bad = await admin.client.rpc("admin_save_prompt_template", { industry: "hvac", general_prompt: "x", general_tools: {} });
    expect(bad.error?.code).toBe("22023");

    const prompt = `You answer for {{business_name}}. Run ${randomUUID()}`;
    const saved = await admin.client.rpc("admin_save_prompt_template", {
      industry: "hvac",
      general_prompt: prompt,
      begin_message: "Thanks for calling {{business_name}}!",
      general_tools: [{ type: "end_call", name: "end_call", description: "End the call" }],
      dynamic_variables: ["business_name"],
    });
    expect(saved.error).toBeNull();
    template = saved.data;
    const [{ max }] = await sql`select max(version) from public.prompt_templates where industry = 'hvac'`;
    expect(template.version).toBe(max);
    const [audit] = await sql`select * from public.audit_logs where action = 'prompt_template.save' and target_id = ${template.id}`;
    expect(audit).toBeDefined();
  });
});

describe("retell-template-sync", () => {
  it("pushes a changed template as exactly one new LLM draft, then does nothing", async () => {
    const before = await versionsAtRetell();
    const [{ pinned }] = await sql`select count(*)::int as pinned from public.agents where retell_agent_id = ${MASTER} and retell_agent_version = 1`;

    const first = await sync();
    expect(first.status).toBe(200);
    expect(first.body.industries.hvac).toBe("pushed");
    const after = await versionsAtRetell();
    expect(after).toEqual({ agent: before.agent + 1, llm: before.llm + 1 });
    const draft = await llmVersion(after.llm - 1);
    expect(draft).toMatchObject({
      is_published: false,
      general_prompt: template.general_prompt,
      begin_message: template.begin_message,
      general_tools: template.general_tools,
    });
    const [row] = await sql`select * from public.master_agents where industry = 'hvac'`;
    expect(row).toMatchObject({ template_version: template.version, template_llm_id: LLM, template_llm_version: draft.version, template_push_started_at: null });

    const second = await sync();
    expect(second.body.industries.hvac).toBe("unchanged");
    expect(await versionsAtRetell()).toEqual(after);
    // The numbers were never moved off their pinned version.
    expect((await sql`select count(*)::int as n from public.agents where retell_agent_id = ${MASTER} and retell_agent_version = 1`)[0].n).toBe(pinned);
  });

  it("reports the pushed draft edited at Retell as drift, once, and does not overwrite it", async () => {
    const [row] = await sql`select template_llm_version from public.master_agents where industry = 'hvac'`;
    const response = await fetch(`${fakeUrl("retell")}/update-retell-llm/${LLM}?version=${row.template_llm_version}`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${RETELL_ENV.RETELL_API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ general_prompt: "Edited in the dashboard" }),
    });
    expect(response.status).toBe(200);
    const before = await versionsAtRetell();

    expect((await sync()).body.industries.hvac).toBe("drift");
    expect((await sync()).body.industries.hvac).toBe("drift");
    const alerts = await openDriftAlerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0].details).toMatchObject({ llm_id: LLM, llm_version: row.template_llm_version, template_version: template.version });
    expect((await llmVersion(row.template_llm_version)).general_prompt).toBe("Edited in the dashboard");
    expect(await versionsAtRetell()).toEqual(before);
  });

  it("after a run that died between making the draft and recording the push, fills that draft instead of making another", async () => {
    const saved = await admin.client.rpc("admin_save_prompt_template", { industry: "hvac", general_prompt: `Resumed ${randomUUID()}` });
    expect(saved.error).toBeNull();
    // What the dead run got done: the start recorded, the new agent version (and LLM draft) made.
    await sql`update public.master_agents set template_push_started_at = now() where industry = 'hvac'`;
    const made = await fetch(`${fakeUrl("retell")}/create-agent-version/${MASTER}`, {
      method: "POST",
      headers: { authorization: `Bearer ${RETELL_ENV.RETELL_API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ base_version: 1 }),
    });
    expect(made.status).toBe(201);
    const before = await versionsAtRetell();

    expect((await sync()).body.industries.hvac).toBe("pushed");
    expect(await versionsAtRetell()).toEqual(before);
    expect(await llmVersion(before.llm - 1)).toMatchObject({ is_published: false, general_prompt: saved.data.general_prompt });
    expect((await sql`select template_push_started_at from public.master_agents where industry = 'hvac'`)[0].template_push_started_at).toBeNull();
  });

  it("is off when RETELL_AUTO_SYNC_MINUTES is 0 and the run is not forced", async () => {
    const before = await versionsAtRetell();
    const run = await callFunction("retell-template-sync", { token: SERVICE_ROLE_KEY, body: {} });
    expect(run.body).toEqual({ enabled: false });
    expect(await versionsAtRetell()).toEqual(before);
  });

  it("is for the service role only", async () => {
    const refused = await callFunction("retell-template-sync", { token: RETELL_ENV.SUPABASE_ANON_KEY, body: { force: true } });
    expect(refused.status).toBe(403);
  });
});
