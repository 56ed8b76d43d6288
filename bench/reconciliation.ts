// `npm run bench -- reconciliation`: times the nightly usage reconciliation over 100,000 businesses
// and 5,000,000 usage rows against a plain sequential scan of the same rows, in a scratch database
// on the local stack's server (created with every migration, dropped at the end).
import postgres from "postgres";
import { loadBusinesses, median, printRatios, seconds, step, timed } from "./lib/measure.ts";
import { createScratchDatabase, dropScratchDatabase } from "./lib/scratch-database.ts";

const USERS = 100_000;
const CALL_ROWS = 4_000_000;
const SMS_ROWS = 1_000_000;
const DRIFTED_USERS = 1_000;
const SCAN_REPEATS = 3;

async function load(sql: postgres.Sql, loader: postgres.Sql) {
  await loadBusinesses(sql, USERS);
  // The ledgers are loaded with triggers off (charging 5 million rows one by one is not what is
  // measured here); a first reconciliation then sets every counter from them.
  await step(`${CALL_ROWS.toLocaleString()} usage_calls and ${SMS_ROWS.toLocaleString()} usage_sms rows over the last 60 days`, () =>
    loader.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`create temporary table bench_users on commit drop as
               select row_number() over (order by user_id) as n, user_id from public.usage_limits`;
      await tx`
        insert into public.usage_calls (user_id, call_id, duration_seconds, billable_minutes, plan_minutes, occurred_at)
        select u.user_id, 'bench_call_' || g, g % 900, ceil((g % 900) / 60.0)::integer, ceil((g % 900) / 60.0)::integer,
               now() - make_interval(secs => (g::bigint * 7919) % (60 * 86400))
        from generate_series(1, ${CALL_ROWS}) as g
        join bench_users u on u.n = 1 + g % ${USERS}`;
      await tx`
        insert into public.usage_sms (user_id, message_id, direction, segments, from_plan, occurred_at)
        select u.user_id, 'bench_sms_' || g, 'outbound', 1 + g % 3, 1 + g % 3,
               now() - make_interval(secs => (g::bigint * 7919) % (60 * 86400))
        from generate_series(1, ${SMS_ROWS}) as g
        join bench_users u on u.n = 1 + g % ${USERS}`;
    }));
  await step("vacuum analyze", () => sql`vacuum analyze`);
  await step("first reconciliation (sets every counter from the ledgers)", () => sql`select private.reconcile_usage('test')`);
  await step(`drift injected into ${DRIFTED_USERS.toLocaleString()} businesses`, () => sql`
    update public.usage_limits set call_minutes_used = call_minutes_used + 7, sms_used = 0
    where user_id in (select user_id from public.usage_limits order by user_id limit ${DRIFTED_USERS})`);
}

/** The same rows reconciliation reads, read by a plain sequential scan on one process. */
async function sequentialScan(sql: postgres.Sql): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < SCAN_REPEATS; i++) {
    const { ms } = await timed(() =>
      sql.begin(async (tx) => {
        await tx`set local enable_indexscan = off`;
        await tx`set local enable_indexonlyscan = off`;
        await tx`set local enable_bitmapscan = off`;
        // Reconciliation writes, so PostgreSQL runs it on one process; the scan gets the same.
        await tx`set local max_parallel_workers_per_gather = 0`;
        await tx`select count(*), sum(billable_minutes) from public.usage_calls`;
        await tx`select count(*), sum(segments) from public.usage_sms`;
      }),
    );
    runs.push(ms);
  }
  return median(runs);
}

async function reconcile(sql: postgres.Sql) {
  const { ms, result } = await timed(() => sql`
    select status, users_checked, users_corrected from private.reconcile_usage('test')`);
  return { ms, run: result[0] };
}

console.log(`Reconciliation benchmark: ${USERS.toLocaleString()} businesses, ${(CALL_ROWS + SMS_ROWS).toLocaleString()} usage rows`);
console.log("Creating the scratch database (base + migrations)...");
const { url, loaderUrl } = createScratchDatabase();
const sql = postgres(url, { max: 1, onnotice: () => {} });
const loader = postgres(loaderUrl, { max: 1, onnotice: () => {} });
try {
  console.log("Loading:");
  await load(sql, loader);
  const scan = await sequentialScan(sql);
  const withDrift = await reconcile(sql);
  const withoutDrift = await reconcile(sql);
  console.log("Results:");
  console.log(`  sequential scan of usage_calls + usage_sms (median of ${SCAN_REPEATS}): ${seconds(scan)}`);
  console.log(`  reconciliation with drift: ${seconds(withDrift.ms)} (${withDrift.run.users_checked} checked, ${withDrift.run.users_corrected} corrected), ${(withDrift.ms / scan).toFixed(2)}x the scan`);
  console.log(`  reconciliation again, nothing to correct: ${seconds(withoutDrift.ms)} (${withoutDrift.run.users_corrected} corrected), ${(withoutDrift.ms / scan).toFixed(2)}x the scan`);
  printRatios("reconciliation", { drift: withDrift.ms / scan, clean: withoutDrift.ms / scan });
} finally {
  await sql.end();
  await loader.end();
  dropScratchDatabase();
  console.log("Scratch database dropped.");
}
