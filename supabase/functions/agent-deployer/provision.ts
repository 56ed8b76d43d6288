// One attempt at a claimed deployment: the agent the number answers with (the industry's master,
// Model A, or an agent of the business's own built from the master's template, Model B), then the
// number, then the record. Each Retell resource is recorded as soon as it exists, so a retry picks
// up where this attempt stopped. The number is only bought after its purchase is recorded, and
// after an ambiguous purchase the number carrying the business's marker is adopted instead.
import { areaCodesToTry } from "../../../packages/shared/src/area-codes.ts";
import { log } from "../_shared/log.ts";
import {
  type Agent,
  BadRequestError,
  NoInventoryError,
  OutcomeUnknownError,
  type PhoneNumber,
  type RetellClient,
  RetellUnavailableError,
  singleAgent,
  type AgentBinding,
} from "../_shared/retell-client.ts";
import { ConfigurationError, functionUrl, type Industry, masterAgentFor, numberMarker, voiceFor } from "../_shared/provisioning.ts";
import { currentMasterBinding, inboundAgentsFor, outboundAgentsFor, primaryVersion, sameBindings } from "../_shared/master-binding.ts";
import { type Deployment, type Deployments, type Failure, LeaseLostError } from "./deployments.ts";

/** No number for sale in the requested area code or any nearby one. */
class AreaCodeUnavailableError extends Error {
  constructor(readonly tried: string[]) {
    super(`No phone numbers available in area codes ${tried.join(", ")}`);
  }
}

type AgentChoice = { agentId: string; version?: number };

/** What a number is bound with: the agent recorded for the business, and the lists Retell takes. */
type Binding = AgentChoice & { inbound: AgentBinding[]; outbound: AgentBinding[] };

// Fields of an agent or LLM that Retell owns (ids, versions) or that we set for the new agent.
const AGENT_FIELDS_NOT_COPIED = [
  "agent_id", "version", "is_published", "last_modification_timestamp", "base_version", "version_title",
  "version_description", "agent_name", "voice_id", "webhook_url", "response_engine",
];
const LLM_FIELDS_NOT_COPIED = ["llm_id", "version", "is_published", "last_modification_timestamp"];

const without = (source: Record<string, unknown>, keys: string[]) =>
  Object.fromEntries(Object.entries(source).filter(([key]) => !keys.includes(key)));

export async function provision(deployment: Deployment, retell: RetellClient, deployments: Deployments): Promise<void> {
  const fields = { user_id: deployment.userId, attempt: deployment.attempt, model: deployment.model };
  try {
    const agent = deployment.model === "dedicated"
      ? singleBinding(await dedicatedAgent(deployment, retell, deployments))
      : await masterBinding(deployment.industry);
    const number = await obtainNumber(deployment, agent, retell, deployments);
    await deployments.complete(deployment, {
      phoneNumber: number.phone_number,
      areaCode: String(number.area_code),
      agentId: agent.agentId,
      agentVersion: agent.version ?? null,
      adopted: number.adopted,
    });
    log("info", "agent deployed", { ...fields, phone_number: number.phone_number, retell_agent_id: agent.agentId, adopted: number.adopted });
  } catch (error) {
    if (error instanceof LeaseLostError) {
      log("warn", "deployment lease lost; another worker continues", { ...fields, error: error.message });
      return;
    }
    const failure = describe(error);
    const status = await deployments.fail(deployment, failure);
    log(failure.retryable ? "warn" : "error", "deployment attempt failed", { ...fields, ...failure, status });
  }
}

function singleBinding(agent: AgentChoice): Binding {
  const only = singleAgent(agent.agentId, agent.version);
  return { ...agent, inbound: only, outbound: only };
}

/**
 * Model A: the master as the industry's numbers are bound now, so a number bought during a rollout
 * gets the stage's split (the rollout job then records it like any other number).
 */
async function masterBinding(industry: string): Promise<Binding> {
  masterAgentFor(industry); // a missing or malformed configuration fails before anything is bought
  const binding = await currentMasterBinding(industry as Industry);
  return { agentId: binding.agentId, version: primaryVersion(binding), inbound: inboundAgentsFor(binding), outbound: outboundAgentsFor(binding) };
}

/** What a failed attempt records: a code a frontend can show, and whether trying again may help. */
function describe(error: unknown): Failure {
  const detail = error instanceof Error ? error.message : String(error);
  if (error instanceof AreaCodeUnavailableError) return { code: "AREA_CODE_UNAVAILABLE", detail, retryable: false };
  if (error instanceof ConfigurationError) return { code: "CONFIGURATION_ERROR", detail, retryable: false };
  if (error instanceof BadRequestError) return { code: "RETELL_REJECTED", detail, retryable: false };
  if (error instanceof RetellUnavailableError) return { code: "RETELL_UNAVAILABLE", detail, retryable: true };
  if (error instanceof OutcomeUnknownError) return { code: "RETELL_OUTCOME_UNKNOWN", detail, retryable: true };
  return { code: "INTERNAL_ERROR", detail, retryable: true };
}

/**
 * Model B: the business's own agent, a copy of the master's template (agent and Retell LLM) with
 * our call-event webhook, its LLM version pinned in response_engine, published as version 0.
 */
async function dedicatedAgent(deployment: Deployment, retell: RetellClient, deployments: Deployments): Promise<AgentChoice> {
  if (deployment.retellAgentId && deployment.retellAgentVersion !== null) {
    return { agentId: deployment.retellAgentId, version: deployment.retellAgentVersion };
  }
  let agentId = deployment.retellAgentId;
  if (!agentId) {
    const master = masterAgentFor(deployment.industry);
    const template = await retell.getAgent(master.agentId, master.version);
    const engine = template.response_engine;
    if (engine?.type !== "retell-llm" || !engine.llm_id) {
      throw new ConfigurationError(`Master agent ${master.agentId} does not run on a Retell LLM, so it cannot be copied`);
    }
    let llmId = deployment.retellLlmId;
    let llmVersion = 0; // a new Retell LLM starts at version 0, also one made by an earlier attempt
    if (!llmId) {
      const masterLlm = await retell.getRetellLlm(engine.llm_id, engine.version);
      const llm = await retell.createRetellLlm(without(masterLlm, LLM_FIELDS_NOT_COPIED));
      llmId = llm.llm_id;
      llmVersion = llm.version;
      await deployments.saveRetellAgent(deployment, { llmId });
    }
    const agent: Agent = await retell.createAgent({
      ...without(template, AGENT_FIELDS_NOT_COPIED),
      agent_name: `${deployment.businessName} [${numberMarker(deployment.userId)}]`,
      voice_id: voiceFor(template.voice_id),
      webhook_url: functionUrl("retell-webhook"),
      response_engine: { type: "retell-llm", llm_id: llmId, version: llmVersion },
    });
    agentId = agent.agent_id;
    await deployments.saveRetellAgent(deployment, { agentId });
  }
  // Published versions are immutable: the number answers with exactly this one until an admin
  // publishes another (update-agent).
  const first = await retell.getAgent(agentId, 0);
  if (!first.is_published) await retell.publishAgentVersion(agentId, 0);
  await deployments.saveRetellAgent(deployment, { agentVersion: 0 });
  return { agentId, version: 0 };
}

/** The business's number: the one an ambiguous earlier purchase left at Retell, else a new one. */
async function obtainNumber(
  deployment: Deployment,
  agent: Binding,
  retell: RetellClient,
  deployments: Deployments,
): Promise<PhoneNumber & { adopted: boolean }> {
  const marker = numberMarker(deployment.userId);
  if (deployment.purchaseOutcomeUnknown) {
    const earlier = await findNumber(retell, marker);
    if (earlier) {
      log("info", "adopting a number bought in an earlier attempt", { user_id: deployment.userId, phone_number: earlier.phone_number });
      const bound = sameBindings(earlier.inbound_agents, agent.inbound) && sameBindings(earlier.outbound_agents, agent.outbound)
        ? earlier
        : await retell.updatePhoneNumber(earlier.phone_number, { inbound_agents: agent.inbound, outbound_agents: agent.outbound });
      return { ...bound, adopted: true };
    }
  }
  const tried: string[] = [];
  for (const areaCode of areaCodesToTry(deployment.areaCode)) {
    tried.push(areaCode);
    await deployments.beginPurchase(deployment, areaCode);
    try {
      const bought = await retell.createPhoneNumber({
        area_code: Number(areaCode),
        country_code: "US",
        nickname: marker,
        inbound_agents: agent.inbound,
        outbound_agents: agent.outbound,
        inbound_webhook_url: functionUrl("retell-inbound"),
      });
      return { ...bought, adopted: false };
    } catch (error) {
      if (!(error instanceof NoInventoryError)) throw error;
      log("info", "no numbers in area code; trying the next nearby one", { user_id: deployment.userId, area_code: areaCode });
    }
  }
  throw new AreaCodeUnavailableError(tried);
}

async function findNumber(retell: RetellClient, marker: string): Promise<PhoneNumber | undefined> {
  for await (const number of retell.listPhoneNumbers()) {
    if (number.nickname === marker) return number;
  }
  return undefined;
}
