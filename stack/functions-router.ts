// The functions host the gateway forwards to: `/<name>/...` goes, with method, headers and body
// unchanged, to function <name>. Each function runs in a Deno process of its own
// (stack/functions-host.ts) with its own supabase/functions/<name>/deno.json and nothing else, as
// `supabase functions deploy` resolves it, so a bare import its map lacks fails here as it would on
// hosted Supabase. Processes start with the router, or on the first request to a function created
// later; they reload on source changes (--watch); one that crashed starts afresh on the next request.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { ROOT } from "./config.ts";
import { FUNCTIONS_DIR, functionNames } from "./functions.ts";

const DENO = path.join(ROOT, "node_modules", ".bin", "deno");
const HOST = path.join(ROOT, "stack", "functions-host.ts");
/**
 * A function's process serves within a second or two of starting (its module loads afterwards). One
 * that has not by then failed before running, e.g. on a broken deno.json, and under --watch waits
 * for a change instead of exiting.
 */
const START_TIMEOUT_MS = 10_000;

type FunctionProcess = { child: ChildProcess; socket: string; listening: Promise<void> };

function reply(res: http.ServerResponse, status: number, code: string, message: string) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: { code, message } }));
}

/** Settles when the process accepts connections on `socket`, or fails when it exits first or takes too long. */
function whenListening(socket: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const exited = () => reject(new Error(`exited (${child.exitCode ?? child.signalCode}) before serving`));
    child.once("exit", exited);
    const attempt = () => {
      const probe = net.connect(socket);
      probe.once("connect", () => {
        probe.destroy();
        child.off("exit", exited);
        resolve();
      });
      probe.once("error", () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        if (Date.now() < deadline) return void setTimeout(attempt, 50);
        child.off("exit", exited);
        reject(new Error(`did not serve within ${START_TIMEOUT_MS / 1000}s`));
      });
    };
    attempt();
  });
}

/** Headers about one connection, which a proxy does not pass on to the next. */
function withoutConnectionHeaders(headers: http.IncomingHttpHeaders): http.IncomingHttpHeaders {
  const rest = { ...headers };
  delete rest.connection;
  delete rest["keep-alive"];
  return rest;
}

/** Why `name` cannot be served, if it cannot. */
function refusal(name: string): { status: number; code: string; message: string } | undefined {
  const dir = path.join(FUNCTIONS_DIR, name);
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name) || !fs.existsSync(path.join(dir, "index.ts"))) {
    return { status: 404, code: "function_not_found", message: `No function named ${name}` };
  }
  if (!fs.existsSync(path.join(dir, "deno.json"))) {
    const message = `supabase/functions/${name}/deno.json is missing; write it with: npx tsx stack/import-maps.ts`;
    return { status: 500, code: "function_boot_error", message };
  }
  return undefined;
}

/** `env` is what every function process gets; each one's output goes to `<logDir>/<name>.log`. */
export function createFunctionsRouter(env: Record<string, string>, logDir: string): { server: http.Server; stop: () => void } {
  // Unix sockets rather than ports: nothing to allocate, nothing to collide with.
  const socketDir = fs.mkdtempSync(path.join(os.tmpdir(), "functions-"));
  fs.rmSync(logDir, { recursive: true, force: true });
  fs.mkdirSync(logDir, { recursive: true });
  const processes = new Map<string, FunctionProcess>();
  // Deno closes a connection that says `Connection: close` in a way that sometimes fails the request
  // before its answer is read; kept-alive connections do not end that way.
  const agent = new http.Agent({ keepAlive: true });
  let starts = 0;

  function start(name: string): FunctionProcess {
    const dir = path.join(FUNCTIONS_DIR, name);
    // A socket of its own, so that nothing reaches a process that is still ending.
    const socket = path.join(socketDir, `${name}-${++starts}.sock`);
    const log = fs.openSync(path.join(logDir, `${name}.log`), "a");
    const child = spawn(
      DENO,
      ["run", "--allow-all", "--no-prompt", "--quiet", "--watch", `--config=${path.join(dir, "deno.json")}`, HOST, path.join(dir, "index.ts"), socket],
      // NO_COLOR: a boot error's text goes into a JSON answer and the log, not to a terminal.
      { env: { ...process.env, ...env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" }, stdio: ["ignore", log, log] },
    );
    fs.closeSync(log);
    const started = { child, socket, listening: whenListening(socket, child) };
    started.listening.catch(() => {}); // answered to the request that waits for it
    child.once("exit", () => {
      if (processes.get(name) === started) processes.delete(name);
    });
    processes.set(name, started);
    return started;
  }

  /** Under --watch a crashed function waits for a source change; ending it lets the next request start it. */
  function end(name: string, target: FunctionProcess) {
    target.child.kill("SIGTERM");
    if (processes.get(name) === target) processes.delete(name);
  }

  function forward(name: string, target: FunctionProcess, req: http.IncomingMessage, res: http.ServerResponse) {
    const headers = withoutConnectionHeaders(req.headers);
    const upstream = http.request({ socketPath: target.socket, method: req.method, path: req.url, headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, withoutConnectionHeaders(answer.headers));
      answer.pipe(res);
    });
    upstream.on("error", (error) => {
      end(name, target);
      if (res.headersSent) return void res.destroy();
      reply(res, 502, "function_crashed", `${name} did not answer (${error.message}); it starts again on the next request. See ${logDir}/${name}.log`);
    });
    req.pipe(upstream);
  }

  for (const name of functionNames()) if (!refusal(name)) start(name);

  const server = http.createServer(async (req, res) => {
    const name = new URL(req.url ?? "/", "http://localhost").pathname.split("/")[1] ?? "";
    const refused = refusal(name);
    if (refused) return reply(res, refused.status, refused.code, refused.message);
    const target = processes.get(name) ?? start(name);
    try {
      await target.listening;
    } catch (error) {
      end(name, target);
      return reply(res, 503, "function_unavailable", `${name} ${(error as Error).message}; see ${logDir}/${name}.log`);
    }
    forward(name, target, req, res);
  });

  function stop() {
    for (const [name, target] of processes) end(name, target);
    agent.destroy();
    fs.rmSync(socketDir, { recursive: true, force: true });
  }
  return { server, stop };
}
