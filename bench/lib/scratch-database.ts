// A throwaway database on the local stack's PostgreSQL server, with the Supabase-compatible base and
// every migration applied exactly as `npm run stack -- start` applies them, so a benchmark can load
// millions of rows without touching the shared dev database.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { DB_URL, ROOT, SUPERUSER_URL } from "../../stack/config.ts";
import { applyBase, psql, withDatabase } from "../../stack/database.ts";

// pg_cron installs only in `cron.database_name` (the stack's `postgres`) or in the database its own
// test suite uses, `contrib_regression`; migrations create pg_cron, so the scratch database takes
// that name. Its cron jobs never run: the scheduler reads jobs from `postgres` only.
export const SCRATCH_DATABASE = "contrib_regression";

function pushMigrations(url: string): void {
  const result = spawnSync(path.join(ROOT, "node_modules", ".bin", "supabase"), ["db", "push", "--yes", "--include-all", `--remote=${url}`], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, PGSSLMODE: "disable", SUPABASE_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" },
  });
  if (result.status !== 0) throw new Error(`supabase db push failed:\n${result.stdout}\n${result.stderr}`);
}

/**
 * Creates the scratch database from nothing (dropping a leftover one). `url` connects as postgres,
 * as the application does; `loaderUrl` as the superuser, for bulk loads that turn triggers off
 * (`session_replication_role`), which only a superuser may do.
 */
export function createScratchDatabase(): { url: string; loaderUrl: string } {
  dropScratchDatabase();
  psql(["-c", `create database ${SCRATCH_DATABASE}`]);
  const url = withDatabase(DB_URL, SCRATCH_DATABASE);
  applyBase(SCRATCH_DATABASE);
  pushMigrations(url);
  return { url, loaderUrl: withDatabase(SUPERUSER_URL, SCRATCH_DATABASE) };
}

/** Dropped as the superuser: `with (force)` must end every session, autovacuum's included. */
export function dropScratchDatabase(): void {
  psql(["-c", `drop database if exists ${SCRATCH_DATABASE} with (force)`], undefined, SUPERUSER_URL);
}
