// What the local stack reads from supabase/config.toml, the file the Supabase CLI reads for hosted:
// the Data API's and Auth's settings, and which functions skip the platform's JWT check.
import fs from "node:fs";
import path from "node:path";
import { parse } from "smol-toml";
import { ROOT } from "./config.ts";

type SupabaseConfig = {
  api?: { schemas?: string[]; extra_search_path?: string[]; max_rows?: number; auto_expose_new_tables?: boolean };
  functions?: Record<string, { verify_jwt?: boolean }>;
  auth?: { site_url?: string; jwt_expiry?: number; minimum_password_length?: number };
};

function readConfig(): SupabaseConfig {
  return parse(fs.readFileSync(path.join(ROOT, "supabase", "config.toml"), "utf8")) as SupabaseConfig;
}

/** PostgREST's settings as hosted derives them from `[api]`. */
export function apiSettings(): { schemas: string[]; extraSearchPath: string[]; maxRows: number } {
  const api = readConfig().api ?? {};
  return { schemas: api.schemas ?? ["public"], extraSearchPath: api.extra_search_path ?? ["public", "extensions"], maxRows: api.max_rows ?? 1000 };
}

/** Functions whose `[functions.<name>]` table sets `verify_jwt = false`. */
export function functionsWithoutJwt(): Set<string> {
  const functions = readConfig().functions ?? {};
  return new Set(Object.entries(functions).filter(([, settings]) => settings.verify_jwt === false).map(([name]) => name));
}

/** Auth's settings from `[auth]`, with the CLI's defaults. */
export function authSettings(): { siteUrl: string; jwtExpiry: number; minimumPasswordLength: number } {
  const auth = readConfig().auth ?? {};
  return {
    siteUrl: auth.site_url ?? "http://127.0.0.1:3000",
    jwtExpiry: auth.jwt_expiry ?? 3600,
    minimumPasswordLength: auth.minimum_password_length ?? 6,
  };
}
