// The local PostgreSQL cluster: created in .stack/pgdata, run by the unprivileged `postgres` OS user
// (PostgreSQL refuses to run as root), with pg_cron preloaded as on Supabase. Its bootstrap
// superuser is `supabase_admin`, as on hosted; the `postgres` role that migrations use is not one.
import { createHash } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { DB_URL, PORTS, ROOT, STATE_DIR, SUPERUSER_URL } from "./config.ts";

export const PG_BIN = "/usr/lib/postgresql/15/bin";
export const PGDATA = path.join(STATE_DIR, "pgdata");
const EXTENSION_DIR = "/usr/share/postgresql/15/extension";
const PG_LOG = path.join(STATE_DIR, "logs", "postgres.log");
const BASE_DIR = path.join(ROOT, "stack", "base");
const STAND_INS_DIR = path.join(ROOT, "stack", "extensions");
const BASE_STAMP = path.join(STATE_DIR, "base.sha256");

function asPostgres(command: string, args: string[]) {
  return spawnSync("runuser", ["-u", "postgres", "--", path.join(PG_BIN, command), ...args], {
    encoding: "utf8",
  });
}

export function clusterExists(): boolean {
  return fs.existsSync(path.join(PGDATA, "PG_VERSION"));
}

export function isRunning(): boolean {
  return clusterExists() && asPostgres("pg_ctl", ["-D", PGDATA, "status"]).status === 0;
}

export function createCluster(): void {
  fs.mkdirSync(path.dirname(PG_LOG), { recursive: true });
  fs.mkdirSync(PGDATA, { recursive: true });
  // The postgres user must be able to reach the data folder: let others traverse (not list) every
  // folder above it, which a checkout under /root, say, does not allow by default.
  for (let dir = path.dirname(PGDATA); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const mode = fs.statSync(dir).mode;
    if ((mode & 0o001) === 0) fs.chmodSync(dir, mode | 0o001);
  }
  fs.chmodSync(PGDATA, 0o700);
  execFileSync("chown", ["-R", "postgres:postgres", PGDATA]);
  const init = asPostgres("initdb", ["-D", PGDATA, "-U", "supabase_admin", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]);
  if (init.status !== 0) throw new Error(`initdb failed:\n${init.stderr}`);
  fs.appendFileSync(
    path.join(PGDATA, "postgresql.conf"),
    [
      "",
      "# local stack",
      `port = ${PORTS.db}`,
      "listen_addresses = '127.0.0.1'",
      "unix_socket_directories = '/tmp'",
      "shared_preload_libraries = 'pg_cron'",
      "cron.database_name = 'postgres'",
      "cron.timezone = 'UTC'",
      "max_connections = 200",
      "fsync = off",
      "synchronous_commit = off",
      "full_page_writes = off",
      "timezone = 'UTC'",
      "",
    ].join("\n"),
  );
}

export function start(): void {
  fs.mkdirSync(path.dirname(PG_LOG), { recursive: true });
  fs.writeFileSync(PG_LOG, "");
  execFileSync("chown", ["postgres:postgres", PG_LOG]);
  // A crash can leave postmaster.pid behind; pg_ctl treats it as stale when no such process runs.
  const result = asPostgres("pg_ctl", ["-D", PGDATA, "-l", PG_LOG, "-w", "-t", "30", "start"]);
  if (result.status !== 0) {
    throw new Error(`PostgreSQL did not start (see ${PG_LOG}):\n${fs.readFileSync(PG_LOG, "utf8").slice(-2000)}`);
  }
}

export function stop(): void {
  if (isRunning()) asPostgres("pg_ctl", ["-D", PGDATA, "-m", "fast", "-w", "stop"]);
}

export function destroyCluster(): void {
  stop();
  fs.rmSync(PGDATA, { recursive: true, force: true });
  fs.rmSync(BASE_STAMP, { force: true });
}

/** A digest of the base and the stand-ins: a cluster made from other ones must be made again. */
function baseDigest(): string {
  const hash = createHash("sha256");
  for (const dir of [BASE_DIR, STAND_INS_DIR]) {
    for (const file of fs.readdirSync(dir).sort()) hash.update(file).update(fs.readFileSync(path.join(dir, file)));
  }
  return hash.digest("hex");
}

/** True when the cluster was made from an older base (a change to roles or grants needs a new one). */
export function clusterIsStale(): boolean {
  return clusterExists() && (!fs.existsSync(BASE_STAMP) || fs.readFileSync(BASE_STAMP, "utf8") !== baseDigest());
}

/** Runs SQL through psql, stopping at the first error (by default as `postgres` on the stack's database). */
export function psql(args: string[], input?: string, url: string = DB_URL): string {
  const result = spawnSync("psql", [url, "-X", "-q", "-v", "ON_ERROR_STOP=1", ...args], {
    encoding: "utf8",
    input,
    env: { ...process.env, PGSSLMODE: "disable" },
  });
  if (result.status !== 0) throw new Error(`psql ${args.join(" ")} failed:\n${result.stderr}`);
  return result.stdout;
}

/** Installs the local stand-ins for pg_net and Vault as real extensions, so migrations create them unchanged. */
export function installExtensionStandIns(): void {
  for (const file of fs.readdirSync(STAND_INS_DIR)) {
    const target = path.join(EXTENSION_DIR, file);
    const content = fs.readFileSync(path.join(STAND_INS_DIR, file));
    if (!fs.existsSync(target) || !fs.readFileSync(target).equals(content)) fs.writeFileSync(target, content);
  }
}

/** Points a database URL at another database of the same server. */
export function withDatabase(url: string, database: string): string {
  const next = new URL(url);
  next.pathname = `/${database}`;
  return next.toString();
}

/**
 * Applies the Supabase-compatible base (roles, public schema, extensions, auth schema) as the
 * superuser to the stack's database, or to another database of the same server.
 */
export function applyBase(database = "postgres"): void {
  for (const file of fs.readdirSync(BASE_DIR).filter((f) => f.endsWith(".sql")).sort()) {
    psql(["-f", path.join(BASE_DIR, file)], undefined, withDatabase(SUPERUSER_URL, database));
  }
  if (database === "postgres") fs.writeFileSync(BASE_STAMP, baseDigest());
}
