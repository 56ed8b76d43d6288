// `npm run bench -- webhooks`: outbound webhook delivery under load. 100 businesses (emails
// bench-webhooks-N@bench.local), each with one endpoint on a local receiver, get 10,000 events in
// one statement; the clock runs from that insert until the receiver has every event. The same run
// is then played with the dispatcher's process killed 10 times mid-batch. Lost events (never
// received) and duplicates (received more than once: at-least-once after a kill) are counted. The
// floor is the same 10,000 POSTs sent straight to the receiver at the dispatcher's concurrency.
import http from "node:http";
import postgres from "postgres";
import { DB_URL } from "../stack/config.ts";
import { functionPids } from "../stack/functions.ts";
import { WebhookReceiver } from "../fakes/webhook-receiver.ts";
import { printRatios } from "./lib/measure.ts";

const BUSINESSES = 100;
const EVENTS = 10_000;
const KILLS = 10;
/** The dispatcher's concurrency: 4 loops of 50 (supabase/functions/webhook-dispatcher/handler.ts). */
const CONCURRENCY = 200;
const GOAL_PER_SECOND = 500;

const sql = postgres(DB_URL, { max: 2, onnotice: () => {} });

async function removeBusinesses(): Promise<void> {
  // Cascades to endpoints, outbox events, deliveries and attempts.
  await sql`delete from auth.users where email like 'bench-webhooks-%@bench.local'`;
}

async function loadBusinesses(url: string): Promise<void> {
  await removeBusinesses();
  await sql`insert into auth.users (email, email_confirmed_at)
            select 'bench-webhooks-' || g || '@bench.local', now() from generate_series(1, ${BUSINESSES}::integer) g`;
  await sql`insert into public.webhook_configs (user_id, url, events)
            select id, ${url}, '{call_ended}' from auth.users where email like 'bench-webhooks-%@bench.local'`;
}

type Run = { seconds: number; received: number; unique: number; lost: number; duplicates: number; kills: number };

async function run(receiver: WebhookReceiver, label: string, kills: number): Promise<Run> {
  const hook = receiver.endpoint();
  await loadBusinesses(hook.url);
  const started = performance.now();
  await sql`insert into public.webhook_queue (user_id, event_type, dedupe_key, payload)
            select u.id, 'call_ended', 'call_ended:bench-' || ${label} || '-' || g, jsonb_build_object('n', g, 'duration_seconds', 120)
            from generate_series(1, ${EVENTS}::integer) g
            join auth.users u on u.email = 'bench-webhooks-' || (1 + g % ${BUSINESSES}) || '@bench.local'`;
  let killed = 0;
  const unique = () => new Set(hook.received.map((r) => r.headers["webhook-id"])).size;
  while (unique() < EVENTS) {
    // Kill at evenly spread points of the run, each time the dispatcher is in the middle of a batch.
    if (killed < kills && unique() >= ((killed + 1) * EVENTS) / (kills + 2)) {
      const pids = functionPids("webhook-dispatcher");
      for (const pid of pids) process.kill(pid, "SIGKILL");
      if (pids.length > 0) killed++;
    }
    // What the minute cron job does, every half second here, so a killed run is picked up again.
    await sql`select private.kick_due_webhook_deliveries()`;
    await new Promise((resolve) => setTimeout(resolve, 500));
    if (performance.now() - started > 600_000) break;
  }
  const seconds = (performance.now() - started) / 1000;
  const received = hook.received.length;
  const got = unique();
  return { seconds, received, unique: got, lost: EVENTS - got, duplicates: received - got, kills: killed };
}

/** The floor: the same number of POSTs straight to the receiver, at the dispatcher's concurrency. */
async function floor(receiver: WebhookReceiver): Promise<number> {
  const hook = receiver.endpoint();
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const body = JSON.stringify({ type: "call_ended", timestamp: new Date().toISOString(), data: { n: 1, duration_seconds: 120 } });
  const post = () => new Promise<void>((resolve, reject) => {
    const request = http.request(hook.url, { method: "POST", agent, headers: { "content-type": "application/json" } }, (answer) => {
      answer.resume();
      answer.on("end", resolve);
    });
    request.on("error", reject);
    request.end(body);
  });
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next++ < EVENTS) await post();
  }));
  agent.destroy();
  return EVENTS / ((performance.now() - started) / 1000);
}

const receiver = await WebhookReceiver.start();
try {
  console.log(`Webhook delivery: ${EVENTS.toLocaleString("en-US")} events for ${BUSINESSES} businesses, one local endpoint each`);
  const plain = await run(receiver, "plain", 0);
  const crashed = await run(receiver, "killed", KILLS);
  const floorRate = await floor(receiver);
  const rate = (r: Run) => r.unique / r.seconds;
  for (const [name, r] of [["dispatcher", plain], [`killed ${crashed.kills} times`, crashed]] as const) {
    console.log(`  ${name.padEnd(16)} ${r.seconds.toFixed(1).padStart(6)} s  ${rate(r).toFixed(0).padStart(6)} deliveries/s  ` +
      `received ${r.received}, lost ${r.lost}, duplicates ${r.duplicates}`);
  }
  console.log(`  floor            ${floorRate.toFixed(0).padStart(15)} POSTs/s straight to the receiver (${CONCURRENCY} concurrent)`);
  console.log(`Ratios: dispatcher / goal (${GOAL_PER_SECOND}/s) = ${(rate(plain) / GOAL_PER_SECOND).toFixed(2)}, ` +
    `dispatcher / floor = ${(rate(plain) / floorRate).toFixed(2)}, killed run / plain run = ${(rate(crashed) / rate(plain)).toFixed(2)} ` +
    `(a killed run waits out the 45 s visibility deadline of what it held)`);
  printRatios("webhooks", { goal: rate(plain) / GOAL_PER_SECOND, floor: rate(plain) / floorRate, killed: rate(crashed) / rate(plain) });
} finally {
  await receiver.stop();
  await removeBusinesses();
  await sql.end();
}
