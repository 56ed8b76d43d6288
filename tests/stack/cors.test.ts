// CORS as hosted Supabase leaves it to the functions: the browser's preflight reaches the function,
// which answers it before any auth, method or body check, and every answer a function gives carries
// the headers that let the browser read it.
import { describe, expect, it } from "vitest";
import { functionNames } from "../../stack/functions.ts";
import { ANON_KEY, callFunction, FUNCTIONS_URL } from "../helpers/stack.ts";

const REQUESTED_HEADERS = ["authorization", "content-type", "x-impersonation-session", "x-admin-access-code", "x-request-id"];

/** The preflight a browser sends before POSTing with our headers; it carries no JWT. */
async function preflight(name: string): Promise<{ status: number; headers: Headers }> {
  const response = await fetch(`${FUNCTIONS_URL}/${name}`, {
    method: "OPTIONS",
    headers: {
      Origin: "http://localhost:3000",
      "Access-Control-Request-Method": "POST",
      "Access-Control-Request-Headers": REQUESTED_HEADERS.join(", "),
    },
  });
  await response.arrayBuffer();
  return { status: response.status, headers: response.headers };
}

describe("CORS preflight", () => {
  it.each(functionNames())("%s answers it without a JWT, allowing every header our browsers send", async (name) => {
    const { status, headers } = await preflight(name);
    expect(status).toBeGreaterThanOrEqual(200);
    expect(status).toBeLessThan(300);
    const allowed = (headers.get("access-control-allow-headers") ?? "").split(",").map((header) => header.trim().toLowerCase());
    expect(allowed).toEqual(expect.arrayContaining(REQUESTED_HEADERS));
    expect(headers.get("access-control-allow-origin")).toBeTruthy();
  });

  it("is answered 404 for a function that does not exist", async () => {
    expect((await preflight("no-such-function")).status).toBe(404);
  });
});

describe("CORS on a function's error answers", () => {
  // Each is the function's own refusal (the code says so), not the gateway's: demo-call needs no
  // JWT, and the anon key passes the gateway's JWT check but is no signed-in user.
  it.each([
    { name: "demo-call", method: "GET", token: undefined, status: 405, code: "method_not_allowed" },
    { name: "demo-call", method: "POST", token: undefined, status: 400, code: "invalid_payload" },
    { name: "deploy-agent", method: "GET", token: ANON_KEY, status: 405, code: "method_not_allowed" },
    { name: "deploy-agent", method: "POST", token: ANON_KEY, status: 401, code: "not_signed_in" },
    { name: "calcom-oauth/status", method: "GET", token: ANON_KEY, status: 401, code: "not_signed_in" },
  ])("$method $name answers $status with the CORS headers", async ({ name, method, token, status, code }) => {
    const answer = await callFunction(name, { method, token, body: method === "POST" ? {} : undefined });
    expect(answer).toMatchObject({ status, body: { error: { code } } });
    expect(answer.headers.get("access-control-allow-origin")).toBe("*");
    expect(answer.headers.get("access-control-expose-headers")).toMatch(/x-request-id.*retry-after/);
  });
});
