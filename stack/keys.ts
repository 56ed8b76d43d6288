// The keys of the local project, as `supabase start` has them today:
// - a JWT signing key (ES256, with a `kid`) that Auth signs user tokens with, published as a JWKS;
// - the legacy HS256 JWT secret, still trusted for verification, and the long-lived anon and
//   service_role JWTs signed with it;
// - the publishable and secret API keys (config.ts), which the gateway maps to anon and service_role.
// All local-only values: hosted Supabase has its own, and functions read theirs from the environment.
import { createHmac, createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { JWT_SECRET } from "./config.ts";

const base64url = (input: string | Buffer) => Buffer.from(input).toString("base64url");

/** An HS256 JWT over the legacy secret (the anon and service_role keys, legacy user tokens). */
export function signJwt(claims: Record<string, unknown>, secret = JWT_SECRET): string {
  const header = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const payload = base64url(JSON.stringify(claims));
  const signature = createHmac("sha256", secret).update(`${header}.${payload}`).digest("base64url");
  return `${header}.${payload}.${signature}`;
}

/** Same claims as the keys `supabase start` prints, so they are stable across machines. */
export const ANON_KEY = signJwt({ iss: "supabase-demo", role: "anon", exp: 1983812996 });
export const SERVICE_ROLE_KEY = signJwt({ iss: "supabase-demo", role: "service_role", exp: 1983812996 });

/** The current signing key: a P-256 key pair, fixed so that every machine's stack has the same JWKS. */
const SIGNING_JWK = {
  kty: "EC",
  crv: "P-256",
  x: "BiF4wd8BOsv5LHMuRgqv_jB_Qq2Am9TjGIXxLSrkXsQ",
  y: "ltNXml5Ez3DKa_Uf_p4_L1dppqDTrDn_-Anr0prv7Gg",
  d: "RalKXGlrUeuVRUiJoiuE65E0eJ32th_fXtHhSIWO4i8",
} as const;
export const SIGNING_KEY_ID = "d3324759-f18c-4f60-8458-5db782e93965";

export const signingPrivateKey: KeyObject = createPrivateKey({ key: SIGNING_JWK, format: "jwk" });

/** The public half as Auth publishes it at /auth/v1/.well-known/jwks.json. */
export const PUBLIC_JWK = {
  ...createPublicKey(signingPrivateKey).export({ format: "jwk" }),
  kid: SIGNING_KEY_ID,
  alg: "ES256",
  use: "sig",
  key_ops: ["verify"],
  ext: true,
};

/** The JWKS: what Auth publishes and what functions get as SUPABASE_JWKS. */
export const JWKS = { keys: [PUBLIC_JWK] };
