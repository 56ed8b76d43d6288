// Request and answer plumbing of the Auth stand-in, as Supabase Auth (GoTrue) does it: JSON bodies,
// errors in the shape the client asked for (X-Supabase-Api-Version), and GoTrue's own CORS headers.
import type http from "node:http";

/** The API version supabase-js sends; from it on, errors are `{ code: "<error_code>", message }`. */
const API_VERSION_2024 = "2024-01-01";

/** An error answer: GoTrue's HTTPError, with its stable error code (x-sb-error-code). */
export class AuthError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly extra: Record<string, unknown> = {}) {
    super(message);
  }
}

export type AuthRequest = {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
};

export type Answer = { status: number; body?: unknown; headers?: Record<string, string> };

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => ({ status, body, headers });

export async function readRequest(req: http.IncomingMessage): Promise<AuthRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString("utf8");
  const url = new URL(req.url ?? "/", "http://auth.local");
  let body: Record<string, unknown> = {};
  if (raw.trim() && req.method !== "GET") {
    try {
      body = JSON.parse(raw);
    } catch (error) {
      throw new AuthError(400, "bad_json", `Could not parse request body as JSON: ${(error as Error).message}`);
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new AuthError(400, "bad_json", "Could not parse request body as JSON: expected an object");
    }
  }
  return { method: req.method ?? "GET", path: url.pathname.replace(/\/+$/, "") || "/", query: url.searchParams, headers: req.headers, body };
}

/** The error body in the shape the caller's API version expects, as GoTrue's HandleResponseError writes it. */
export function errorAnswer(error: AuthError, headers: http.IncomingHttpHeaders): Answer {
  const modern = String(headers["x-supabase-api-version"] ?? "") >= API_VERSION_2024;
  const body = modern
    ? { code: error.code, message: error.message, ...error.extra }
    : { code: error.status, error_code: error.code, msg: error.message, ...error.extra };
  return json(error.status, body, {
    "x-sb-error-code": error.code,
    ...(modern ? { "x-supabase-api-version": API_VERSION_2024 } : {}),
  });
}

/**
 * GoTrue's CORS (rs/cors with credentials): any origin is echoed back, with the headers a browser
 * may read. The gateway answers preflights in front of it, as the platform's gateway does.
 */
function corsHeaders(origin: string | undefined): Record<string, string> {
  if (!origin) return {};
  return {
    "access-control-allow-origin": origin,
    "access-control-allow-credentials": "true",
    "access-control-expose-headers": "X-Total-Count, Link, X-Supabase-Api-Version",
    vary: "Origin",
  };
}

export function send(res: http.ServerResponse, answer: Answer, origin: string | undefined) {
  const headers = { ...corsHeaders(origin), ...(answer.headers ?? {}) };
  if (answer.body === undefined) {
    res.writeHead(answer.status, headers).end();
    return;
  }
  res.writeHead(answer.status, { "content-type": "application/json", ...headers }).end(JSON.stringify(answer.body));
}

/** A string field of the body, or undefined; anything else there is a 400 as GoTrue's decoder gives. */
export function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new AuthError(400, "bad_json", `Could not read ${name}: expected a string`);
  return value;
}

export function objectField(body: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) throw new AuthError(400, "bad_json", `Could not read ${name}: expected an object`);
  return value as Record<string, unknown>;
}
