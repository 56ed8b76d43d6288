// The website's "call me" demo (the old POST /retell/demo-call): a visitor gives a number and our
// demo agent calls it from RETELL_DEMO_FROM_NUMBER. Public, so rate-limited in Postgres per client
// address and per number called, shared by every instance. The call is recorded (calls.is_demo) and
// its events complete the row like any other call's.
import { z } from "zod";
import { adminClient } from "../_shared/supabase.ts";
import { optionalEnv, requireEnv } from "../_shared/env.ts";
import { errorAnswer, HttpError, jsonResponse, readJsonBody, requestIdOf } from "../_shared/http.ts";
import { log } from "../_shared/log.ts";
import { northAmericanAreaCode, toE164 } from "../../../packages/shared/src/phone.ts";

const demoRequest = z.object({ to_number: z.string().min(1).max(40) });

/** At most this many demo calls per client address per hour, and per number called per day. */
const LIMITS = [
  { key: "ip", maxHits: 5, windowSeconds: 3600 },
  { key: "to", maxHits: 3, windowSeconds: 86_400 },
] as const;

const RETELL_TIMEOUT_MS = 10_000;

async function readDemoRequest(request: Request): Promise<string> {
  const { to_number: given } = await readJsonBody(request, demoRequest);
  const toNumber = toE164(given);
  // Retell numbers dial the US (and Canada, which shares +1) only.
  if (!toNumber || !northAmericanAreaCode(toNumber)) {
    throw new HttpError(400, "invalid_phone_number", "to_number must be a US or Canadian phone number, e.g. +14155550123");
  }
  return toNumber;
}

/**
 * The visitor's address as the first trusted hop reports it: Cloudflare's cf-connecting-ip on hosted
 * Supabase, the local gateway's x-real-ip; x-forwarded-for's first entry is what the client claims,
 * so it is the last resort (as private.client_ip() reads them).
 */
function clientAddressOf(request: Request): string {
  const trusted = request.headers.get("cf-connecting-ip") ?? request.headers.get("x-real-ip");
  return (trusted ?? request.headers.get("x-forwarded-for")?.split(",")[0] ?? "").trim() || "unknown";
}

async function enforceLimits(clientAddress: string, toNumber: string): Promise<void> {
  const subjects = { ip: clientAddress, to: toNumber };
  for (const limit of LIMITS) {
    const { data, error } = await adminClient().rpc("consume_rate_limit", {
      bucket: `demo-call:${limit.key}:${subjects[limit.key]}`,
      max_hits: limit.maxHits,
      window_seconds: limit.windowSeconds,
    });
    if (error) throw new Error(`rate limit check failed: ${error.message}`);
    const [verdict] = data as { allowed: boolean; retry_after_seconds: number }[];
    if (!verdict.allowed) {
      const what = limit.key === "ip" ? "from this address" : "to this number";
      throw new HttpError(429, "rate_limited", `Too many demo calls ${what}; try again later`, {
        "Retry-After": String(verdict.retry_after_seconds),
      });
    }
  }
}

type RetellCall = { call_id: string; call_status: string; agent_id?: string };

async function placeCall(toNumber: string, fromNumber: string): Promise<RetellCall> {
  const baseUrl = optionalEnv("RETELL_BASE_URL") ?? "https://api.retellai.com";
  const response = await fetch(`${baseUrl}/v2/create-phone-call`, {
    method: "POST",
    headers: { Authorization: `Bearer ${requireEnv("RETELL_API_KEY")}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      from_number: fromNumber,
      to_number: toNumber,
      override_agent_id: requireEnv("RETELL_DEMO_AGENT_ID"),
      metadata: { demo: true },
    }),
    signal: AbortSignal.timeout(RETELL_TIMEOUT_MS),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    log("error", "Retell refused the demo call", { status: response.status, message: body?.message ?? null });
    throw new HttpError(502, "call_not_placed", "The demo call could not be placed; try again in a minute");
  }
  return body as RetellCall;
}

export async function handleDemoCall(request: Request): Promise<Response> {
  const requestId = requestIdOf(request);
  try {
    if (request.method !== "POST") throw new HttpError(405, "method_not_allowed", "Use POST");
    const toNumber = await readDemoRequest(request);
    const clientAddress = clientAddressOf(request);
    await enforceLimits(clientAddress, toNumber);
    const fromNumber = requireEnv("RETELL_DEMO_FROM_NUMBER");
    const call = await placeCall(toNumber, fromNumber);
    const { error } = await adminClient().rpc("record_demo_call", {
      call_id: call.call_id,
      from_number: fromNumber,
      to_number: toNumber,
      agent_id: call.agent_id ?? null,
    });
    // The call is ringing already: answer the visitor, and let the call events record it.
    if (error) log("error", "demo call not recorded", { request_id: requestId, call_id: call.call_id, error: error.message });
    log("info", "demo call placed", { request_id: requestId, call_id: call.call_id });
    return jsonResponse(201, { call_id: call.call_id, status: call.call_status });
  } catch (error) {
    return errorAnswer(error, { function: "demo-call", request_id: requestId });
  }
}

