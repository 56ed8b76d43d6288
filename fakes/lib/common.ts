// Pieces several provider fakes share on top of the HTTP toolkit: a router that keeps a log of
// the API traffic it served, bearer-token parsing, provider-style random ids, and outbound
// webhook delivery.
import type http from "node:http";
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { json, listen, Router, type Handler } from "./http.ts";

export type LoggedRequest = {
  at: string;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: unknown;
};

/**
 * A Router that records every request it hands to an API route and serves the record at
 * `GET /__control/requests`, so tests can assert what the code under test actually sent.
 * Control routes stay out of the log. Requests answered by an injected fault never reach a
 * route, so they are not logged either.
 */
export class LoggingRouter extends Router {
  readonly requests: LoggedRequest[] = [];

  constructor() {
    super();
    super.on("GET /__control/requests", () => json(200, this.requests));
  }

  override on(route: string, handler: Handler): this {
    if (route.split(" ")[1].startsWith("/__control/")) return super.on(route, handler);
    return super.on(route, (req) => {
      this.requests.push({
        at: new Date().toISOString(),
        method: req.method,
        path: req.path,
        query: Object.fromEntries(req.query),
        headers: req.headers,
        body: req.body,
      });
      return handler(req);
    });
  }
}

/** The token of an `Authorization: Bearer <token>` header, if there is one. */
export function bearerToken(headers: http.IncomingHttpHeaders): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? "");
  return match?.[1].trim();
}

const ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** `prefix` followed by `length` random letters and digits, like Stripe's `cus_...` ids. */
export function randomId(prefix: string, length: number): string {
  const bytes = randomBytes(length);
  let id = prefix;
  for (const byte of bytes) id += ALPHANUMERIC[byte % ALPHANUMERIC.length];
  return id;
}

export type Delivery = { status: number; responseBody: string; error?: string };

/**
 * POSTs a webhook the way a provider does and reports the outcome instead of throwing:
 * status 0 with `error` when the subscriber could not be reached or timed out.
 */
export async function deliverWebhook(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs = 10_000,
): Promise<Delivery> {
  try {
    const res = await fetch(url, { method: "POST", body, headers, signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, responseBody: await res.text() };
  } catch (error) {
    return { status: 0, responseBody: "", error: (error as Error).message };
  }
}

/** Starts `server` on a free port (what tests want) and returns its base URL. */
export async function listenOnFreePort(server: http.Server): Promise<string> {
  await listen(server, 0);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
