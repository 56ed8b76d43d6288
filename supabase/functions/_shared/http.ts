// One JSON shape for every answer our functions give: `{ "error": { "code", "message" } }` on
// failure, with a stable code a client can branch on; request bodies checked by zod schemas.
import type { z } from "zod";
import { jsonProblem } from "../../../packages/shared/src/json-limits.ts";
import { log } from "./log.ts";

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

export function errorResponse(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return jsonResponse(status, { error: { code, message } }, headers);
}

/** An error a handler throws to answer with a given status and code. */
export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

/** A value checked against `schema`, or a 400 `invalid_payload` naming every problem. */
export function validated<Schema extends z.ZodType>(value: unknown, schema: Schema): z.infer<Schema> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`);
    throw new HttpError(400, "invalid_payload", problems.join("; "));
  }
  return parsed.data;
}

/**
 * JSON text checked against `schema`; a 400 `invalid_json` when it is not JSON at all, and a 400
 * `invalid_payload` when it nests too deep or holds text Postgres cannot store (json-limits.ts).
 */
export function parseJson<Schema extends z.ZodType>(text: string, schema: Schema): z.infer<Schema> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HttpError(400, "invalid_json", "The body must be JSON");
  }
  const problem = jsonProblem(json);
  if (problem) throw new HttpError(400, "invalid_payload", problem);
  return validated(json, schema);
}

/** The request's JSON body checked against `schema`. */
export async function readJsonBody<Schema extends z.ZodType>(request: Request, schema: Schema): Promise<z.infer<Schema>> {
  return parseJson(await request.text(), schema);
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

/**
 * Wraps a handler so that whatever it throws is answered in the one error shape; with `methods`,
 * other methods get a 405 first.
 */
export function withJsonErrors(name: string, handler: (request: Request) => Promise<Response>, methods?: string[]) {
  return async (request: Request): Promise<Response> => {
    try {
      if (methods && !methods.includes(request.method)) {
        throw new HttpError(405, "method_not_allowed", `${name} takes ${methods.join(" or ")} requests`, { Allow: methods.join(", ") });
      }
      return await handler(request);
    } catch (error) {
      return errorAnswer(error, { function: name, request_id: requestIdOf(request) });
    }
  };
}

/** The path below the function's own name: `/admin-agents/quick-onboard` -> `quick-onboard`. */
export function routeOf(request: Request, functionName: string): string {
  const segments = new URL(request.url).pathname.split("/").filter(Boolean);
  return segments.slice(segments.indexOf(functionName) + 1).join("/");
}
