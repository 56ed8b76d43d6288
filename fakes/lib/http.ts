// Small HTTP toolkit shared by the fakes of external services: routing, body parsing, replies,
// and the fault switch (latency, 5xx, hang) that tests flip through each fake's control API.
import http from "node:http";

export type Request = {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  rawBody: string;
  /** JSON or form-encoded body, parsed by content type; undefined when empty. */
  body: any;
  params: Record<string, string>;
};

export type Reply = { status: number; body?: unknown; headers?: Record<string, string> };
export type Handler = (req: Request) => Reply | Promise<Reply>;

/** `passNext` requests are answered normally before `failNext` starts failing (a failure halfway). */
export type Faults = { latencyMs: number; passNext: number; failNext: number; failStatus: number; hangNext: number };

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return { status, body, headers };
}

/** Routes like "GET /get-agent/:id"; first match wins. */
export class Router {
  private routes: { method: string; pattern: RegExp; keys: string[]; handler: Handler }[] = [];

  on(route: string, handler: Handler): this {
    const [method, pathPattern] = route.split(" ");
    const keys: string[] = [];
    const pattern = new RegExp(
      "^" + pathPattern.replace(/:([A-Za-z_]+)/g, (_, key) => (keys.push(key), "([^/]+)")) + "$",
    );
    this.routes.push({ method, pattern, keys, handler });
    return this;
  }

  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = route.pattern.exec(path);
      if (!m) continue;
      const params = Object.fromEntries(route.keys.map((k, i) => [k, decodeURIComponent(m[i + 1])]));
      return { handler: route.handler, params };
    }
    return undefined;
  }
}

function parseBody(raw: string, contentType: string | undefined): any {
  if (!raw) return undefined;
  if (contentType?.includes("application/x-www-form-urlencoded")) {
    return Object.fromEntries(new URLSearchParams(raw));
  }
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/**
 * Serves a router with the fault switch in front of it. `faults` is mutated by the fake's
 * control routes; `notFound` shapes the 404 in the provider's own error format.
 */
export function createServer(
  router: Router,
  faults: Faults,
  errorBody: (status: number, message: string) => unknown,
): http.Server {
  return http.createServer(async (incoming, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString("utf8");
    const url = new URL(incoming.url ?? "/", "http://fake");
    const method = incoming.method ?? "GET";
    const send = (reply: Reply) => {
      const headers = { ...(reply.headers ?? {}) };
      let payload = "";
      if (reply.body !== undefined) {
        if (typeof reply.body === "string") payload = reply.body;
        else {
          payload = JSON.stringify(reply.body);
          headers["content-type"] ??= "application/json";
        }
      }
      res.writeHead(reply.status, headers).end(payload);
    };

    const isControl = url.pathname.startsWith("/__control");
    if (!isControl) {
      if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
      if (faults.hangNext > 0) {
        faults.hangNext--;
        return; // never answers: the caller's timeout fires
      }
      if (faults.passNext > 0) {
        faults.passNext--;
      } else if (faults.failNext > 0) {
        faults.failNext--;
        return send(json(faults.failStatus, errorBody(faults.failStatus, "Injected failure")));
      }
    }

    const found = router.match(method, url.pathname);
    if (!found) return send(json(404, errorBody(404, `No route for ${method} ${url.pathname}`)));
    try {
      send(
        await found.handler({
          method,
          path: url.pathname,
          query: url.searchParams,
          headers: incoming.headers,
          rawBody,
          body: parseBody(rawBody, incoming.headers["content-type"]),
          params: found.params,
        }),
      );
    } catch (error) {
      send(json(500, errorBody(500, (error as Error).message)));
    }
  });
}

export function newFaults(): Faults {
  return { latencyMs: 0, passNext: 0, failNext: 0, failStatus: 500, hangNext: 0 };
}

/** Control routes every fake has: set faults, and reset state through the given callback. */
export function addControlRoutes(router: Router, faults: Faults, reset: () => void): void {
  router.on("POST /__control/faults", (req) => {
    Object.assign(faults, newFaults(), req.body ?? {});
    return json(200, faults);
  });
  router.on("POST /__control/reset", () => {
    Object.assign(faults, newFaults());
    reset();
    return json(200, { ok: true });
  });
}

export function listen(server: http.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
}
