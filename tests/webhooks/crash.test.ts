// The dispatcher killed in the middle of a batch (its process, SIGKILL): every event is still
// delivered, because what it held is claimed again once its visibility deadline passes.
import { expect, it } from "vitest";
import { functionPids } from "../../stack/functions.ts";
import { newEndpoint, newUser, sql, sweep } from "./fixtures.ts";

it("delivers every event when the dispatcher is killed mid-batch", async () => {
  const owner = await newUser("crash");
  const endpoint = await newEndpoint(owner, [{ status: 200, delayMs: 200 }]);
  const events = 300;
  await sql`insert into public.webhook_queue (user_id, event_type, dedupe_key, payload)
            select ${owner.id}, 'call_ended', 'call_ended:crash-' || ${owner.id}::text || '-' || n, jsonb_build_object('n', n)
            from generate_series(1, ${events}) n`;
  await endpoint.waitFor(20);
  const pids = functionPids("webhook-dispatcher");
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
