// JWTs as Supabase issues them: HS256 over the project's JWT secret. The anon and service_role keys
// are long-lived tokens whose only claim that matters is `role`; a user's access token carries `sub`.
import { createHmac } from "node:crypto";
import { JWT_SECRET } from "./config.ts";

const base64url = (input: string | Buffer) => Buffer.from(input).toString("base64url");

export function signJwt(claims: Record<string, unknown>, secret = JWT_SECRET): string {
  const header = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const payload = base64url(JSON.stringify(claims));
  const signature = createHmac("sha256", secret).update(`${header}.${payload}`).digest("base64url");
  return `${header}.${payload}.${signature}`;
}

/** Same claims as the keys `supabase start` prints, so they are stable across machines. */
export const ANON_KEY = signJwt({ iss: "supabase-demo", role: "anon", exp: 1983812996 });
export const SERVICE_ROLE_KEY = signJwt({ iss: "supabase-demo", role: "service_role", exp: 1983812996 });
