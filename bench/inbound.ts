// `npm run bench -- inbound`: the inbound call webhook under load, against the floor of the same
// path. 10,000 businesses are loaded into the dev database (emails bench-inbound-N@bench.local,
// numbers +155500NNNNN) and removed at the end; then 50 keep-alive connections drive signed
// call_inbound requests to retell-inbound through the gateway, and the same load drives a bare
// PostgREST RPC (public.health_check, `select true`) through the same gateway. The lookup RPC alone
// (public.inbound_call_context through PostgREST) is timed too, to show where the difference goes,
// and so is the database alone: pgbench runs the lookup's SQL and `select true` with prepared
// statements on 4 clients, straight to PostgreSQL.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import Retell from "retell-sdk";
import postgres from "postgres";
import { API_URL, DB_URL } from "../stack/config.ts";
import { PG_BIN } from "../stack/database.ts";
import { printRatios } from "./lib/measure.ts";
import { ANON_KEY, SERVICE_ROLE_KEY } from "../stack/keys.ts";
import { retellApiKey } from "../scripts/lib/call-simulator.ts";

const BUSINESSES = 10_000;
const BATCH = 1_000;
const CONNECTIONS = 50;
const WARMUP_REQUESTS = 1_000;
const MAX_REQUESTS = 20_000;
const MAX_SECONDS = 30;
const NUMBER_PREFIX = "+155500";
const PGBENCH_CLIENTS = 4;
const PGBENCH_SECONDS = 10;

const sql = postgres(DB_URL, { max: 2, onnotice: () => {} });

async function removeBusinesses(): Promise<void> {
  // Cascades to profiles, subscriptions, usage limits and agents.
  await sql`delete from auth.users where email like 'bench-inbound-%@bench.local'`;
}

async function loadBusinesses(): Promise<string[]> {
  await removeBusinesses();
  for (let first = 1; first <= BUSINESSES; first += BATCH) {
    const last = Math.min(first + BATCH - 1, BUSINESSES);
    // profiles.referral_code is 8 random hex characters: a batch that draws a taken one is redrawn.
    for (let attempt = 1; ; attempt++) {
      try {
        await sql.begin(async (tx) => {
          await tx`insert into auth.users (id, email, email_confirmed_at)
                   select gen_random_uuid(), 'bench-inbound-' || g || '@bench.local', now()
                   from generate_series(${first}::integer, ${last}::integer) as g`;
        });
        break;
      } catch (error) {
        if ((error as postgres.PostgresError).constraint_name !== "profiles_referral_code_key" || attempt === 5) throw error;
      }
    }
  }
  await sql`
    with bench as (
      select u.id, substring(u.email from 'bench-inbound-(\\d+)@')::integer as n
      from auth.users u where u.email like 'bench-inbound-%@bench.local'
    ),
    profiles as (
      update public.profiles p
      set business_name = 'Bench Heating ' || b.n, industry = 'hvac', transfer_number = '+14155550999',
          schedule_summary = 'Weekdays 8am to 6pm', standard_fee = 89, emergency_fee = 189
      from bench b where p.id = b.id
    ),
    subscriptions as (
      insert into public.subscriptions (user_id, plan, status, current_period_start, current_period_end)
      select id, 'pro', 'active', now() - interval '1 day', now() + interval '29 days' from bench
    ),
    limits as (
      insert into public.usage_limits (user_id, period_start, period_end, call_minutes_allowance, sms_allowance)
      select id, now() - interval '1 day', now() + interval '29 days', 500, 500 from bench
    )
    insert into public.agents (user_id, deploy_status, retell_agent_id, retell_agent_version, phone_number, deployed_at)
    select id, 'active', 'agent_master_hvac', 1, ${NUMBER_PREFIX} || lpad(n::text, 5, '0'), now() from bench`;
  await sql`analyze public.agents, public.profiles, public.subscriptions, public.usage_limits, public.integrations`;
  return Array.from({ length: BUSINESSES }, (_, i) => `${NUMBER_PREFIX}${String(i + 1).padStart(5, "0")}`);
}

type Request = { path: string; headers: Record<string, string>; body: string };
type Result = { latencies: number[]; errors: number; seconds: number };

const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
const gateway = new URL(API_URL);

function send(request: Request): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      { host: gateway.hostname, port: gateway.port, method: "POST", path: request.path, agent, headers: { ...request.headers, "content-length": Buffer.byteLength(request.body) } },
      (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode ?? 0));
      },
    );
    outgoing.on("error", reject);
    outgoing.end(request.body);
  });
}

/** `connections` workers send requests back to back until `maxRequests` or `maxSeconds`. */
async function drive(next: (i: number) => Request, maxRequests: number, maxSeconds: number): Promise<Result> {
  const latencies: number[] = [];
  let errors = 0;
  let issued = 0;
  const started = performance.now();
  const deadline = started + maxSeconds * 1000;
  const worker = async () => {
    while (issued < maxRequests && performance.now() < deadline) {
      const request = next(issued++);
      const sent = performance.now();
      const status = await send(request).catch(() => 0);
      latencies.push(performance.now() - sent);
      if (status !== 200) errors++;
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  return { latencies, errors, seconds: (performance.now() - started) / 1000 };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

function summary(name: string, result: Result) {
  const sorted = [...result.latencies].sort((a, b) => a - b);
  const figures = {
    requests: sorted.length,
    errors: result.errors,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    throughput: sorted.length / result.seconds,
  };
  console.log(
    `  ${name.padEnd(34)} ${String(figures.requests).padStart(6)} req  ${String(figures.errors).padStart(4)} errors  ` +
      `p50 ${figures.p50.toFixed(1).padStart(6)} ms  p99 ${figures.p99.toFixed(1).padStart(6)} ms  ${figures.throughput.toFixed(0).padStart(6)} req/s`,
  );
  return figures;
}

/**
 * Transactions per second of one pgbench script (`-M prepared`, PGBENCH_CLIENTS clients). pgbench
 * comes with Debian's postgresql-15, which the bootstrap installs; it is run from that version's
 * folder, not through /usr/bin's wrapper, which may pick another installed version.
 */
function pgbenchTps(name: string, script: string): number {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bench-inbound-")), `${name}.sql`);
  fs.writeFileSync(file, script);
  try {
    const result = spawnSync(
      path.join(PG_BIN, "pgbench"),
      ["--no-vacuum", "--protocol=prepared", `--client=${PGBENCH_CLIENTS}`, "--jobs=2", `--time=${PGBENCH_SECONDS}`, `--file=${file}`, DB_URL],
      { encoding: "utf8", env: { ...process.env, PGSSLMODE: "disable" } },
    );
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(result.stdout)?.[1];
    if (result.status !== 0 || !tps) throw new Error(`pgbench ${name} failed:\n${result.stdout}\n${result.stderr}`);
    console.log(`  ${`pgbench ${name}`.padEnd(34)} ${Number(tps).toFixed(0).padStart(6)} tps (${PGBENCH_CLIENTS} clients, prepared, ${PGBENCH_SECONDS} s)`);
    return Number(tps);
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

async function main() {
  console.log(`Loading ${BUSINESSES.toLocaleString()} businesses into the dev database...`);
  const numbers = await loadBusinesses();
  try {
    // Signed in advance (a signature stays valid five minutes) so the client's HMAC is not timed.
    const key = retellApiKey();
    const inbound: Request[] = await Promise.all(numbers.map(async (number, i) => {
      const body = JSON.stringify({ event: "call_inbound", call_inbound: { from_number: "+14155551234", to_number: number, agent_id: "agent_master_hvac", call_id: `call_bench_${i}` } });
      return { path: "/functions/v1/retell-inbound", headers: { "content-type": "application/json", "x-retell-signature": await Retell.sign(body, key) }, body };
    }));
    const probe = await fetch(`${API_URL}/functions/v1/retell-inbound`, { method: "POST", headers: inbound[0].headers, body: inbound[0].body });
    const probeBody = await probe.json();
    if (probe.status !== 200 || probeBody.call_inbound?.dynamic_variables?.business_name !== "Bench Heating 1") {
      throw new Error(`retell-inbound does not answer the bench businesses: ${probe.status} ${JSON.stringify(probeBody)}`);
    }
    const pick = (i: number) => inbound[(i * 7919) % inbound.length];
    const lookup: Request[] = numbers.map((number) => ({
      path: "/rest/v1/rpc/inbound_call_context",
      headers: { "content-type": "application/json", apikey: SERVICE_ROLE_KEY },
      body: JSON.stringify({ to_number: number, from_number: "+14155551234", call_id: null }),
    }));
    const healthCheck: Request = { path: "/rest/v1/rpc/health_check", headers: { "content-type": "application/json", apikey: ANON_KEY }, body: "{}" };

    console.log(`${CONNECTIONS} keep-alive connections; warm-up ${WARMUP_REQUESTS} requests, then up to ${MAX_REQUESTS.toLocaleString()} requests or ${MAX_SECONDS} s each:`);
    await drive(pick, WARMUP_REQUESTS, MAX_SECONDS);
    const webhook = summary("retell-inbound (signed, 10k numbers)", await drive(pick, MAX_REQUESTS, MAX_SECONDS));
    await drive(() => healthCheck, WARMUP_REQUESTS, MAX_SECONDS);
    const floor = summary("PostgREST rpc/health_check", await drive(() => healthCheck, MAX_REQUESTS, MAX_SECONDS));
    await drive((i) => lookup[(i * 7919) % lookup.length], WARMUP_REQUESTS, MAX_SECONDS);
    const rpc = summary("PostgREST rpc/inbound_call_context", await drive((i) => lookup[(i * 7919) % lookup.length], MAX_REQUESTS, MAX_SECONDS));

    console.log("The database alone:");
    const bareTps = pgbenchTps("select true", "select true;\n");
    const lookupTps = pgbenchTps(
      "inbound_call_context",
      `\\set n random(1, ${BUSINESSES})\nselect public.inbound_call_context('${NUMBER_PREFIX}' || lpad(:n::text, 5, '0'), '+14155551234', null);\n`,
    );
    console.log(
      `Ratios (retell-inbound / health_check): p50 ${(webhook.p50 / floor.p50).toFixed(2)}x, p99 ${(webhook.p99 / floor.p99).toFixed(2)}x, ` +
        `throughput ${(webhook.throughput / floor.throughput).toFixed(2)}x; lookup RPC / health_check throughput ${(rpc.throughput / floor.throughput).toFixed(2)}x; ` +
        `database alone, lookup / select true ${(lookupTps / bareTps).toFixed(2)}x`,
    );
    printRatios("inbound", {
      p99: webhook.p99 / floor.p99,
      throughput: webhook.throughput / floor.throughput,
      lookup_rpc: rpc.throughput / floor.throughput,
      database: lookupTps / bareTps,
    });
  } finally {
    await removeBusinesses();
    agent.destroy();
    await sql.end({ timeout: 5 });
  }
}

await main();
