// Local stand-in for the Retell AI REST API (contract: /work/shared/contracts.md, section 1).
// Stateful: bought numbers, versioned agents and LLMs, and outbound calls live in memory until
// reset. Tests and the local stack steer it through the unauthenticated /__control routes.
import type http from "node:http";
import { addControlRoutes, createServer, json, newFaults, type Handler, type Reply, type Request } from "./lib/http.ts";
import { bearerToken, LoggingRouter, type LoggedRequest } from "./lib/common.ts";

type Json = Record<string, any>;

/** One version of an agent or Retell LLM; `version` doubles as its index in the history array. */
export type Versioned = Json & { version: number; is_published: boolean; last_modification_timestamp: number };

export type AgentWeight = { agent_id: string; agent_version?: number | string; weight: number };

export type RetellSeed = { agents?: Json[]; llms?: Json[] };

export type InventoryConfig = { default?: number; areaCodes?: Record<string, number> };

export type RetellState = {
  /** Keyed by E.164 number, in purchase order. */
  phoneNumbers: Map<string, Json>;
  /** Keyed by agent_id; each entry is the full version history. */
  agents: Map<string, Versioned[]>;
  /** Keyed by llm_id; each entry is the full version history. */
  llms: Map<string, Versioned[]>;
  calls: Map<string, Json>;
  /** Numbers still for sale: per area code, and `default` for area codes never configured. */
  inventory: { default: number; areaCodes: Map<number, number> };
  /** API requests that reached a route (the router's log; injected faults answer before that). */
  requests: LoggedRequest[];
  counters: { id: number; number: number };
};

export type RetellFakeOptions = {
  apiKey: string;
  seed?: RetellSeed;
  inventory?: InventoryConfig;
  /**
   * Where ids and numbers start counting. A long-lived fake (the local stack's) starts somewhere
   * random, so that after a restart it does not hand out ids and numbers the database still holds,
   * as the real Retell never would; tests leave it at 0 for repeatable values.
   */
  start?: { id?: number; number?: number };
};

const DEFAULT_INVENTORY = 10;
// Retell does not document the page size of its v2 list endpoints; 50 is our choice.
const DEFAULT_PAGE_LIMIT = 50;
// Used when a purchase names neither area_code nor phone_number (Retell then picks any US number).
const FALLBACK_AREA_CODE = 415;
const DEFAULT_WEBHOOK_EVENTS = ["call_started", "call_ended", "call_analyzed"];
// Removed on 2026-03-31 (contract 1e): rejecting them catches callers still on the old shape.
const DEPRECATED_NUMBER_FIELDS = [
  "inbound_agent_id",
  "outbound_agent_id",
  "inbound_agent_version",
  "outbound_agent_version",
];
// Plain fields a caller may set on a phone number (create and update); agent bindings are checked
// separately and everything else is server-owned.
const WRITABLE_NUMBER_FIELDS = [
  "nickname",
  "inbound_webhook_url",
  "inbound_sms_webhook_url",
  "allowed_inbound_country_list",
  "allowed_outbound_country_list",
  "fallback_number",
];
// Server-owned fields of agents and LLMs that request bodies cannot overwrite.
const SERVER_FIELDS = ["agent_id", "llm_id", "version", "base_version", "is_published", "last_modification_timestamp"];
// What list-agent-versions reports of each version.
const VERSION_SUMMARY_FIELDS = [
  "version",
  "is_published",
  "last_modification_timestamp",
  "base_version",
  "version_title",
  "version_description",
];
const E164 = /^\+[1-9]\d{1,14}$/;

/** Thrown by validators; the `guarded` wrapper turns it into Retell's error body. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const errorBody = (_status: number, message: string) => ({ status: "error", message });
const fail = (status: number, message: string): Reply => json(status, errorBody(status, message));
const badRequest = (message: string) => new ApiError(400, message);
const notFound = (message: string) => new ApiError(404, message);

/** The listed keys of `source` that are set. */
const pick = (source: Json, keys: string[]): Json =>
  Object.fromEntries(keys.filter((key) => source[key] !== undefined).map((key) => [key, source[key]]));

export function createRetellFake(options: RetellFakeOptions): {
  server: http.Server;
  reset(): void;
  state: RetellState;
} {
  // Logs every API request and serves the log at GET /__control/requests.
  const router = new LoggingRouter();
  const state: RetellState = {
    phoneNumbers: new Map(),
    agents: new Map(),
    llms: new Map(),
    calls: new Map(),
    inventory: { default: DEFAULT_INVENTORY, areaCodes: new Map() },
    requests: router.requests,
    counters: { id: options.start?.id ?? 0, number: options.start?.number ?? 0 },
  };
  const faults = newFaults();

  // ---- helpers over the state ----

  /** Deterministic ids (zero-padded so that id order is creation order, which pagination uses). */
  const nextId = (prefix: string) => `${prefix}_${(++state.counters.id).toString(16).padStart(24, "0")}`;

  function historyOf(kind: "agent" | "llm", id: string): Versioned[] {
    const history = (kind === "agent" ? state.agents : state.llms).get(id);
    if (!history) throw notFound(`${kind === "agent" ? "Agent" : "Retell LLM"} ${id} not found`);
    return history;
  }

  function versionOf(history: Versioned[], raw: unknown, label: string): Versioned {
    // Query strings carry "3"; JSON bodies carry 3.
    const version = typeof raw === "string" && /^\d+$/.test(raw) ? Number(raw) : raw;
    if (typeof version !== "number" || !Number.isInteger(version)) throw badRequest("version must be an integer");
    const found = history[version];
    if (!found) throw notFound(`Version ${version} of ${label} not found`);
    return found;
  }

  /** `?version=` if given (404 if absent), else the latest version. */
  function readVersion(history: Versioned[], query: URLSearchParams, label: string): Versioned {
    return query.has("version") ? versionOf(history, query.get("version"), label) : history[history.length - 1];
  }

  /** Updates hit `?version=` or the newest draft; published versions are immutable (contract 1f). */
  function draftToUpdate(history: Versioned[], query: URLSearchParams, label: string): Versioned {
    if (!query.has("version")) {
      const draft = history.findLast((v) => !v.is_published);
      if (!draft) throw badRequest(`${label} has no draft version; create one with create-agent-version`);
      return draft;
    }
    const target = versionOf(history, query.get("version"), label);
    if (target.is_published) {
      throw badRequest(`Version ${target.version} of ${label} is published and cannot be modified`);
    }
    return target;
  }

  /** Settable fields of a body: everything except the server-owned ones. */
  function editable(body: Json): Json {
    return Object.fromEntries(Object.entries(body).filter(([key]) => !SERVER_FIELDS.includes(key)));
  }

  /** Checks a response engine and pins a Retell LLM to its current version, so publishing can follow it. */
  function checkResponseEngine(engine: unknown): Json {
    if (!engine || typeof engine !== "object") throw badRequest("response_engine is required");
    const e = engine as Json;
    if (e.type !== "retell-llm") {
      if (!["custom-llm", "conversation-flow"].includes(e.type)) throw badRequest("response_engine.type is invalid");
      return e;
    }
    const history = state.llms.get(e.llm_id);
    if (!history) throw badRequest(`Retell LLM ${e.llm_id} not found`);
    if (e.version == null) return { ...e, version: history.length - 1 };
    versionOf(history, e.version, `Retell LLM ${e.llm_id}`);
    return e;
  }

  /** The Retell LLM version an agent version runs on, when it is one of ours. */
  function llmVersionOf(agent: Versioned): Versioned | undefined {
    const engine = agent.response_engine;
    if (engine?.type !== "retell-llm") return undefined;
    return state.llms.get(engine.llm_id)?.[engine.version];
  }

  function newAgent(fields: Json): Versioned {
    return {
      agent_name: null,
      webhook_url: null,
      webhook_events: [...DEFAULT_WEBHOOK_EVENTS],
      ...fields,
      agent_id: fields.agent_id ?? nextId("agent"),
      version: 0,
      is_published: fields.is_published ?? false,
      last_modification_timestamp: Date.now(),
    };
  }

  function newLlm(fields: Json): Versioned {
    return {
      ...fields,
      llm_id: fields.llm_id ?? nextId("llm"),
      version: 0,
      is_published: fields.is_published ?? false,
      last_modification_timestamp: Date.now(),
    };
  }

  /**
   * Stores seeded agents/LLMs as version 0, cloned so that later updates never write into the
   * caller's seed objects. They stand for data made elsewhere, so only ids are required; LLMs go
   * first so that an agent on a seeded LLM gets its engine pinned like a created agent's.
   */
  function applySeed(seed: RetellSeed): { agents: Versioned[]; llms: Versioned[] } {
    const llms = (seed.llms ?? []).map((fields) => {
      if (typeof fields.llm_id !== "string") throw badRequest("seeded llms need an llm_id");
      const llm = newLlm(structuredClone(fields));
      state.llms.set(llm.llm_id, [llm]);
      return llm;
    });
    const agents = (seed.agents ?? []).map((given) => {
      if (typeof given.agent_id !== "string") throw badRequest("seeded agents need an agent_id");
      const fields = structuredClone(given);
      const engine = fields.response_engine;
      if (engine?.type === "retell-llm" && state.llms.has(engine.llm_id)) {
        fields.response_engine = checkResponseEngine(engine);
      }
      const agent = newAgent(fields);
      state.agents.set(agent.agent_id, [agent]);
      return agent;
    });
    return { agents, llms };
  }

  function setInventory(config: InventoryConfig): void {
    const isCount = (n: unknown) => Number.isInteger(n) && (n as number) >= 0;
    if (config.default !== undefined) {
      if (!isCount(config.default)) throw badRequest("default must be a non-negative integer");
      state.inventory.default = config.default;
    }
    for (const [areaCode, count] of Object.entries(config.areaCodes ?? {})) {
      if (!/^\d{3}$/.test(areaCode) || !isCount(count)) throw badRequest(`Invalid inventory for ${areaCode}`);
      state.inventory.areaCodes.set(Number(areaCode), count);
    }
  }

  /** Validates inbound_agents / outbound_agents: known agents, weights summing to 1. */
  function checkBindings(field: string, value: unknown): AgentWeight[] | null {
    if (value == null) return null;
    if (!Array.isArray(value)) throw badRequest(`${field} must be an array`);
    let total = 0;
    const bindings = value.map((entry: Json) => {
      const history = state.agents.get(entry?.agent_id);
      if (!history) throw badRequest(`${field}: agent ${entry?.agent_id} not found`);
      if (typeof entry.weight !== "number" || entry.weight <= 0 || entry.weight > 1) {
        throw badRequest(`${field}: weight must be a number in (0, 1]`);
      }
      if (typeof entry.agent_version === "number") versionOf(history, entry.agent_version, `agent ${entry.agent_id}`);
      total += entry.weight;
      const binding: AgentWeight = { agent_id: entry.agent_id, weight: entry.weight };
      if (entry.agent_version !== undefined) binding.agent_version = entry.agent_version;
      return binding;
    });
    if (bindings.length > 0 && Math.abs(total - 1) > 1e-9) throw badRequest(`${field}: weights must add up to 1`);
    return bindings;
  }

  /** Fields shared by create and update of a number, validated; only keys present in the body. */
  function numberSettings(body: Json): Json {
    const deprecated = DEPRECATED_NUMBER_FIELDS.find((field) => field in body);
    if (deprecated) {
      throw badRequest(`${deprecated} is no longer supported; use inbound_agents / outbound_agents with weights`);
    }
    const settings: Json = {};
    for (const field of WRITABLE_NUMBER_FIELDS) if (field in body) settings[field] = body[field];
    for (const field of ["inbound_agents", "outbound_agents"]) {
      if (field in body) settings[field] = checkBindings(field, body[field]);
    }
    return settings;
  }

  /** Takes one number out of the area code's stock, or refuses with a 400 (never retried by the SDK). */
  function takeFromInventory(areaCode: number): void {
    const left = state.inventory.areaCodes.get(areaCode) ?? state.inventory.default;
    if (left <= 0) throw badRequest(`No phone numbers available for area code ${areaCode}`);
    state.inventory.areaCodes.set(areaCode, left - 1);
  }

  /** Next unused `+1<area code>555xxxx`, counting up from 555-0101. */
  function generateNumber(areaCode: number): string {
    let candidate: string;
    do candidate = `+1${areaCode}555${String(100 + ++state.counters.number).padStart(4, "0")}`;
    while (state.phoneNumbers.has(candidate));
    return candidate;
  }

  /** The number to buy: an exact `phone_number`, else a fresh one in `area_code`. */
  function numberToBuy(body: Json): { phoneNumber: string; areaCode: number } {
    if (body.phone_number !== undefined) {
      if (typeof body.phone_number !== "string" || !/^\+1\d{10}$/.test(body.phone_number)) {
        throw badRequest("phone_number must be a US/CA number in E.164 format");
      }
      if (state.phoneNumbers.has(body.phone_number)) throw badRequest(`${body.phone_number} is already purchased`);
      const areaCode = Number(body.phone_number.slice(2, 5));
      takeFromInventory(areaCode);
      return { phoneNumber: body.phone_number, areaCode };
    }
    const areaCode = body.area_code ?? FALLBACK_AREA_CODE;
    if (!Number.isInteger(areaCode) || areaCode < 200 || areaCode > 999) {
      throw badRequest("area_code must be a 3 digit integer");
    }
    takeFromInventory(areaCode);
    return { phoneNumber: generateNumber(areaCode), areaCode };
  }

  function phoneNumberOf(n: string): Json {
    const found = state.phoneNumbers.get(n);
    if (!found) throw notFound(`Phone number ${n} not found`);
    return found;
  }

  /** Resolves an agent version reference: number, "latest", "latest_published"; tags fall back to latest. */
  function resolveAgentVersion(history: Versioned[], ref: unknown): Versioned {
    if (typeof ref === "number") return versionOf(history, ref, `agent ${history[0].agent_id}`);
    if (ref === "latest_published") {
      const published = history.findLast((v) => v.is_published);
      if (!published) throw badRequest(`Agent ${history[0].agent_id} has no published version`);
      return published;
    }
    return history[history.length - 1];
  }

  /** Keyset pagination over items sorted by key; the key of a page's last item fetches the next page. */
  function paginate<T>(all: T[], keyOf: (item: T) => string, query: URLSearchParams): Json {
    const limit = query.has("limit") ? Number(query.get("limit")) : DEFAULT_PAGE_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw badRequest("limit must be between 1 and 1000");
    const descending = query.get("sort_order") === "descending";
    // Plain code-unit order, the same order the `>` / `<` filter below uses.
    const order = (a: T, b: T) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0);
    const sorted = [...all].sort((a, b) => order(a, b) * (descending ? -1 : 1));
    const after = query.get("pagination_key");
    const rest =
      after === null ? sorted : sorted.filter((item) => (descending ? keyOf(item) < after : keyOf(item) > after));
    const items = rest.slice(0, limit);
    const has_more = rest.length > limit;
    return has_more ? { items, has_more, pagination_key: keyOf(items[items.length - 1]) } : { items, has_more };
  }

  // ---- API handlers ----

  function createPhoneNumber({ body }: Request): Reply {
    const settings = numberSettings(body);
    if (body.country_code !== undefined && !["US", "CA"].includes(body.country_code)) {
      throw badRequest("country_code must be US or CA");
    }
    const { phoneNumber, areaCode } = numberToBuy(body);
    const digits = phoneNumber.slice(2);
    const record = {
      phone_number: phoneNumber,
      phone_number_pretty: `+1 (${digits.slice(0, 3)}) ${digits.slice(3, 6)}-${digits.slice(6)}`,
      phone_number_type: body.number_provider === "telnyx" ? "retell-telnyx" : "retell-twilio",
      area_code: areaCode,
      nickname: null,
      inbound_agents: null,
      outbound_agents: null,
      inbound_webhook_url: null,
      ...settings,
      last_modification_timestamp: Date.now(),
    };
    state.phoneNumbers.set(phoneNumber, record);
    return json(201, record);
  }

  function listPhoneNumbers({ query }: Request): Reply {
    return json(200, paginate([...state.phoneNumbers.values()], (p) => p.phone_number, query));
  }

  function updatePhoneNumber({ params, body }: Request): Reply {
    const record = phoneNumberOf(params.n);
    Object.assign(record, numberSettings(body), { last_modification_timestamp: Date.now() });
    return json(200, record);
  }

  function deletePhoneNumber({ params }: Request): Reply {
    phoneNumberOf(params.n);
    state.phoneNumbers.delete(params.n);
    return { status: 204 };
  }

  function createAgent({ body }: Request): Reply {
    if (typeof body.voice_id !== "string" || !body.voice_id) throw badRequest("voice_id is required");
    const agent = newAgent({ ...editable(body), response_engine: checkResponseEngine(body.response_engine) });
    state.agents.set(agent.agent_id, [agent]);
    return json(201, agent);
  }

  /** Deletes every version of the agent (retell-sdk `agent.delete`: DELETE /delete-agent/{id}, no body). */
  function deleteAgent({ params }: Request): Reply {
    historyOf("agent", params.id);
    state.agents.delete(params.id);
    return { status: 204 };
  }

  function getAgent({ params, query }: Request): Reply {
    return json(200, readVersion(historyOf("agent", params.id), query, `agent ${params.id}`));
  }

  function updateAgent({ params, query, body }: Request): Reply {
    const draft = draftToUpdate(historyOf("agent", params.id), query, `agent ${params.id}`);
    const changes = editable(body);
    if ("response_engine" in changes) changes.response_engine = checkResponseEngine(changes.response_engine);
    Object.assign(draft, changes, { last_modification_timestamp: Date.now() });
    return json(200, draft);
  }

  /** Publishes in place; the agent's Retell LLM version is published with it (they version together). */
  function publishAgentVersion({ params, body }: Request): Reply {
    const agent = versionOf(historyOf("agent", params.id), body.version, `agent ${params.id}`);
    if (agent.is_published) throw badRequest(`Version ${agent.version} of agent ${params.id} is already published`);
    const now = Date.now();
    const titles = pick(body, ["version_title", "version_description"]);
    Object.assign(agent, titles, { is_published: true, last_modification_timestamp: now });
    const llm = llmVersionOf(agent);
    if (llm) Object.assign(llm, { is_published: true, last_modification_timestamp: now });
    return { status: 200 };
  }

  /** New draft copied from base_version; its Retell LLM gets a matching new draft too. */
  function createAgentVersion({ params, body }: Request): Reply {
    const history = historyOf("agent", params.id);
    const base = versionOf(history, body.base_version, `agent ${params.id}`);
    // Titles name the base version once published; the new draft starts without them.
    const { version_title, version_description, ...copied } = structuredClone(base);
    const draft: Versioned = {
      ...copied,
      version: history.length,
      base_version: base.version,
      is_published: false,
      last_modification_timestamp: Date.now(),
    };
    const baseLlm = llmVersionOf(base);
    if (baseLlm) {
      const llmHistory = state.llms.get(baseLlm.llm_id)!;
      llmHistory.push({
        ...structuredClone(baseLlm),
        version: llmHistory.length,
        is_published: false,
        last_modification_timestamp: draft.last_modification_timestamp,
      });
      draft.response_engine = { ...draft.response_engine, version: llmHistory.length - 1 };
    }
    history.push(draft);
    return json(201, draft);
  }

  function listAgentVersions({ params, query }: Request): Reply {
    const summaries = historyOf("agent", params.id).map((v) =>
      pick(v, VERSION_SUMMARY_FIELDS),
    );
    // Zero-padded so that keyset pagination orders versions numerically.
    return json(200, paginate(summaries, (v) => String(v.version).padStart(10, "0"), query));
  }

  function listAgents({ query }: Request): Reply {
    const items = [...state.agents.values()].map((history) => {
      const latest = history[history.length - 1];
      return {
        agent_id: latest.agent_id,
        agent_name: latest.agent_name,
        channel: "voice",
        tags: {},
        user_modified_timestamp: latest.last_modification_timestamp,
      };
    });
    return json(200, paginate(items, (a) => a.agent_id, query));
  }

  function createLlm({ body }: Request): Reply {
    const llm = newLlm(editable(body));
    state.llms.set(llm.llm_id, [llm]);
    return json(201, llm);
  }

  function getLlm({ params, query }: Request): Reply {
    return json(200, readVersion(historyOf("llm", params.id), query, `Retell LLM ${params.id}`));
  }

  function updateLlm({ params, query, body }: Request): Reply {
    const draft = draftToUpdate(historyOf("llm", params.id), query, `Retell LLM ${params.id}`);
    Object.assign(draft, editable(body), { last_modification_timestamp: Date.now() });
    return json(200, draft);
  }

  function createPhoneCall({ body }: Request): Reply {
    const from = state.phoneNumbers.get(body.from_number);
    if (!from) throw badRequest(`from_number ${body.from_number} is not a number of this workspace`);
    if (typeof body.to_number !== "string" || !E164.test(body.to_number)) {
      throw badRequest("to_number must be in E.164 format");
    }
    if (!body.to_number.startsWith("+1")) throw badRequest("Retell numbers can only dial US numbers");
    // The override wins; otherwise the number's first outbound agent (weights are not rolled here).
    const binding: AgentWeight | undefined = body.override_agent_id
      ? { agent_id: body.override_agent_id, agent_version: body.override_agent_version, weight: 1 }
      : from.outbound_agents?.[0];
    if (!binding) throw badRequest(`${body.from_number} has no outbound agent; pass override_agent_id`);
    const history = state.agents.get(binding.agent_id);
    if (!history) throw badRequest(`Agent ${binding.agent_id} not found`);
    const agent = resolveAgentVersion(history, binding.agent_version);
    const call: Json = {
      call_id: nextId("call"),
      call_type: "phone_call",
      agent_id: agent.agent_id,
      agent_version: agent.version,
      agent_name: agent.agent_name,
      direction: "outbound",
      from_number: body.from_number,
      to_number: body.to_number,
      call_status: "registered",
      // Omitted when never set, as in Retell's call objects.
      ...pick(body, ["metadata", "retell_llm_dynamic_variables"]),
    };
    state.calls.set(call.call_id, call);
    return json(201, call);
  }

  function getCall({ params }: Request): Reply {
    const call = state.calls.get(params.id);
    if (!call) throw notFound(`Call ${params.id} not found`);
    return json(200, call);
  }

  /** Runs a handler with an object body (`{}` when empty), answering validation errors in Retell's shape. */
  const guarded =
    (handler: Handler): Handler =>
    (req) => {
      const isObject = typeof req.body === "object" && req.body !== null && !Array.isArray(req.body);
      if (req.rawBody && !isObject) return fail(400, "Request body must be a JSON object");
      try {
        return handler({ ...req, body: req.body ?? {} });
      } catch (error) {
        if (error instanceof ApiError) return fail(error.status, error.message);
        throw error;
      }
    };

  /** API routes: authenticated (the router has logged the attempt already). */
  const api = (handler: Handler): Handler => {
    const inner = guarded(handler);
    return (req) => (bearerToken(req.headers) === options.apiKey ? inner(req) : fail(401, "Unauthorized"));
  };

  function reset(): void {
    Object.assign(faults, newFaults());
    state.phoneNumbers.clear();
    state.agents.clear();
    state.llms.clear();
    state.calls.clear();
    state.requests.length = 0;
    state.counters.id = options.start?.id ?? 0;
    state.counters.number = options.start?.number ?? 0;
    state.inventory.default = DEFAULT_INVENTORY;
    state.inventory.areaCodes.clear();
    setInventory(options.inventory ?? {});
    applySeed(options.seed ?? {});
  }

  const inventorySnapshot = () => ({
    default: state.inventory.default,
    areaCodes: Object.fromEntries(state.inventory.areaCodes),
  });

  function setInventoryRoute({ body }: Request): Reply {
    setInventory(body);
    return json(200, inventorySnapshot());
  }

  router
    .on("POST /create-phone-number", api(createPhoneNumber))
    .on("GET /get-phone-number/:n", api(({ params }) => json(200, phoneNumberOf(params.n))))
    .on("PATCH /update-phone-number/:n", api(updatePhoneNumber))
    .on("GET /v2/list-phone-numbers", api(listPhoneNumbers))
    // Deprecated on 2026-06-15 but still answering with the old bare array.
    .on("GET /list-phone-numbers", api(() => json(200, [...state.phoneNumbers.values()])))
    .on("DELETE /delete-phone-number/:n", api(deletePhoneNumber))
    .on("POST /create-agent", api(createAgent))
    .on("GET /get-agent/:id", api(getAgent))
    .on("PATCH /update-agent/:id", api(updateAgent))
    .on("DELETE /delete-agent/:id", api(deleteAgent))
    .on("POST /publish-agent-version/:id", api(publishAgentVersion))
    .on("POST /create-agent-version/:id", api(createAgentVersion))
    .on("GET /list-agent-versions/:id", api(listAgentVersions))
    .on("POST /v2/list-agents", api(listAgents))
    .on("POST /create-retell-llm", api(createLlm))
    .on("GET /get-retell-llm/:id", api(getLlm))
    .on("PATCH /update-retell-llm/:id", api(updateLlm))
    .on("POST /v2/create-phone-call", api(createPhoneCall))
    .on("GET /v2/get-call/:id", api(getCall))
    // GET /list-agents and POST /copy-agent/:id are deliberately absent: removed upstream, so 404.
    .on("POST /__control/inventory", guarded(setInventoryRoute))
    .on("POST /__control/seed", guarded(({ body }) => json(200, applySeed(body))))
    .on("GET /__control/state", () =>
      json(200, {
        phoneNumbers: [...state.phoneNumbers.values()],
        agents: [...state.agents.values()].flat(),
        llms: [...state.llms.values()].flat(),
        calls: [...state.calls.values()],
        inventory: inventorySnapshot(),
      }),
    );
  addControlRoutes(router, faults, reset);

  reset();
  return { server: createServer(router, faults, errorBody), reset, state };
}
