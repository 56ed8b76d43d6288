// The dispatcher killed in the middle of a batch (its process, SIGKILL): every event is still
// delivered, because what it held is claimed again once its visibility deadline passes.
import fs from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { ROOT } from "../../stack/config.ts";
import { newEndpoint, newUser, sql, sweep } from "./fixtures.ts";

/** The pids of this checkout's webhook-dispatcher processes (the stack runs one per function). */
function dispatcherPids(): number[] {
  const entry = path.join(ROOT, "supabase", "functions", "webhook-dispatcher", "index.ts");
  return fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name)).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes(entry);
    } catch {
      return false; // ended meanwhile
    }
  }).map(Number);
}

it("delivers every event when the dispatcher is killed mid-batch", async () => {
  const owner = await newUser("crash");
  const endpoint = await newEndpoint(owner, [{ status: 200, delayMs: 200 }]);
  const events = 300;
  await sql`insert into public.webhook_queue (user_id, event_type, dedupe_key, payload)
            select ${owner.id}, 'call_ended', 'call_ended:crash-' || ${owner.id}::text || '-' || n, jsonb_build_object('n', n)
            from generate_series(1, ${events}) n`;
  await endpoint.waitFor(20);
  const pids = dispatcherPids();
  expect(pids.length).toBeGreaterThan(0);
  for (const pid of pids) process.kill(pid, "SIGKILL");
  const [{ held }] = await sql`select count(*)::int as held from public.webhook_endpoint_deliveries
                               where webhook_config_id = ${endpoint.id} and status = 'delivering'`;
  expect(held).toBeGreaterThan(0);

  // What cron does every minute, every few seconds here: the abandoned claims expire after 45 s.
  const deadline = Date.now() + 100_000;
  for (;;) {
    const [{ left }] = await sql`select count(*)::int as left from public.webhook_endpoint_deliveries
                                 where webhook_config_id = ${endpoint.id} and status <> 'delivered'`;
    if (left === 0) break;
    if (Date.now() > deadline) throw new Error(`${left} deliveries still not delivered`);
    await sweep();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
  }
  const ids = endpoint.received.map((r) => r.headers["webhook-id"]);
  expect(new Set(ids).size).toBe(events);
  const bodies = new Set(endpoint.received.map((r) => JSON.parse(r.body).data.n));
  expect(bodies.size).toBe(events);
}, 120_000);
