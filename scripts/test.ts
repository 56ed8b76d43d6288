// The one test command: pgTAP (pg_prove), vitest suites through the gateway, Supabase's advisors and
// plpgsql_check lint, `deno check` and `deno lint` of every function, and `tsc --noEmit`. Starts the local stack if it is not running and
// stops it again afterwards, so the machine is left as it was found.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { DB_URL, ROOT, STATE_DIR } from "../stack/config.ts";
import { isUp, start, stop, supabaseCliCall } from "../stack/cli.ts";
import { psql } from "../stack/database.ts";
import { functionNames } from "../stack/functions.ts";

type Tally = { passed: number; failed: number };
const bin = (name: string) => path.join(ROOT, "node_modules", ".bin", name);

function run(label: string, command: string, args: string[], env: Record<string, string> = {}) {
  console.log(`\n=== ${label}`);
  const result = spawnSync(command, args, { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  process.stdout.write(result.stdout ?? "");
  process.stderr.write(result.stderr ?? "");
  return result;
}

function pgtap(): Tally {
  const testsDir = path.join(ROOT, "supabase", "tests");
  psql(["-f", path.join(testsDir, "helpers", "test_helpers.sql")]);
  const files = (fs.readdirSync(testsDir, { recursive: true }) as string[])
    .filter((file) => file.endsWith(".test.sql"))
    .sort()
    .map((file) => path.join(testsDir, file));
  const result = run("pgTAP (supabase/tests)", "pg_prove", ["--verbose", "-d", DB_URL, ...files]);
  const lines = result.stdout.split("\n");
  const passed = lines.filter((l) => /^\s*ok \d+/.test(l)).length;
  let failed = lines.filter((l) => /^\s*not ok \d+/.test(l)).length;
  // A file that dies before its plan completes fails without printing `not ok`.
  if (result.status !== 0 && failed === 0) failed = 1;
  return { passed, failed };
}

function vitest(): Tally {
  const report = path.join(STATE_DIR, "vitest-report.json");
  fs.rmSync(report, { force: true });
  const result = run("vitest (tests/)", bin("vitest"), ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`]);
  if (!fs.existsSync(report)) return { passed: 0, failed: 1 };
  const summary = JSON.parse(fs.readFileSync(report, "utf8"));
  // A suite that fails to load, or a run that errors outside any test, counts as one failure.
  const failedOutsideTests = result.status !== 0 && summary.numFailedTests === 0 ? 1 : 0;
  return { passed: summary.numPassedTests, failed: summary.numFailedTests + failedOutsideTests };
}

function check(label: string, command: string, args: string[], env: Record<string, string> = {}): Tally {
  const ok = run(label, command, args, { DENO_NO_UPDATE_CHECK: "1", ...env }).status === 0;
  console.log(ok ? `${label}: ok` : `${label}: FAILED`);
  return ok ? { passed: 1, failed: 0 } : { passed: 0, failed: 1 };
}

/** One of Supabase's own checks of the database; any finding at the given level fails it. */
function supabaseCheck(label: string, args: string[]): Tally {
  const call = supabaseCliCall(args);
  return check(label, call.command, call.args, call.env);
}

const wasUp = isUp();
if (!wasUp) await start();
const functions = functionNames();
// Each function under its own import map only, as it deploys; --frozen fails a lock file out of date.
const denoConfig = (name: string) => `--config=supabase/functions/${name}/deno.json`;
const tallies: Tally[] = [];
try {
  tallies.push(
    pgtap(),
    vitest(),
    supabaseCheck("supabase db advisors", ["db", "advisors", "--type", "all", "--level", "warn", "--fail-on", "warn"]),
    supabaseCheck("supabase db lint", ["db", "lint", "--schema", "public,private", "--level", "warning", "--fail-on", "warning"]),
    ...functions.map((name) => check(`deno check ${name}`, bin("deno"), ["check", "--frozen", denoConfig(name), `supabase/functions/${name}/index.ts`])),
    ...functions.map((name) => check(`deno lint ${name}`, bin("deno"), ["lint", denoConfig(name), `supabase/functions/${name}`])),
    // Linting reads only the rules, the same in every function's config.
    check("deno lint _shared", bin("deno"), ["lint", denoConfig(functions[0]), "supabase/functions/_shared"]),
    check("tsc --noEmit", bin("tsc"), ["--noEmit", "-p", "tsconfig.json"]),
  );
} finally {
  if (!wasUp) await stop();
}
const total = tallies.reduce((a, t) => ({ passed: a.passed + t.passed, failed: a.failed + t.failed }), { passed: 0, failed: 0 });
console.log(`\n${total.passed} passed, ${total.failed} failed`);
process.exit(total.failed === 0 ? 0 : 1);
