// Reading a request from Retell (inbound webhook, call event, tool call): the raw body read once,
// its x-retell-signature checked before anything else happens, then the JSON checked against its
// schema. Verification is never skipped: without RETELL_API_KEY nothing is accepted.
import type { z } from "zod";
import { requireEnv } from "./env.ts";
import { errorResponse, HttpError } from "./http.ts";
import { log } from "./log.ts";
import { verifyRetellSignature } from "./retell-signature.ts";

/** The body of a genuine Retell request, validated by `schema`; HttpError 405, 401 or 400 otherwise. */
export async function readRetellRequest<Schema extends z.ZodType>(request: Request, schema: Schema): Promise<z.infer<Schema>> {
  if (request.method !== "POST") throw new HttpError(405, "method_not_allowed", "Retell requests are POSTs");
  const rawBody = await request.text();
  const signed = await verifyRetellSignature(rawBody, request.headers.get("x-retell-signature"), requireEnv("RETELL_API_KEY"));
  if (!signed) throw new HttpError(401, "invalid_signature", "Missing, stale or invalid x-retell-signature");
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    throw new HttpError(400, "invalid_json", "The body is not JSON");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`);
    throw new HttpError(400, "invalid_payload", problems.join("; "));
  }
  return parsed.data;
}

/** The gateway's request id, or a new one, so every log line of a request can be found together. */
export function requestIdOf(request: Request): string {
  return request.headers.get("x-request-id") ?? crypto.randomUUID();
}

/** The one error shape for an HttpError; anything else is logged and answered 500. */
export function errorAnswer(error: unknown, fields: Record<string, unknown>): Response {
  if (error instanceof HttpError) {
    log("warn", "request refused", { ...fields, status: error.status, code: error.code, reason: error.message });
    return errorResponse(error.status, error.code, error.message, error.headers);
  }
  log("error", "unhandled error", { ...fields, error: String(error) });
  return errorResponse(500, "internal_error", "Something went wrong on our side; try again");
}
