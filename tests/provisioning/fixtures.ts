// What the provisioning suites share: businesses in a given onboarding state, the fake Retell
// account (inventory, faults, the numbers it holds), and waiting for a deployment to settle.
// Each suite uses area codes no other suite touches, and sets their inventory itself.
import { afterAll, expect } from "vitest";
import { fakeUrl } from "../../stack/config.ts";
import { functionEnv } from "../../stack/functions.ts";
import { ANON_KEY, callFunction, newUser, SERVICE_ROLE_KEY, sql, type TestUser } from "../helpers/stack.ts";

export const RETELL_ENV = functionEnv();
const RETELL = fakeUrl("retell");

export type RetellNumber = {
  phone_number: string;
  area_code: number;
  nickname: string | null;
  inbound_agents: { agent_id: string; agent_version?: number; weight: number }[] | null;
  outbound_agents: { agent_id: string; agent_version?: number; weight: number }[] | null;
  inbound_webhook_url: string | null;
};

export type Deployment = {
  id: string;
  user_id: string;
  model: string;
  deploy_status: string;
  deploy_error_code: string | null;
  deploy_error_detail: string | null;
  retell_agent_id: string | null;
  retell_agent_version: number | null;
  retell_llm_id: string | null;
  phone_number: string | null;
  area_code_requested: string | null;
  area_code_obtained: string | null;
  area_codes_tried: string[];
  waiting_for: string[];
  deploy_attempts: number;
  next_attempt_at: Date;
};

// ---- the fake Retell account ----

async function retell(method: string, path: string, body?: unknown, apiKey?: string): Promise<any> {
  const response = await fetch(`${RETELL}${path}`, {
    method,
    headers: { "content-type": "application/json", ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`fake Retell ${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** Numbers for sale per area code (only the codes given change). */
export function setInventory(areaCodes: Record<string, number>): Promise<unknown> {
  return retell("POST", "/__control/inventory", { areaCodes });
}

/** Fault switch of the fake; every call replaces all faults, so keep the window short. */
export function setRetellFaults(faults: { hangNext?: number; failNext?: number; failStatus?: number; latencyMs?: number }) {
  return retell("POST", "/__control/faults", faults);
}

export async function retellState(): Promise<{ phoneNumbers: RetellNumber[]; agents: any[]; llms: any[] }> {
  return retell("GET", "/__control/state");
}

/** The numbers Retell holds for a business: those carrying its marker. */
export async function numbersOf(userId: string): Promise<RetellNumber[]> {
  return (await retellState()).phoneNumbers.filter((n) => n.nickname === `rcpt:${userId}`);
}

/** Buys a number straight at the fake, as if an earlier purchase of ours had gone through unseen. */
export function buyNumberAtRetell(body: Record<string, unknown>): Promise<RetellNumber> {
  return retell("POST", "/create-phone-number", body, RETELL_ENV.RETELL_API_KEY);
}

// ---- people ----

const adminEmails: string[] = [];
// Registered after the helpers' own afterAll, so it runs before their SQL pool closes.
afterAll(async () => {
  if (adminEmails.length > 0) await sql`delete from private.admin_emails where email in ${sql(adminEmails)}`;
});

/** A new operator for the rest of the file (independent of the seeded admin other suites use). */
export async function newAdmin(): Promise<TestUser> {
  const admin = await newUser("ops");
  const email = admin.email.toLowerCase();
  await sql`insert into private.admin_emails (email) values (${email})`;
  adminEmails.push(email);
  return admin;
}

// ---- businesses ----

export type BusinessState = {
  areaCode: string;
  industry?: "hvac" | "plumbing";
  /** Profile fields and consent filled in (default true). */
  profile?: boolean;
  /** An active subscription (default true). */
  paid?: boolean;
};

/** A signed-in owner in the given onboarding state (no deployment requested yet). */
export async function newBusiness(state: BusinessState): Promise<TestUser> {
  const user = await newUser("deploy");
  if (state.profile ?? true) await completeProfile(user, state);
  if (state.paid ?? true) await startSubscription(user.id);
  return user;
}

/** What the wizard saves, through the owner's own client, then the consent it records. */
export async function completeProfile(user: TestUser, state: BusinessState): Promise<void> {
  const { error } = await user.client
    .from("profiles")
    .update({ business_name: "Test Heating & Air", industry: state.industry ?? "hvac", area_code: state.areaCode })
    .eq("id", user.id);
  expect(error).toBeNull();
  const consent = await user.client.rpc("record_consent", { version: "v1" });
  expect(consent.error).toBeNull();
}

/** The subscription row the Stripe webhook writes on checkout. */
export async function startSubscription(userId: string): Promise<void> {
  await sql`insert into public.subscriptions (user_id, plan, status, current_period_start, current_period_end)
            values (${userId}, 'pro', 'active', now(), now() + interval '1 month')`;
}

/** What the Stripe webhook does on checkout.session.completed, in its own transaction. */
export async function requestDeploymentLikeStripe(userId: string): Promise<void> {
  await sql.begin((tx) => tx`select private.request_agent_deployment(${userId}::uuid, 'stripe')`);
}

/** Kicks the worker as the database does (service role); answers {claimed, attempt}. */
export function kickWorker(userId: string) {
  return callFunction("agent-deployer", { token: SERVICE_ROLE_KEY, body: { user_id: userId } });
}

/**
 * Loads the provisioning functions one at a time. The local functions host loads a function on its
 * first request, and first requests for two functions at the same instant can mix up their
 * handlers (a local-stack race, reported), so suites that start with a burst warm up first.
 */
export async function warmUpFunctions(): Promise<void> {
  for (const name of ["deploy-agent", "agent-deployer", "admin-agents"]) {
    await callFunction(name, { token: ANON_KEY, body: {} });
  }
}

// ---- deployments ----

export async function deploymentOf(userId: string): Promise<Deployment | undefined> {
  const [row] = await sql<Deployment[]>`select * from public.agents where user_id = ${userId}`;
  return row;
}

/** Polls the deployment until `done` holds (bounded), and returns it. */
export async function waitForDeployment(
  userId: string,
  done: (deployment: Deployment) => boolean,
  timeoutMs = 20_000,
): Promise<Deployment> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const deployment = await deploymentOf(userId);
    if (deployment && done(deployment)) return deployment;
    if (Date.now() > deadline) {
      throw new Error(`deployment of ${userId} did not settle in ${timeoutMs} ms: ${JSON.stringify(deployment)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export const settled = (deployment: Deployment) => ["active", "failed"].includes(deployment.deploy_status);

export async function auditActions(userId: string): Promise<string[]> {
  const rows = await sql<{ action: string }[]>`
    select action from public.audit_logs where on_behalf_of_user_id = ${userId} order by id`;
  return rows.map((row) => row.action);
}
