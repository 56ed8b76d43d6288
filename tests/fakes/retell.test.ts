// The Retell fake against plain fetch and against the official retell-sdk, so that its shapes are
// the ones the SDK sends and expects.
import { describe, it, expect, beforeAll, afterAll, beforeEach } from "vitest";
import type { AddressInfo } from "node:net";
import Retell from "retell-sdk";
import { createRetellFake } from "../../fakes/retell.ts";

const API_KEY = "key_test_retell";
const MASTER_SEED = {
  llms: [{ llm_id: "llm_master_hvac", general_prompt: "You answer for an HVAC company." }],
  agents: [
    {
      agent_id: "agent_master_hvac",
      agent_name: "Master HVAC",
      voice_id: "retell-Cimo",
      response_engine: { type: "retell-llm", llm_id: "llm_master_hvac" },
    },
  ],
};

const fake = createRetellFake({ apiKey: API_KEY, seed: MASTER_SEED });
let baseURL = "";
let sdk: Retell;

/** Authenticated JSON call to the fake; returns status and parsed body (undefined when empty). */
async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(baseURL + path, {
    method,
    headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const control = (method: string, path: string, body?: unknown) =>
  call(method, `/__control${path}`, body, { authorization: "" });

/** A Retell LLM and an agent on it, through the SDK. */
async function createAgent(name = "Front desk") {
  const llm = await sdk.llm.create({ general_prompt: "Be brief." });
  return sdk.agent.create({
    agent_name: name,
    voice_id: "retell-Cimo",
    response_engine: { type: "retell-llm", llm_id: llm.llm_id },
    webhook_url: "https://example.test/retell/events",
  });
}

beforeAll(async () => {
  await new Promise<void>((resolve) => fake.server.listen(0, "127.0.0.1", resolve));
  baseURL = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
  sdk = new Retell({ apiKey: API_KEY, baseURL, maxRetries: 0 });
});

afterAll(async () => {
  fake.server.closeAllConnections(); // the hang test leaves a socket open on purpose
  await new Promise((resolve) => fake.server.close(resolve));
});

beforeEach(() => fake.reset());

describe("auth", () => {
  it("answers 401 in Retell's error shape without or with a wrong key", async () => {
    const missing = await call("GET", "/v2/list-phone-numbers", undefined, { authorization: "" });
    expect(missing).toEqual({ status: 401, body: { status: "error", message: "Unauthorized" } });
    const wrong = await call("GET", "/v2/list-phone-numbers", undefined, { authorization: "Bearer nope" });
    expect(wrong.status).toBe(401);

    const badSdk = new Retell({ apiKey: "nope", baseURL, maxRetries: 0 });
    await expect(badSdk.phoneNumber.list()).rejects.toMatchObject({ status: 401 });
  });

  it("leaves control routes open", async () => {
    expect((await control("GET", "/state")).status).toBe(200);
  });
});

describe("phone numbers", () => {
  it("buys a number bound to an inbound agent and reads it back through the SDK", async () => {
    const agent = await createAgent();
    const bought = await sdk.phoneNumber.create({
      area_code: 415,
      nickname: "Acme HVAC",
      inbound_webhook_url: "https://example.test/retell/inbound",
      inbound_agents: [{ agent_id: agent.agent_id, agent_version: 0, weight: 1 }],
    });
    expect(bought).toMatchObject({
      phone_number: "+14155550101",
      phone_number_pretty: "+1 (415) 555-0101",
      phone_number_type: "retell-twilio",
      area_code: 415,
      nickname: "Acme HVAC",
      inbound_webhook_url: "https://example.test/retell/inbound",
      inbound_agents: [{ agent_id: agent.agent_id, agent_version: 0, weight: 1 }],
      outbound_agents: null,
    });
    expect(bought.last_modification_timestamp).toBeTypeOf("number");
    expect(await sdk.phoneNumber.retrieve(bought.phone_number)).toEqual(bought);

    const updated = await sdk.phoneNumber.update(bought.phone_number, {
      outbound_agents: [{ agent_id: agent.agent_id, weight: 1 }],
      inbound_sms_webhook_url: "https://example.test/retell/sms",
    });
    expect(updated.outbound_agents).toEqual([{ agent_id: agent.agent_id, weight: 1 }]);
    expect(updated.inbound_sms_webhook_url).toBe("https://example.test/retell/sms");

    await sdk.phoneNumber.delete(bought.phone_number);
    await expect(sdk.phoneNumber.retrieve(bought.phone_number)).rejects.toMatchObject({ status: 404 });
  });

  it("rejects the deprecated single-agent fields", async () => {
    const agent = await createAgent();
    for (const field of ["inbound_agent_id", "outbound_agent_id"]) {
      const res = await call("POST", "/create-phone-number", { area_code: 415, [field]: agent.agent_id });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(new RegExp(`${field} is no longer supported.*inbound_agents`));
    }
    const bought = await sdk.phoneNumber.create({ area_code: 415 });
    const update = await call("PATCH", `/update-phone-number/${bought.phone_number}`, { inbound_agent_version: 1 });
    expect(update.status).toBe(400);
  });

  it("rejects weights that do not sum to 1 and unknown agents", async () => {
    const agent = await createAgent();
    const halves = await call("POST", "/create-phone-number", {
      inbound_agents: [{ agent_id: agent.agent_id, weight: 0.5 }],
    });
    expect(halves.status).toBe(400);
    expect(halves.body.message).toMatch(/weights must add up to 1/);
    const unknown = await call("POST", "/create-phone-number", {
      inbound_agents: [{ agent_id: "agent_missing", weight: 1 }],
    });
    expect(unknown.status).toBe(400);
    expect((await control("GET", "/state")).body.phoneNumbers).toEqual([]);
  });

  it("answers 400 with the exact message when an area code is sold out, and the SDK does not retry", async () => {
    await control("POST", "/inventory", { areaCodes: { "212": 1 } });
    const retryingSdk = new Retell({ apiKey: API_KEY, baseURL }); // default maxRetries (2)
    await retryingSdk.phoneNumber.create({ area_code: 212 });
    await expect(retryingSdk.phoneNumber.create({ area_code: 212 })).rejects.toMatchObject({
      status: 400,
      error: { status: "error", message: "No phone numbers available for area code 212" },
    });
    const { body: log } = await control("GET", "/requests");
    expect(log.filter((r: { path: string }) => r.path === "/create-phone-number")).toHaveLength(2);

    // Other area codes still use the default stock, which is configurable too.
    await control("POST", "/inventory", { default: 0 });
    const res = await call("POST", "/create-phone-number", { area_code: 646 });
    expect(res).toEqual({
      status: 400,
      body: { status: "error", message: "No phone numbers available for area code 646" },
    });
  });

  it("pages v2/list-phone-numbers with limit and pagination_key", async () => {
    for (const area_code of [415, 212, 646]) await sdk.phoneNumber.create({ area_code });
    const first = await sdk.phoneNumber.list({ limit: 2 });
    expect(first.has_more).toBe(true);
    expect(first.items.map((n) => n.phone_number)).toEqual(["+12125550102", "+14155550101"]);
    const second = await sdk.phoneNumber.list({ limit: 2, pagination_key: first.pagination_key });
    expect(second).toEqual({ items: [expect.objectContaining({ phone_number: "+16465550103" })], has_more: false });

    const legacy = await call("GET", "/list-phone-numbers");
    expect(legacy.body).toHaveLength(3);
  });
});

describe("agents, LLMs and versions", () => {
  it("creates agents with the documented defaults and requires response_engine and voice_id", async () => {
    const agent = await createAgent("Front desk");
    expect(agent).toMatchObject({
      agent_name: "Front desk",
      version: 0,
      is_published: false,
      voice_id: "retell-Cimo",
      webhook_url: "https://example.test/retell/events",
      webhook_events: ["call_started", "call_ended", "call_analyzed"],
      response_engine: { type: "retell-llm", version: 0 },
    });
    expect(await sdk.agent.retrieve(agent.agent_id)).toEqual(agent);

    const noVoice = await call("POST", "/create-agent", { response_engine: agent.response_engine });
    expect(noVoice.status).toBe(400);
    const noEngine = await call("POST", "/create-agent", { voice_id: "retell-Cimo" });
    expect(noEngine.status).toBe(400);
    const extra = await call("POST", "/create-agent", {
      voice_id: "retell-Cimo",
      response_engine: { type: "custom-llm", llm_websocket_url: "wss://example.test/llm" },
      language: "en-US",
    });
    expect(extra.body.language).toBe("en-US");

    const listed = await sdk.agent.list();
    expect(listed.has_more).toBe(false);
    expect(listed.items.map((a) => a.agent_id)).toContain(agent.agent_id);
  });

  it("publishes in place, keeps published versions immutable and drafts new versions", async () => {
    const agent = await createAgent();
    const id = agent.agent_id;
    const llmId = (agent.response_engine as { llm_id: string }).llm_id;
    await sdk.agent.update(id, { agent_name: "Draft name" });
    await sdk.agent.publish(id, { version: 0, version_title: "launch" });

    const v0 = await sdk.agent.retrieve(id, { version: 0 });
    expect(v0).toMatchObject({ agent_name: "Draft name", is_published: true, version_title: "launch" });
    expect(await sdk.llm.retrieve(llmId, { version: 0 })).toMatchObject({ is_published: true });
    // No draft left, and a published version cannot be targeted.
    expect((await call("PATCH", `/update-agent/${id}`, { agent_name: "x" })).status).toBe(400);
    expect((await call("PATCH", `/update-agent/${id}?version=0`, { agent_name: "x" })).status).toBe(400);
    expect((await call("PATCH", `/update-retell-llm/${llmId}?version=0`, { general_prompt: "x" })).status).toBe(400);
    expect((await call("POST", `/publish-agent-version/${id}`, { version: 0 })).status).toBe(400);

    const v1 = await sdk.agent.createVersion(id, { base_version: 0 });
    expect(v1).toMatchObject({ version: 1, is_published: false, base_version: 0, agent_name: "Draft name" });
    expect(v1.response_engine).toMatchObject({ llm_id: llmId, version: 1 });
    await sdk.agent.update(id, { agent_name: "Next name" });
    await sdk.llm.update(llmId, { general_prompt: "Be briefer." });

    expect(await sdk.agent.retrieve(id)).toMatchObject({ version: 1, agent_name: "Next name" });
    expect(await sdk.agent.retrieve(id, { version: 0 })).toMatchObject({ agent_name: "Draft name" });
    expect(await sdk.llm.retrieve(llmId, { version: 0 })).toMatchObject({ general_prompt: "Be brief." });
    expect(await sdk.llm.retrieve(llmId)).toMatchObject({ version: 1, general_prompt: "Be briefer." });

    const versions = await sdk.agent.listVersions(id);
    expect(versions.items.map((v) => [v.version, v.is_published])).toEqual([
      [0, true],
      [1, false],
    ]);
    expect((await call("GET", `/get-agent/${id}?version=7`)).status).toBe(404);
  });

  it("answers 404 for the removed endpoints", async () => {
    const agent = await createAgent();
    expect((await call("GET", "/list-agents")).status).toBe(404);
    expect((await call("POST", `/copy-agent/${agent.agent_id}`)).status).toBe(404);
  });
});

describe("calls", () => {
  it("registers an outbound call from one of the fake's numbers", async () => {
    const agent = await createAgent();
    const from = await sdk.phoneNumber.create({
      area_code: 415,
      outbound_agents: [{ agent_id: agent.agent_id, weight: 1 }],
    });
    const created = await sdk.call.createPhoneCall({
      from_number: from.phone_number,
      to_number: "+12125550199",
      retell_llm_dynamic_variables: { customer_name: "Ada" },
    });
    expect(created).toMatchObject({
      call_type: "phone_call",
      call_status: "registered",
      direction: "outbound",
      agent_id: agent.agent_id,
      agent_version: 0,
      retell_llm_dynamic_variables: { customer_name: "Ada" },
    });
    expect(await sdk.call.retrieve(created.call_id)).toEqual(created);

    const foreign = { from_number: "+19995550000", to_number: "+12125550199" };
    expect((await call("POST", "/v2/create-phone-call", foreign)).status).toBe(400);
    const notE164 = { from_number: from.phone_number, to_number: "212-555" };
    expect((await call("POST", "/v2/create-phone-call", notE164)).status).toBe(400);
  });
});

describe("control API", () => {
  it("seeds master agents from the options and on demand", async () => {
    expect(await sdk.agent.retrieve("agent_master_hvac")).toMatchObject({
      agent_name: "Master HVAC",
      version: 0,
      // Pinned to the seeded LLM's version, as create-agent does.
      response_engine: { llm_id: "llm_master_hvac", version: 0 },
    });
    await control("POST", "/seed", {
      llms: [{ llm_id: "llm_master_plumbing", general_prompt: "Plumbing." }],
      agents: [
        {
          agent_id: "agent_master_plumbing",
          voice_id: "retell-Cimo",
          response_engine: { type: "retell-llm", llm_id: "llm_master_plumbing", version: 0 },
        },
      ],
    });
    expect(await sdk.llm.retrieve("llm_master_plumbing")).toMatchObject({ general_prompt: "Plumbing." });
    expect((await control("GET", "/state")).body.agents.map((a: { agent_id: string }) => a.agent_id)).toEqual([
      "agent_master_hvac",
      "agent_master_plumbing",
    ]);
  });

  it("injects failures and hangs", async () => {
    await control("POST", "/faults", { failNext: 1, failStatus: 503 });
    expect(await call("GET", "/v2/list-phone-numbers")).toEqual({
      status: 503,
      body: { status: "error", message: "Injected failure" },
    });
    expect((await call("GET", "/v2/list-phone-numbers")).status).toBe(200);

    await control("POST", "/faults", { hangNext: 1 });
    const hung = fetch(`${baseURL}/v2/list-phone-numbers`, {
      headers: { authorization: `Bearer ${API_KEY}` },
      signal: AbortSignal.timeout(200),
    });
    await expect(hung).rejects.toMatchObject({ name: "TimeoutError" });
    expect((await call("GET", "/v2/list-phone-numbers")).status).toBe(200);
  });

  it("resets state, inventory, the request log and faults, then re-applies the seed", async () => {
    await control("POST", "/inventory", { default: 0 });
    await control("POST", "/faults", { failNext: 5 });
    await control("POST", "/reset");
    await sdk.phoneNumber.create({ area_code: 415 });
    await createAgent();
    const { body: log } = await control("GET", "/requests");
    expect(log.map((r: { method: string; path: string }) => `${r.method} ${r.path}`)).toEqual([
      "POST /create-phone-number",
      "POST /create-retell-llm",
      "POST /create-agent",
    ]);

    fake.reset();
    const { body: state } = await control("GET", "/state");
    expect(state).toMatchObject({ phoneNumbers: [], calls: [], inventory: { default: 10, areaCodes: {} } });
    expect(state.agents.map((a: { agent_id: string }) => a.agent_id)).toEqual(["agent_master_hvac"]);
    expect((await control("GET", "/requests")).body).toEqual([]);
    // Ids and numbers start over, so runs are reproducible.
    expect((await sdk.phoneNumber.create({ area_code: 415 })).phone_number).toBe("+14155550101");
  });
});
