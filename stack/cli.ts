// `npm run stack -- start|stop|status|reset|gen-types`: the local stand-in for `supabase start`.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { API_URL, AUTH_URL, DB_URL, JWT_SECRET, PORTS, PUBLISHABLE_KEY, ROOT, SECRET_KEY, STATE_DIR } from "./config.ts";
import * as database from "./database.ts";
import { ANON_KEY, SERVICE_ROLE_KEY } from "./keys.ts";

const SERVE_PID = path.join(STATE_DIR, "serve.pid");
const SERVE_LOG = path.join(STATE_DIR, "logs", "serve.log");
const say = (line: string) => console.error(line);

function servePid(): number | undefined {
  if (!fs.existsSync(SERVE_PID)) return undefined;
  const pid = Number(fs.readFileSync(SERVE_PID, "utf8"));
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    // Stale: the process is gone (killed, or the machine restarted). PostgREST and the functions
    // host it started may still hold their ports; they are in its process group.
    killGroup(pid, "SIGKILL");
    fs.rmSync(SERVE_PID);
    return undefined;
  }
}

/** Signals the background server and everything it started (it leads their process group). */
function killGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    // no such group left
  }
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

async function assertPortsFree(ports: number[]) {
  for (const port of ports) {
    if (await portInUse(port)) {
      const owner = spawnSync("sh", ["-c", `ss -ltnpH 'sport = :${port}' 2>/dev/null | head -1`], { encoding: "utf8" }).stdout.trim();
      throw new Error(`Port ${port} is already in use by another process${owner ? ` (${owner})` : ""}. Stop it, then run start again.`);
    }
  }
}

/** The pinned Supabase CLI pointed at the stack's database, as `postgres`: command, arguments, environment. */
export function supabaseCliCall(args: string[]): { command: string; args: string[]; env: Record<string, string> } {
  return {
    command: path.join(ROOT, "node_modules", ".bin", "supabase"),
    args: [...args, `--remote=${DB_URL}`],
    env: { PGSSLMODE: "disable", SUPABASE_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" },
  };
}

function supabaseCli(args: string[]): string {
  const call = supabaseCliCall(args);
  const result = spawnSync(call.command, call.args, { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...call.env } });
  if (result.status !== 0) throw new Error(`supabase ${args.join(" ")} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/**
 * The Vault secrets through which SQL (cron jobs, triggers) calls Edge Functions with pg_net. On
 * hosted Supabase an operator creates the same two secrets once (see README); the key is a secret
 * key there too (a legacy service_role JWT works as well).
 */
function configureVault() {
  const secrets = { project_url: API_URL, service_role_key: SECRET_KEY };
  for (const [name, value] of Object.entries(secrets)) {
    database.psql(["-v", `name=${name}`, "-v", `value=${value}`], `
      select vault.create_secret(:'value', :'name')
      where not exists (select 1 from vault.secrets where name = :'name');`);
  }
}

function migrate(fresh: boolean) {
  supabaseCli(["db", "push", "--yes", "--include-all"]);
  if (fresh) database.psql(["-f", path.join(ROOT, "supabase", "seed.sql")]);
  database.psql(["-c", "notify pgrst, 'reload schema'"]);
}

async function waitFor(url: string, timeoutMs: number, accept: (status: number) => boolean) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url, { headers: { apikey: ANON_KEY, authorization: `Bearer ${ANON_KEY}` } });
      await response.arrayBuffer();
      if (accept(response.status)) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not come up within ${timeoutMs / 1000}s; see ${path.join(STATE_DIR, "logs")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startServe() {
  await assertPortsFree([PORTS.gateway, PORTS.postgrest, PORTS.postgrest + 2, PORTS.functions, PORTS.auth, PORTS.retell, PORTS.stripe, PORTS.calcom, PORTS.twilio, PORTS.resend]);
  fs.mkdirSync(path.dirname(SERVE_LOG), { recursive: true });
  const log = fs.openSync(SERVE_LOG, "w");
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "stack", "serve.ts")], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", log, log],
  });
  fs.writeFileSync(SERVE_PID, String(child.pid));
  child.unref();
  await waitFor(`http://127.0.0.1:${PORTS.postgrest + 2}/ready`, 30_000, (s) => s === 200);
  await waitFor(`${API_URL}/auth/v1/health`, 30_000, (s) => s === 200);
  // On a new machine Deno first downloads the functions' npm packages.
  await waitFor(`${API_URL}/functions/v1/health`, 180_000, (s) => s === 200);
}

export async function start(): Promise<{ alreadyRunning: boolean }> {
  const started = Date.now();
  if (database.clusterIsStale()) {
    say("The stack's base (roles, grants, stand-ins) changed since this database was made: making it again.");
    await stopServe();
    database.destroyCluster();
  }
  if (database.isRunning() && servePid()) {
    migrate(false); // a running stack still picks up migrations added since it started
    return { alreadyRunning: true };
  }
  fs.mkdirSync(STATE_DIR, { recursive: true });
  const fresh = !database.clusterExists();
  if (fresh) database.createCluster();
  database.installExtensionStandIns();
  if (!database.isRunning()) {
    await assertPortsFree([PORTS.db]);
    database.start();
  }
  // Once, as hosted Supabase does at project creation: re-applying the base's grants would undo
  // what migrations revoked since.
  if (fresh) database.applyBase();
  configureVault();
  migrate(fresh);
  if (!servePid()) await startServe();
  say(`Local stack started in ${((Date.now() - started) / 1000).toFixed(1)}s.`);
  return { alreadyRunning: false };
}

async function stopServe() {
  const pid = servePid();
  if (pid) {
    process.kill(pid, "SIGTERM");
    for (let i = 0; i < 50 && servePid(); i++) await new Promise((r) => setTimeout(r, 100));
    killGroup(pid, "SIGKILL");
    fs.rmSync(SERVE_PID, { force: true });
  }
}

export async function stop() {
  await stopServe();
  database.stop();
}

export async function reset() {
  await stop();
  database.destroyCluster();
  await start();
}

export function isUp(): boolean {
  return database.isRunning() && servePid() !== undefined;
}

export function statusEnv(): Record<string, string> {
  return {
    API_URL,
    REST_URL: `${API_URL}/rest/v1`,
    FUNCTIONS_URL: `${API_URL}/functions/v1`,
    AUTH_URL,
    JWKS_URL: `${AUTH_URL}/.well-known/jwks.json`,
    DB_URL,
    PUBLISHABLE_KEY,
    SECRET_KEY,
    ANON_KEY,
    SERVICE_ROLE_KEY,
    JWT_SECRET,
  };
}

function printStatus(format: string | undefined) {
  const env = statusEnv();
  if (!isUp()) {
    say("The local stack is not running. Start it with: npm run stack -- start");
    process.exitCode = 1;
    return;
  }
  if (format === "env") {
    for (const [key, value] of Object.entries(env)) console.log(`${key}="${value}"`);
    return;
  }
  console.log("The local stack is running.");
  for (const [key, value] of Object.entries(env)) console.log(`  ${key.padEnd(16)} ${value}`);
  console.log(`  Logs             ${path.join(STATE_DIR, "logs")}`);
}

export function generateTypes(): string {
  return supabaseCli(["gen", "types", "typescript", "--schema", "public"]);
}

export const TYPES_FILE = path.join(ROOT, "packages", "shared", "src", "database.types.ts");

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case "start": {
      const { alreadyRunning } = await start();
      if (alreadyRunning) say("The local stack is already running.");
      printStatus(undefined);
      break;
    }
    case "stop":
      await stop();
      say("Local stack stopped.");
      break;
    case "restart":
      // Picks up new functions and fakes; the database keeps running.
      await stopServe();
      await start();
      say("Gateway, PostgREST, functions and fakes restarted.");
      break;
    case "reset":
      await reset();
      say("Database re-created, migrations and seed applied.");
      break;
    case "status":
      printStatus(rest[0] === "-o" ? rest[1] : undefined);
      break;
    case "gen-types":
      fs.writeFileSync(TYPES_FILE, generateTypes());
      say(`Wrote ${path.relative(ROOT, TYPES_FILE)}`);
      break;
    default:
      say("usage: npm run stack -- start | stop | restart | status [-o env] | reset | gen-types");
      process.exitCode = 2;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.join(ROOT, "stack", "cli.ts")) {
  main().catch((error) => {
    say(String(error instanceof Error ? error.message : error));
    process.exit(1);
  });
}
