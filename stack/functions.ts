// What the local stack knows about the Edge Functions: their names and the environment they run
// with (whether the gateway checks a JWT for each is in supabase-config.ts).
import fs from "node:fs";
import path from "node:path";
import { API_URL, DB_URL, PUBLISHABLE_KEY, ROOT, SECRET_KEY } from "./config.ts";
import { ANON_KEY, JWKS, SERVICE_ROLE_KEY } from "./keys.ts";

export const FUNCTIONS_DIR = path.join(ROOT, "supabase", "functions");
const ENV_FILE = path.join(FUNCTIONS_DIR, ".env");
const ENV_EXAMPLE = path.join(FUNCTIONS_DIR, ".env.example");

export function functionNames(): string[] {
  return fs
    .readdirSync(FUNCTIONS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith("_") && fs.existsSync(path.join(FUNCTIONS_DIR, d.name, "index.ts")))
    .map((d) => d.name)
    .sort();
}

function parseEnvFile(file: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) env[m[1]] = m[2].replace(/^"(.*)"$/, "$1");
  }
  return env;
}

/**
 * Secrets from supabase/functions/.env (made from .env.example on first use) plus what Supabase
 * injects into every function (its "default secrets"): the URLs, the publishable and secret keys as
 * JSON dictionaries, the JWKS that verifies user tokens, and the legacy anon and service_role keys.
 * Variables added to .env.example since .env was made take their example value.
 */
export function functionEnv(): Record<string, string> {
  if (!fs.existsSync(ENV_FILE)) fs.copyFileSync(ENV_EXAMPLE, ENV_FILE);
  return {
    ...parseEnvFile(ENV_EXAMPLE),
    ...parseEnvFile(ENV_FILE),
    SUPABASE_URL: API_URL,
    SUPABASE_DB_URL: DB_URL,
    SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: PUBLISHABLE_KEY }),
    SUPABASE_SECRET_KEYS: JSON.stringify({ default: SECRET_KEY }),
    SUPABASE_JWKS: JSON.stringify(JWKS),
    SUPABASE_ANON_KEY: ANON_KEY,
    SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE_KEY,
  };
}

/**
 * The process ids of this checkout's running processes of one function (one Deno process each, see
 * functions-router.ts), found by their entry file, so a test or benchmark can kill them as a crash would.
 */
export function functionPids(name: string): number[] {
  const entry = path.join(FUNCTIONS_DIR, name, "index.ts");
  return fs.readdirSync("/proc").filter((pid) => /^\d+$/.test(pid)).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes(entry);
    } catch {
      return false; // ended meanwhile
    }
  }).map(Number);
}
