// Prompt modes in the inbound webhook: with the local settings (RETELL_PROMPT_MODE=template and one
// business on RETELL_BACKEND_PROMPT_ALLOWLIST, supabase/functions/.env.example) only that business's
// calls carry our current prompt template in agent_override.retell_llm; every other call is left to
// the master LLM's own prompt, and a newly saved template reaches the allowlisted business at once.
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { postAsRetell } from "../../scripts/lib/call-simulator.ts";
import { functionEnv } from "../../stack/functions.ts";
import { sql, type TestUser } from "../helpers/stack.ts";
import { newAdmin } from "../provisioning/fixtures.ts";
import { type Business, newBusiness, setUpBusiness, uniqueCallId, uniquePhone } from "./fixtures.ts";

const ALLOWLISTED = functionEnv().RETELL_BACKEND_PROMPT_ALLOWLIST;

const answerFor = async (number: string) =>
  (await postAsRetell("retell-inbound", {
    event: "call_inbound",
    call_inbound: { from_number: uniquePhone(), to_number: number, call_id: uniqueCallId() },
  })).body.call_inbound;

let admin: TestUser;
let allowlisted: Omit<Business, "user">;
let other: Business;

async function saveTemplate(): Promise<{ general_prompt: string; begin_message: string }> {
  const template = { general_prompt: `You answer for {{business_name}}. ${randomUUID()}`, begin_message: `Hello from {{business_name}} ${randomUUID()}` };
  const saved = await admin.client.rpc("admin_save_prompt_template", { industry: "hvac", ...template });
  expect(saved.error).toBeNull();
  return template;
}

beforeAll(async () => {
  expect(ALLOWLISTED).toMatch(/^[0-9a-f-]{36}$/);
  admin = await newAdmin();
  // The allowlisted business has a fixed id, so it is made again on every run (by SQL, with its id).
  await sql`delete from auth.users where id = ${ALLOWLISTED}`;
  await sql`insert into auth.users (id, email, email_confirmed_at) values (${ALLOWLISTED}, ${`backend-prompt-${ALLOWLISTED}@test.local`}, now())`;
  allowlisted = await setUpBusiness(ALLOWLISTED);
  other = await newBusiness();
});

describe("prompt modes", () => {
  it("send the current template with the calls of an allowlisted business, and nothing with the others", async () => {
    const template = await saveTemplate();
    const answer = await answerFor(allowlisted.number);
    expect(answer.agent_override).toEqual({ retell_llm: template });
    expect(answer.dynamic_variables.business_name).toBe(allowlisted.businessName);
    expect(answer).not.toHaveProperty("override_agent_id");

    expect(await answerFor(other.number)).not.toHaveProperty("agent_override");
    expect(await answerFor(uniquePhone())).not.toHaveProperty("agent_override");
  });

  it("a newly saved template reaches the next call", async () => {
    const template = await saveTemplate();
    expect((await answerFor(allowlisted.number)).agent_override).toEqual({ retell_llm: template });
  });

  it("leave a dedicated agent's calls to that agent's own prompt", async () => {
    await sql`update public.agents set model = 'dedicated', retell_agent_id = 'agent_own_prompt', retell_agent_version = 0 where user_id = ${ALLOWLISTED}`;
    const answer = await answerFor(allowlisted.number);
    expect(answer).toMatchObject({ override_agent_id: "agent_own_prompt" });
    expect(answer).not.toHaveProperty("agent_override");
    await sql`update public.agents set model = 'shared', retell_agent_id = 'agent_master_hvac', retell_agent_version = 1 where user_id = ${ALLOWLISTED}`;
  });
});
