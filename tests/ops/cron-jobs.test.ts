// What pgTAP cannot show from inside one transaction: a job whose previous start is still running
// does nothing (two sessions), and a job that really fails under pg_cron is caught by cron-watch.
import { afterAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import { DB_URL } from "../../stack/config.ts";
import { sql } from "../helpers/stack.ts";

const notices: string[] = [];
const second = postgres(DB_URL, { max: 1, onnotice: (notice) => notices.push(String(notice.message)) });
afterAll(() => second.end({ timeout: 2 }));

const FAILING_JOB = "test-failing-job";
afterAll(async () => {
  await sql`delete from private.cron_jobs where name = ${FAILING_JOB}`;
  await sql`select cron.unschedule(jobid) from cron.job where jobname = ${FAILING_JOB}`;
  await sql`update public.ops_alerts set resolved_at = now() where dedupe_key = ${`cron_job_failed:${FAILING_JOB}`} and resolved_at is null`;
});

describe("cron jobs", () => {
  it("a start while the previous one still runs does nothing", async () => {
    const rolledBack = new Error("release the job");
    await sql
      .begin(async (tx) => {
        // The first start of prune-logs, still running: it holds the job's lock.
        await tx`select pg_advisory_xact_lock(hashtextextended('private.run_cron_job:prune-logs', 0))`;
        await second`select private.run_cron_job('prune-logs')`;
        throw rolledBack;
      })
      .catch((error) => {
        if (error !== rolledBack) throw error;
      });
    expect(notices.some((n) => /prune-logs is still running/.test(n))).toBe(true);
  });

  it("a job that fails under pg_cron raises an ops alert in one cron-watch run", async () => {
    await sql`insert into private.cron_jobs (name, schedule, command, max_gap, description)
              values (${FAILING_JOB}, '* * * * *', 'select 1 / 0', '5 minutes', 'fails on purpose')`;
    await sql`select private.setup_cron_jobs()`;
    // pg_cron starts jobs on the minute.
    let failed = false;
    for (const deadline = Date.now() + 75_000; !failed && Date.now() < deadline; await new Promise((r) => setTimeout(r, 1000))) {
      const [row] = await sql`select count(*)::int as n from cron.job_run_details d join cron.job c on c.jobid = d.jobid
                              where c.jobname = ${FAILING_JOB} and d.status = 'failed'`;
      failed = row.n > 0;
    }
    expect(failed).toBe(true);
    await sql`select private.watch_cron_jobs()`;
    const alerts = await sql`select severity, message from public.ops_alerts
                             where dedupe_key = ${`cron_job_failed:${FAILING_JOB}`} and resolved_at is null`;
    expect(alerts).toEqual([{ severity: "critical", message: expect.stringMatching(/division by zero/) }]);
  }, 90_000);
});
