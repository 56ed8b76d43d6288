// Starts every fake external service on its local-stack port, with the same secrets the functions
// read from supabase/functions/.env, so signed requests verify on both sides.
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
    response_engine: { type: "retell-llm", llm_id: llmId },
  });
  return {
    llms: [llm(env.RETELL_LLM_ID_HVAC), llm(env.RETELL_LLM_ID_PLUMBING)],
    agents: [
      agent(env.RETELL_MASTER_AGENT_ID_HVAC, env.RETELL_LLM_ID_HVAC, "HVAC master"),
      agent(env.RETELL_MASTER_AGENT_ID_PLUMBING, env.RETELL_LLM_ID_PLUMBING, "Plumbing master"),
      agent(env.RETELL_DEMO_AGENT_ID, env.RETELL_LLM_ID_HVAC, "Demo"),
    ],
  };
}

export async function startFakes(): Promise<void> {
  const env = functionEnv();
  await Promise.all([
    listen(createRetellFake({ apiKey: env.RETELL_API_KEY, seed: retellSeed(env) }).server, PORTS.retell),
    listen(createStripeFake({ secretKey: env.STRIPE_SECRET_KEY, webhookSecret: env.STRIPE_WEBHOOK_SECRET }).server, PORTS.stripe),
    listen(
      createCalcomFake({ clientId: env.CALCOM_CLIENT_ID, clientSecret: env.CALCOM_CLIENT_SECRET, webhookSecret: env.CALCOM_WEBHOOK_SECRET }).server,
      PORTS.calcom,
    ),
    listen(createTwilioFake({ accountSid: env.TWILIO_ACCOUNT_SID, authToken: env.TWILIO_AUTH_TOKEN }).server, PORTS.twilio),
    listen(createResendFake({ apiKey: env.RESEND_API_KEY }).server, PORTS.resend),
  ]);
}
