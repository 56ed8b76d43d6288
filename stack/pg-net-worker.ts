// Drains the local pg_net stand-in's queue the way pg_net's background worker does: sends each
// committed request, then records the answer (or the timeout or error) in net._http_response.
import postgres from "postgres";
import { SUPERUSER_URL } from "./config.ts";

type QueuedRequest = { id: string; method: string; url: string; headers: Record<string, string>; body: Buffer | null; timeout_milliseconds: number };

export async function startPgNetWorker(): Promise<() => Promise<void>> {
  // pg_net's worker is the platform's, not the project's: it runs as the superuser.
  const sql = postgres(SUPERUSER_URL, { max: 4, onnotice: () => {} });
  let running = true;
  let draining: Promise<void> | undefined;

  async function send(request: QueuedRequest) {
    try {
      const response = await fetch(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body ? new Uint8Array(request.body) : undefined,
        signal: AbortSignal.timeout(request.timeout_milliseconds),
      });
      const content = await response.text();
      await sql`insert into net._http_response (id, status_code, content_type, headers, content, timed_out)
        values (${request.id}, ${response.status}, ${response.headers.get("content-type")},
                ${sql.json(Object.fromEntries(response.headers))}, ${content}, false)`;
    } catch (error) {
      const timedOut = (error as Error).name === "TimeoutError";
      await sql`insert into net._http_response (id, timed_out, error_msg)
        values (${request.id}, ${timedOut}, ${(error as Error).message})`;
    }
  }

  async function drain() {
    // Until a migration creates the pg_net extension there is no queue to drain.
    const [{ queue }] = await sql`select to_regclass('net.http_request_queue') as queue`;
    if (!queue) return;
    for (;;) {
      const batch = await sql<QueuedRequest[]>`
        delete from net.http_request_queue
        where id in (select id from net.http_request_queue order by id limit 50 for update skip locked)
        returning id, method, url, headers, body, timeout_milliseconds`;
      if (batch.length === 0) return;
      await Promise.all(batch.map(send));
    }
  }

  // A notification wakes the worker at once; the poll catches anything queued while it was down.
  const wake = () => {
    draining ??= drain()
      .catch((error) => console.error(JSON.stringify({ level: "error", msg: "pg_net drain failed", error: String(error) })))
      .finally(() => (draining = undefined));
  };
  await sql.listen("pg_net_local", wake);
  const timer = setInterval(() => running && wake(), 1000);
  wake();

  return async () => {
    running = false;
    clearInterval(timer);
    await draining;
    await sql.end({ timeout: 2 });
  };
}
