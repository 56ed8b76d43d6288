// The backend prompt for a ringing call (packages/shared/src/prompt-mode.ts says when a business
// gets it). Read by the called number with its own deadline, alongside the inbound lookup when
// every call gets it, after it for an allowlisted business:
// when it is late or fails the call goes on with the master LLM's own prompt, which is always
// there, so the prompt source can never keep a caller waiting or fail a call.
import { adminClient } from "../_shared/supabase.ts";
import { log } from "../_shared/log.ts";
import { optionalEnv } from "../_shared/env.ts";
import { type PromptSettings, promptSettings, usesBackendPrompt } from "../../../packages/shared/src/prompt-mode.ts";
import type { BackendPrompt } from "./context.ts";

const PROMPT_TIMEOUT_MS = 2000;
const TEMPLATE_MODE: PromptSettings = { mode: "template", allowlist: new Set() };

let settings: PromptSettings | undefined;

/** The settings, read once; a malformed one is logged and means Retell's own template for everyone. */
function currentSettings(): PromptSettings {
  if (!settings) {
    try {
      settings = promptSettings({
        RETELL_PROMPT_MODE: optionalEnv("RETELL_PROMPT_MODE"),
        RETELL_USE_BACKEND_PROMPT: optionalEnv("RETELL_USE_BACKEND_PROMPT"),
        RETELL_BACKEND_PROMPT_ALLOWLIST: optionalEnv("RETELL_BACKEND_PROMPT_ALLOWLIST"),
      });
    } catch (error) {
      log("error", "prompt settings ignored: the template on Retell answers every call", { error: String(error) });
      settings = TEMPLATE_MODE;
    }
  }
  return settings;
}

async function readBackendPrompt(toNumber: string, requestId: string): Promise<BackendPrompt | null> {
  try {
    const { data, error } = await adminClient().rpc("backend_prompt", { to_number: toNumber })
      .abortSignal(AbortSignal.timeout(PROMPT_TIMEOUT_MS));
    if (!error) return (data as BackendPrompt | null) ?? null;
    log("warn", "backend prompt not read; Retell's template answers", { request_id: requestId, error: error.message });
  } catch (error) {
    log("warn", "backend prompt not read; Retell's template answers", { request_id: requestId, error: String(error) });
  }
  return null;
}

/**
 * When every call gets the backend prompt (mode backend), starts reading the number's template
 * alongside the inbound lookup; otherwise null, and no call pays for a read it does not need.
 */
export function startBackendPromptRead(toNumber: string, requestId: string): Promise<BackendPrompt | null> | null {
  return currentSettings().mode === "backend" ? readBackendPrompt(toNumber, requestId) : null;
}

/**
 * The prompt for this business: null unless it is on the backend prompt; the read started
 * alongside the lookup, or (an allowlisted business in template mode) one read now.
 */
export function backendPromptFor(
  userId: string | null,
  toNumber: string,
  started: Promise<BackendPrompt | null> | null,
  requestId: string,
): Promise<BackendPrompt | null> {
  if (!usesBackendPrompt(currentSettings(), userId)) return Promise.resolve(null);
  return started ?? readBackendPrompt(toNumber, requestId);
}
