// Fixed addresses and local-only secrets of the local stack. Nothing here is used in production:
// hosted Supabase provides its own URLs and keys, and the functions read theirs from the environment.
import { fileURLToPath } from "node:url";
import path from "node:path";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const STATE_DIR = path.join(ROOT, ".stack");

export const PORTS = {
  gateway: 54321,
  db: 54322,
  postgrest: 54331,
  functions: 54332,
  auth: 54334,
  retell: 54341,
  stripe: 54342,
  calcom: 54343,
  twilio: 54344,
  resend: 54345,
} as const;

/** Same value as `supabase start` uses, so keys minted here look like the CLI's. */
export const JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";
/** The API keys `supabase start` prints (publishable and secret), the same on every machine. */
export const PUBLISHABLE_KEY = "sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH";
export const SECRET_KEY = "sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz";
/** The password tests, scripts and the seed's users sign in with through the Auth stand-in. */
export const TEST_PASSWORD = "local-stack-password-1";
export const DB_PASSWORD = "postgres";
export const AUTHENTICATOR_PASSWORD = "postgres";

export const API_URL = `http://127.0.0.1:${PORTS.gateway}`;
/** What Auth puts in `iss` and links to: its public URL behind the gateway. */
export const AUTH_URL = `${API_URL}/auth/v1`;
/** The migration role, as on hosted Supabase: `postgres`, not a superuser. */
export const DB_URL = `postgresql://postgres:${DB_PASSWORD}@127.0.0.1:${PORTS.db}/postgres`;
/**
 * The stack's own superuser, for what the platform does before and beside our migrations (the
 * base, pg_net's background worker) and for superuser-only diagnostics (auto_explain); never for
 * migrations, seeds or the behaviour tests.
 */
export const SUPERUSER_URL = `postgresql://supabase_admin@127.0.0.1:${PORTS.db}/postgres`;
/** The Auth stand-in connects as Auth does on hosted: as the owner of the auth tables. */
export const AUTH_DB_URL = `postgresql://supabase_auth_admin@127.0.0.1:${PORTS.db}/postgres`;

export function fakeUrl(service: "retell" | "stripe" | "calcom" | "twilio" | "resend"): string {
  return `http://127.0.0.1:${PORTS[service]}`;
}
