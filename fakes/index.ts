// Starts every fake external service on its local-stack port, with the same secrets the functions
// read from supabase/functions/.env, so signed requests verify on both sides.
import { randomInt } from "node:crypto";
import { PORTS } from "../stack/config.ts";
import { functionEnv } from "../stack/functions.ts";
import { listen } from "./lib/http.ts";
import { createRetellFake } from "./retell.ts";
import { createStripeFake } from "./stripe.ts";
import { createCalcomFake } from "./calcom.ts";
import { createTwilioFake } from "./twilio.ts";
import { createResendFake } from "./resend.ts";

/** Agents and LLMs that exist in the Retell account the product is configured against. */
export function retellSeed(env: Record<string, string>) {
  const llm = (id: string) => ({ llm_id: id, general_prompt: "You are the receptionist of {{business_name}}." });
  const agent = (id: string, llmId: string, name: string) => ({
    agent_id: id,
    agent_name: name,
    voice_id: env.RETELL_VOICE_ID,
    // Call events go to our retell-webhook, as the master-agent-health check expects.
    webhook_url: `${env.SUPABASE_URL}/functions/v1/retell-webhook`,
    response_engine: { type: "retell-llm", llm_id: llmId },
  });
  return {
    llms: [llm(env.RETELL_LLM_ID_HVAC), llm(env.RETELL_LLM_ID_PLUMBING)],
    agents: [
      agent(env.RETELL_MASTER_AGENT_ID_HVAC, env.RETELL_LLM_ID_HVAC, "HVAC master"),
      agent(env.RETELL_MASTER_AGENT_ID_PLUMBING, env.RETELL_LLM_ID_PLUMBING, "Plumbing master"),
      agent(env.RETELL_DEMO_AGENT_ID, env.RETELL_LLM_ID_HVAC, "Demo"),
      agent(env.RETELL_FALLBACK_AGENT_ID_HVAC, env.RETELL_LLM_ID_HVAC, "HVAC fallback"),
      agent(env.RETELL_FALLBACK_AGENT_ID_PLUMBING, env.RETELL_LLM_ID_PLUMBING, "Plumbing fallback"),
    ],
  };
}

/**
 * Brings the fake Retell account to the state the product expects of the real one, through the
 * fake's own API: published master agent versions (RETELL_AGENT_VERSION_HVAC pins version 1) and
 * the number demo calls are made from.
 */
async function prepareRetellAccount(env: Record<string, string>): Promise<void> {
  const retell = async (path: string, body: unknown) => {
    const response = await fetch(`http://127.0.0.1:${PORTS.retell}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${env.RETELL_API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`fake Retell ${path}: ${response.status} ${await response.text()}`);
  };
  for (const agentId of [env.RETELL_MASTER_AGENT_ID_HVAC, env.RETELL_MASTER_AGENT_ID_PLUMBING]) {
    await retell(`/publish-agent-version/${agentId}`, { version: 0 });
    await retell(`/create-agent-version/${agentId}`, { base_version: 0 });
    await retell(`/publish-agent-version/${agentId}`, { version: 1 });
  }
  await retell("/create-phone-number", {
    phone_number: env.RETELL_DEMO_FROM_NUMBER,
    nickname: "demo line",
    outbound_agents: [{ agent_id: env.RETELL_DEMO_AGENT_ID, weight: 1 }],
  });
}

export async function startFakes(): Promise<void> {
  const env = functionEnv();
  await Promise.all([
    // Plenty of numbers everywhere; tests and the demo make an area code scarce on purpose.
    listen(
      createRetellFake({
        apiKey: env.RETELL_API_KEY,
        seed: retellSeed(env),
        inventory: { default: 10_000 },
        start: { id: randomInt(1, 2 ** 40), number: randomInt(0, 8_000) },
      }).server,
      PORTS.retell,
    ),
    listen(createStripeFake({ secretKey: env.STRIPE_SECRET_KEY, webhookSecret: env.STRIPE_WEBHOOK_SECRET }).server, PORTS.stripe),
    listen(
      createCalcomFake({ clientId: env.CALCOM_CLIENT_ID, clientSecret: env.CALCOM_CLIENT_SECRET, webhookSecret: env.CALCOM_WEBHOOK_SECRET }).server,
      PORTS.calcom,
    ),
    listen(createTwilioFake({ accountSid: env.TWILIO_ACCOUNT_SID, authToken: env.TWILIO_AUTH_TOKEN }).server, PORTS.twilio),
    listen(createResendFake({ apiKey: env.RESEND_API_KEY }).server, PORTS.resend),
  ]);
  await prepareRetellAccount(env);
}
