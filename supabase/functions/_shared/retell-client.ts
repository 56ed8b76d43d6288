// The Retell REST calls provisioning makes (contract: shared/contracts.md section 1e), on plain
// fetch rather than retell-sdk: the SDK retries 408/409/429/5xx by itself, and buying a number is
// not idempotent, so a hidden retry could buy a second one. Here every call is made exactly once,
// with a timeout, and its failure says what we know about whether it happened:
//   NoInventoryError        4xx "No phone numbers available for area code ..." - nothing bought
//   BadRequestError         any other 4xx - Retell refused the request; retrying will not help
//   RetellUnavailableError  5xx, 429 or no connection - try later (mayHaveHappened: only 5xx)
//   OutcomeUnknownError     timeout or connection lost after sending - it may or may not have happened
import { optionalEnv, requireEnv } from "./env.ts";

const DEFAULT_BASE_URL = "https://api.retellai.com";
const DEFAULT_TIMEOUT_MS = 10_000;
// Retell's exact wording is unconfirmed (contract 1e); the fake answers "No phone numbers available
// for area code <code>".
const NO_INVENTORY = /no (phone )?numbers? (are )?available/i;
// The largest page the v2 list endpoints accept.
const PAGE_LIMIT = 1000;

// ---- shapes (the fields we use; Retell returns more) ----

/** One entry of a number's inbound_agents / outbound_agents; weights of a list add up to 1. */
export type AgentBinding = { agent_id: string; agent_version?: number; weight: number };

export type PhoneNumber = {
  phone_number: string;
  area_code: number;
  nickname: string | null;
  inbound_agents: AgentBinding[] | null;
  outbound_agents: AgentBinding[] | null;
  inbound_webhook_url: string | null;
};

export type PhoneNumberSettings = {
  nickname?: string;
  inbound_webhook_url?: string;
  inbound_agents?: AgentBinding[];
  outbound_agents?: AgentBinding[];
};

export type ResponseEngine = { type: string; llm_id?: string; version?: number };

/** An agent version; other fields (voice settings, language...) pass through untouched. */
export type Agent = Record<string, unknown> & {
  agent_id: string;
  version: number;
  is_published: boolean;
  agent_name?: string | null;
  voice_id: string;
  response_engine: ResponseEngine;
};

/** A Retell LLM version; its prompt, tools and states pass through untouched. */
export type RetellLlm = Record<string, unknown> & { llm_id: string; version: number; is_published: boolean };

// ---- errors ----

export class RetellError extends Error {
  constructor(
    readonly operation: string,
    message: string,
    readonly status?: number,
  ) {
    super(`Retell ${operation}: ${message}`);
  }
}

export class NoInventoryError extends RetellError {}

export class BadRequestError extends RetellError {}

export class RetellUnavailableError extends RetellError {
  constructor(
    operation: string,
    message: string,
    status: number | undefined,
    /** True for a 5xx: Retell may have acted before failing. False when it never got the request. */
    readonly mayHaveHappened: boolean,
  ) {
    super(operation, message, status);
  }
}

export class OutcomeUnknownError extends RetellError {}

/** Binds a number to one agent (optionally one version of it) with all the weight. */
export function singleAgent(agentId: string, version?: number): AgentBinding[] {
  return [version === undefined ? { agent_id: agentId, weight: 1 } : { agent_id: agentId, agent_version: version, weight: 1 }];
}

// ---- the client ----

export class RetellClient {
  constructor(
    private readonly apiKey: string,
    private readonly baseUrl: string = DEFAULT_BASE_URL,
    private readonly timeoutMs: number = DEFAULT_TIMEOUT_MS,
  ) {}

  /** RETELL_API_KEY, RETELL_BASE_URL (default Retell's) and RETELL_TIMEOUT_MS (default 10 s). */
  static fromEnv(): RetellClient {
    const timeout = Number(optionalEnv("RETELL_TIMEOUT_MS") ?? DEFAULT_TIMEOUT_MS);
    if (!Number.isInteger(timeout) || timeout <= 0) throw new Error("RETELL_TIMEOUT_MS must be a positive integer");
    return new RetellClient(requireEnv("RETELL_API_KEY"), optionalEnv("RETELL_BASE_URL") ?? DEFAULT_BASE_URL, timeout);
  }

  createPhoneNumber(body: PhoneNumberSettings & { area_code: number; country_code: "US" | "CA" }): Promise<PhoneNumber> {
    return this.request("create-phone-number", "POST", "/create-phone-number", body);
  }

  updatePhoneNumber(phoneNumber: string, body: PhoneNumberSettings): Promise<PhoneNumber> {
    return this.request("update-phone-number", "PATCH", `/update-phone-number/${encodeURIComponent(phoneNumber)}`, body);
  }

  /** Every number of the account, page by page. */
  async *listPhoneNumbers(): AsyncGenerator<PhoneNumber> {
    let paginationKey: string | undefined;
    do {
      const query = new URLSearchParams({ limit: String(PAGE_LIMIT) });
      if (paginationKey) query.set("pagination_key", paginationKey);
      const page = await this.request<{ items: PhoneNumber[]; has_more: boolean; pagination_key?: string }>(
        "list-phone-numbers",
        "GET",
        `/v2/list-phone-numbers?${query}`,
      );
      yield* page.items;
      paginationKey = page.has_more ? page.pagination_key : undefined;
    } while (paginationKey);
  }

  getAgent(agentId: string, version?: number): Promise<Agent> {
    return this.request("get-agent", "GET", `/get-agent/${encodeURIComponent(agentId)}${versionQuery(version)}`);
  }

  createAgent(body: Record<string, unknown>): Promise<Agent> {
    return this.request("create-agent", "POST", "/create-agent", body);
  }

  /** A new draft version copied from `baseVersion` (its Retell LLM gets a matching draft). */
  createAgentVersion(agentId: string, baseVersion: number): Promise<Agent> {
    return this.request("create-agent-version", "POST", `/create-agent-version/${encodeURIComponent(agentId)}`, {
      base_version: baseVersion,
    });
  }

  updateAgent(agentId: string, version: number, body: Record<string, unknown>): Promise<Agent> {
    return this.request("update-agent", "PATCH", `/update-agent/${encodeURIComponent(agentId)}${versionQuery(version)}`, body);
  }

  async publishAgentVersion(agentId: string, version: number): Promise<void> {
    await this.request("publish-agent-version", "POST", `/publish-agent-version/${encodeURIComponent(agentId)}`, { version });
  }

  getRetellLlm(llmId: string, version?: number): Promise<RetellLlm> {
    return this.request("get-retell-llm", "GET", `/get-retell-llm/${encodeURIComponent(llmId)}${versionQuery(version)}`);
  }

  createRetellLlm(body: Record<string, unknown>): Promise<RetellLlm> {
    return this.request("create-retell-llm", "POST", "/create-retell-llm", body);
  }

  updateRetellLlm(llmId: string, version: number, body: Record<string, unknown>): Promise<RetellLlm> {
    return this.request("update-retell-llm", "PATCH", `/update-retell-llm/${encodeURIComponent(llmId)}${versionQuery(version)}`, body);
  }

  /** One call, never retried here; the answer or a typed RetellError. */
  private async request<T>(operation: string, method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { Authorization: `Bearer ${this.apiKey}`, "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw failureBeforeAnswer(operation, error, this.timeoutMs);
    }
    if (!response.ok) throw failureAnswer(operation, response.status, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

function versionQuery(version: number | undefined): string {
  return version === undefined ? "" : `?version=${version}`;
}

/** Retell's error body is {"status":"error","message":"..."}; fall back to the raw text. */
function messageOf(text: string): string {
  try {
    const message = JSON.parse(text)?.message;
    if (typeof message === "string") return message;
  } catch {
    // not JSON
  }
  return text.slice(0, 300) || "(empty body)";
}

function failureAnswer(operation: string, status: number, text: string): RetellError {
  const message = messageOf(text);
  if (status === 429 || status === 408) return new RetellUnavailableError(operation, message, status, false);
  if (status >= 500) return new RetellUnavailableError(operation, message, status, true);
  if (NO_INVENTORY.test(message)) return new NoInventoryError(operation, message, status);
  return new BadRequestError(operation, message, status);
}

/** No answer: either we never reached Retell (safe to retry) or we lost it after sending (unknown). */
function failureBeforeAnswer(operation: string, error: unknown, timeoutMs: number): RetellError {
  if (error instanceof DOMException && error.name === "TimeoutError") {
    return new OutcomeUnknownError(operation, `no answer within ${timeoutMs} ms`);
  }
  const detail = `${(error as Error)?.message ?? error} ${((error as Error)?.cause as Error | undefined)?.message ?? ""}`.trim();
  // Deno reports a failed connection attempt as "client error (Connect)" / "tcp connect error" / "dns error".
  if (/\(Connect\)|tcp connect error|dns error|connection refused/i.test(detail)) {
    return new RetellUnavailableError(operation, detail, undefined, false);
  }
  return new OutcomeUnknownError(operation, detail);
}
