// The API gateway on 54321, doing what hosted Supabase's gateway does for the routes we use, and no
// more permissive than it:
// - `/rest/v1/*` to PostgREST and `/auth/v1/*` to the Auth stand-in, only with a project API key in
//   the `apikey` header (a bearer token alone is refused): the publishable or secret key, or the
//   legacy anon or service_role JWT. The new keys are not JWTs: when Authorization is absent or
//   carries the same key, the gateway sends the matching role's JWT instead, as hosted does; a
//   secret key from a browser is refused. Auth's email-link routes (`/verify`, `/callback`,
//   `/authorize`) and its JWKS need no key;
// - `/functions/v1/<name>` to the functions host, with a valid legacy JWT unless config.toml says
//   `verify_jwt = false` (the platform's check knows only the legacy secret); a browser's preflight
//   `OPTIONS` reaches the function, which must answer it, and the gateway adds no CORS headers of
//   its own to what a function answers;
// - CORS for browsers on `/rest/v1` (Supabase's) and on `/auth/v1` (the gateway answers preflights,
//   Auth adds its own headers to answers);
// - a path that is not in normal form (dot segments, encoded separators) is refused before
//   routing, so no path reaches a function other than the one it names;
// - the client's address is what the socket says, set as Cloudflare sets it on hosted
//   (`cf-connecting-ip`, plus `x-forwarded-for` and `x-real-ip`): address headers a client sends
//   never reach PostgREST, Auth, Postgres or a function;
// - a request id for the logs.
import http from "node:http";
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { JWT_SECRET, PORTS, PUBLISHABLE_KEY, SECRET_KEY } from "./config.ts";
import { ANON_KEY, SERVICE_ROLE_KEY } from "./keys.ts";

const REST_CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-allow-headers": "authorization, x-client-info, apikey, content-type, prefer, range, accept-profile, content-profile, x-request-id",
  "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
  "access-control-expose-headers": "content-range, content-location, x-request-id, retry-after",
};

/** Kong's cors plugin answers preflights to Auth on the platform: any origin, the headers asked for. */
function authPreflightHeaders(req: http.IncomingMessage): http.OutgoingHttpHeaders {
  return {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "GET, HEAD, PUT, PATCH, POST, DELETE, OPTIONS",
    "access-control-allow-headers": req.headers["access-control-request-headers"] ?? "",
    "access-control-max-age": "3600",
  };
}

/** Auth routes the platform serves without an API key: email links, OAuth redirects, the JWKS. */
const OPEN_AUTH_PATHS = /^\/auth\/v1\/(verify|callback|authorize|\.well-known\/jwks\.json)(\?|\/|$)/;

/** Headers through which a client could claim an address; the gateway sets its own instead. */
const CLIENT_ADDRESS_HEADERS = ["cf-connecting-ip", "cf-connecting-ipv6", "true-client-ip", "x-forwarded-for", "x-real-ip", "x-client-ip", "forwarded"];

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

/** The project API key in `apikey`, as the JWT of its role that upstream services verify. */
function apiKeyJwt(apikey: string | undefined): string | undefined {
  if (apikey === PUBLISHABLE_KEY || apikey === ANON_KEY) return ANON_KEY;
  if (apikey === SECRET_KEY || apikey === SERVICE_ROLE_KEY) return SERVICE_ROLE_KEY;
  return undefined;
}

const fromBrowser = (req: http.IncomingMessage) => /Mozilla\//.test(req.headers["user-agent"] ?? "");

/**
 * Checks the API key and sets the Authorization header upstream gets, or says why the request is
 * refused. A user's JWT in Authorization passes on unchanged (upstream verifies it).
 */
function authorizeApiKey(req: http.IncomingMessage, headers: http.OutgoingHttpHeaders): string | undefined {
  const apikey = req.headers.apikey as string | undefined;
  const roleJwt = apiKeyJwt(apikey);
  if (!roleJwt) return "Invalid API key: pass the publishable or secret key (or the legacy anon or service_role key) in the apikey header";
  if (apikey === SECRET_KEY && fromBrowser(req)) return "Forbidden use of secret API key in browser";
  const token = bearer(req.headers.authorization);
  if (!token || token === apikey) headers.authorization = `Bearer ${roleJwt}`;
  else if (token.startsWith("sb_")) return "An API key in the Authorization header must be the same as the apikey header";
  return undefined;
}

function reject(res: http.ServerResponse, status: number, code: string, message: string, headers: http.OutgoingHttpHeaders = {}) {
  res.writeHead(status, { ...headers, "content-type": "application/json" });
  res.end(JSON.stringify({ error: { code, message }, message }));
}

/**
 * True when the request's path is already in normal form. Dot segments (plain or percent-encoded),
 * encoded slashes and backslashes could make a later hop resolve the path to another route than
 * the one the gateway checked, so such a path is refused rather than rewritten.
 */
export function isCanonicalPath(rawUrl: string): boolean {
  const path = rawUrl.split("?")[0];
  if (!path.startsWith("/") || /%2f|%5c|\\/i.test(path)) return false;
  return !path.split("/").some((segment) => /^(\.|%2e){1,2}$/i.test(segment));
}

const upstreamAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function forward(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  port: number,
  path: string,
  headers: http.OutgoingHttpHeaders,
  answerHeaders: http.OutgoingHttpHeaders = {},
) {
  delete headers.connection;
  const upstream = http.request({ host: "127.0.0.1", port, method: req.method, path, headers, agent: upstreamAgent }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, { ...answer.headers, ...answerHeaders });
    answer.pipe(res);
  });
  upstream.on("error", (error) => {
    if (!res.headersSent) reject(res, 502, "upstream_unavailable", `Upstream on port ${port} failed: ${error.message}`, answerHeaders);
    else res.destroy();
  });
  req.pipe(upstream);
}

export function createGateway(openFunctions: Set<string>): http.Server {
  const server = http.createServer((req, res) => {
    const requestId = (req.headers["x-request-id"] as string) ?? randomUUID();
    const clientAddress = req.socket.remoteAddress?.replace(/^::ffff:/, "") ?? "";
    const headers: http.OutgoingHttpHeaders = { ...req.headers };
    for (const name of CLIENT_ADDRESS_HEADERS) delete headers[name];
    Object.assign(headers, {
      "x-request-id": requestId,
      "cf-connecting-ip": clientAddress,
      "x-forwarded-for": clientAddress,
      "x-real-ip": clientAddress,
    });
    delete headers.host;

    const url = req.url ?? "/";
    if (!isCanonicalPath(url)) {
      return reject(res, 400, "invalid_path", "The request path must not contain dot segments, encoded slashes or backslashes");
    }

    if (/^\/rest\/v1([/?]|$)/.test(url)) {
      if (req.method === "OPTIONS") return void res.writeHead(200, REST_CORS_HEADERS).end("ok");
      const refused = authorizeApiKey(req, headers);
      if (refused) return reject(res, 401, "invalid_api_key", refused, REST_CORS_HEADERS);
      return forward(req, res, PORTS.postgrest, url.slice("/rest/v1".length) || "/", headers, REST_CORS_HEADERS);
    }

    if (/^\/auth\/v1([/?]|$)/.test(url)) {
      if (req.method === "OPTIONS") return void res.writeHead(204, authPreflightHeaders(req)).end();
      if (!OPEN_AUTH_PATHS.test(url) || req.headers.apikey !== undefined) {
        const refused = authorizeApiKey(req, headers);
        if (refused) return reject(res, 401, "invalid_api_key", refused);
      }
      return forward(req, res, PORTS.auth, url.slice("/auth/v1".length) || "/", headers);
    }

    const fn = /^\/functions\/v1\/([A-Za-z0-9_-]+)([/?].*)?$/.exec(url);
    if (fn) {
      const [, name, rest = ""] = fn;
      // A preflight carries no Authorization header: hosted lets it through to the function.
      if (req.method !== "OPTIONS" && !openFunctions.has(name) && !verifyJwt(bearer(req.headers.authorization))) {
        return reject(res, 401, "invalid_jwt", "Missing or invalid JWT in the Authorization header");
      }
      return forward(req, res, PORTS.functions, `/${name}${rest}`, headers);
    }

    reject(res, 404, "not_found", `No route for ${url}`);
  });
  server.keepAliveTimeout = 65_000;
  return server;
}
