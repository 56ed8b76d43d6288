// The API gateway on 54321, doing what Supabase's gateway does for the routes we use:
// `/rest/v1/*` to PostgREST (an `apikey` is required, and stands in for a missing bearer token),
// `/functions/v1/<name>` to the functions host (a valid JWT is required unless config.toml says
// `verify_jwt = false`), CORS on every answer, and a request id for the logs.
import http from "node:http";
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { JWT_SECRET, PORTS } from "./config.ts";

const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-allow-headers": "authorization, x-client-info, apikey, content-type, prefer, range, accept-profile, content-profile, x-request-id",
  "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
  "access-control-expose-headers": "content-range, content-location, x-request-id, retry-after",
};

/** Returns the token's claims when it is an HS256 JWT signed with the local secret and not expired. */
export function verifyJwt(token: string | undefined): Record<string, unknown> | undefined {
  if (!token) return undefined;
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  const expected = createHmac("sha256", JWT_SECRET).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2], "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0], "base64url").toString());
    const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString());
    if (header.alg !== "HS256") return undefined;
    if (typeof claims.exp === "number" && claims.exp * 1000 < Date.now()) return undefined;
    return claims;
  } catch {
    return undefined;
  }
}

const bearer = (header: string | undefined) => /^Bearer\s+(.+)$/i.exec(header ?? "")?.[1];

function reject(res: http.ServerResponse, status: number, code: string, message: string) {
  res.writeHead(status, { ...CORS_HEADERS, "content-type": "application/json" });
  res.end(JSON.stringify({ error: { code, message }, message }));
}

const upstreamAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function forward(req: http.IncomingMessage, res: http.ServerResponse, port: number, path: string, headers: http.OutgoingHttpHeaders) {
  delete headers.connection;
  const upstream = http.request({ host: "127.0.0.1", port, method: req.method, path, headers, agent: upstreamAgent }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, { ...answer.headers, ...CORS_HEADERS });
    answer.pipe(res);
  });
  upstream.on("error", (error) => {
    if (!res.headersSent) reject(res, 502, "upstream_unavailable", `Upstream on port ${port} failed: ${error.message}`);
    else res.destroy();
  });
  req.pipe(upstream);
}

export function createGateway(openFunctions: Set<string>): http.Server {
  const server = http.createServer((req, res) => {
    const requestId = (req.headers["x-request-id"] as string) ?? randomUUID();
    // Tell upstreams who the client is (admin IP allowlists read it). The gateway is the first hop,
    // so it replaces whatever address headers the client sent rather than trusting them.
    const clientAddress = req.socket.remoteAddress?.replace(/^::ffff:/, "") ?? "";
    const headers: http.OutgoingHttpHeaders = {
      ...req.headers,
      "x-request-id": requestId,
      "x-forwarded-for": clientAddress,
      "x-real-ip": clientAddress,
    };
    delete headers.host;
    if (req.method === "OPTIONS") {
      res.writeHead(200, CORS_HEADERS).end("ok");
      return;
    }
    const url = req.url ?? "/";

    if (url.startsWith("/rest/v1/") || url === "/rest/v1") {
      const apikey = (req.headers.apikey as string) ?? bearer(req.headers.authorization);
      if (!verifyJwt(apikey)) return reject(res, 401, "invalid_api_key", "Invalid API key: pass the anon or service_role key in the apikey header");
      headers.authorization ??= `Bearer ${apikey}`;
      return forward(req, res, PORTS.postgrest, url.slice("/rest/v1".length) || "/", headers);
    }

    const fn = /^\/functions\/v1\/([A-Za-z0-9_-]+)(.*)$/.exec(url);
    if (fn) {
      const [, name, rest] = fn;
      if (!openFunctions.has(name) && !verifyJwt(bearer(req.headers.authorization))) {
        return reject(res, 401, "invalid_jwt", "Missing or invalid JWT in the Authorization header");
      }
      return forward(req, res, PORTS.functions, `/${name}${rest}`, headers);
    }

    reject(res, 404, "not_found", `No route for ${url}`);
  });
  server.keepAliveTimeout = 65_000;
  return server;
}
