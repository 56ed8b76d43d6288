import { describe, expect, it } from "vitest";
import { promptSettings, usesBackendPrompt } from "../../packages/shared/src/prompt-mode.ts";

const OWNER = "5b0c1a2e-9f1d-4c3b-8a7e-0d1f2e3a4b5c";
const OTHER = "0c7a9e3b-1d2f-4a5b-9c8d-7e6f5a4b3c2d";

describe("prompt settings", () => {
  it("default to Retell's own template for everyone", () => {
    const settings = promptSettings({});
    expect(settings.mode).toBe("template");
    expect(usesBackendPrompt(settings, OWNER)).toBe(false);
  });

  it("RETELL_PROMPT_MODE decides, RETELL_USE_BACKEND_PROMPT only when it is unset", () => {
    expect(promptSettings({ RETELL_PROMPT_MODE: "backend" }).mode).toBe("backend");
    expect(promptSettings({ RETELL_USE_BACKEND_PROMPT: "true" }).mode).toBe("backend");
    expect(promptSettings({ RETELL_USE_BACKEND_PROMPT: "TRUE", RETELL_PROMPT_MODE: "template" }).mode).toBe("template");
    expect(promptSettings({ RETELL_USE_BACKEND_PROMPT: "false" }).mode).toBe("template");
    expect(usesBackendPrompt(promptSettings({ RETELL_PROMPT_MODE: "backend" }), null)).toBe(true);
  });

  it("the allowlist puts only its businesses on the backend prompt", () => {
    const settings = promptSettings({ RETELL_BACKEND_PROMPT_ALLOWLIST: ` ${OWNER.toUpperCase()} ,` });
    expect(settings.mode).toBe("template");
    expect(usesBackendPrompt(settings, OWNER)).toBe(true);
    expect(usesBackendPrompt(settings, OTHER)).toBe(false);
    expect(usesBackendPrompt(settings, null)).toBe(false);
  });

  it.each([
    [{ RETELL_PROMPT_MODE: "llm" }, /RETELL_PROMPT_MODE/],
    [{ RETELL_USE_BACKEND_PROMPT: "yes" }, /RETELL_USE_BACKEND_PROMPT/],
    [{ RETELL_BACKEND_PROMPT_ALLOWLIST: "acme-plumbing" }, /ALLOWLIST/],
  ])("refuses %o", (env, message) => {
    expect(() => promptSettings(env)).toThrow(message);
  });
});
