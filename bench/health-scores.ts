// `npm run bench -- health-scores`: the health-scores job and the inactivity check over 100,000
// businesses with 60 days of calls, analyses, bookings and texts, against one sequential scan of
// the same inputs, in a scratch database on the local stack's server (dropped at the end).
import postgres from "postgres";
import { loadBusinesses, medianOf, printRatios, seconds, step, timed } from "./lib/measure.ts";
import { createScratchDatabase, dropScratchDatabase } from "./lib/scratch-database.ts";

const BUSINESSES = 100_000;
const CALLS = 3_000_000;
const BOOKINGS = 300_000;
const TEXTS = 600_000;
const REPEATS = 3;

async function load(sql: postgres.Sql, loader: postgres.Sql) {
  await loadBusinesses(sql, BUSINESSES);
  // Inputs are loaded with triggers off: what a call or booking sets off is not what is measured.
  await step(`${CALLS.toLocaleString()} calls (a third analysed), ${BOOKINGS.toLocaleString()} bookings, ${TEXTS.toLocaleString()} texts, sign-ins`, () =>
    loader.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`create temporary table bench_users on commit drop as
               select row_number() over (order by id) as n, id as user_id from public.profiles`;
      // Most businesses are 90 days old; one in ten signed up this month (the onboarding profile).
      await tx`update public.profiles p set created_at = now() - make_interval(days => case when u.n % 10 = 0 then 10 else 90 end)
               from bench_users u where u.user_id = p.id`;
      await tx`update auth.users a set last_sign_in_at = now() - make_interval(days => (u.n % 45)::integer)
               from bench_users u where u.user_id = a.id`;
      await tx`
        insert into public.calls (call_id, user_id, status, started_at)
        select 'bench_call_' || g, u.user_id, case when g % 50 = 0 then 'error' else 'ended' end,
               now() - make_interval(secs => (g::bigint * 7919) % (60 * 86400))
        from generate_series(1, ${CALLS}) as g
        join bench_users u on u.n = 1 + g % ${BUSINESSES}`;
      await tx`
        insert into public.call_recordings (call_id, user_id, sentiment, created_at)
        select c.call_id, c.user_id, (array['Positive', 'Neutral', 'Negative'])[1 + (hashtext(c.call_id) & 3) % 3], c.started_at
        from public.calls c where hashtext(c.call_id) % 3 = 0`;
      await tx`
        insert into public.appointments (user_id, source, customer_name, start_at, end_at, created_at)
        select u.user_id, 'ai_call', 'Customer ' || g, now() + interval '1 day', now() + interval '25 hours',
               now() - make_interval(secs => (g::bigint * 104729) % (60 * 86400))
        from generate_series(1, ${BOOKINGS}) as g
        join bench_users u on u.n = 1 + g % ${BUSINESSES}`;
      await tx`
        insert into public.sms_messages (conversation_id, user_id, direction, body, from_number, to_number, provider, created_at)
        select gen_random_uuid(), u.user_id, 'inbound', 'Hello', '+13035550100', '+13035550199', 'twilio',
               now() - make_interval(secs => (g::bigint * 15485863) % (60 * 86400))
        from generate_series(1, ${TEXTS}) as g
        join bench_users u on u.n = 1 + g % ${BUSINESSES}`;
    }));
  await step("vacuum analyze", () => sql`vacuum analyze`);
}

/** The inputs the scoring run reads, each read once by a plain sequential scan on one process. */
function sequentialScan(sql: postgres.Sql) {
  return sql.begin(async (tx) => {
    await tx`set local enable_indexscan = off`;
    await tx`set local enable_indexonlyscan = off`;
    await tx`set local enable_bitmapscan = off`;
    // The scoring run writes, so PostgreSQL runs it on one process; the scan gets the same.
    await tx`set local max_parallel_workers_per_gather = 0`;
    for (const table of ["public.calls", "public.call_recordings", "public.appointments", "public.sms_messages", "public.profiles",
                         "public.subscriptions", "public.usage_limits", "public.agents", "auth.users", "auth.sessions"]) {
      await tx.unsafe(`select count(*) from ${table}`);
    }
  });
}

console.log(`Health-score benchmark: ${BUSINESSES.toLocaleString()} businesses, ${(CALLS + BOOKINGS + TEXTS).toLocaleString()} input rows over 60 days`);
console.log("Creating the scratch database (base + migrations)...");
const { url, loaderUrl } = createScratchDatabase();
const sql = postgres(url, { max: 1, onnotice: () => {} });
const loader = postgres(loaderUrl, { max: 1, onnotice: () => {} });
try {
  console.log("Loading:");
  await load(sql, loader);
  const scan = await medianOf(REPEATS, () => sequentialScan(sql));
  const first = await timed(() => sql`select private.run_health_scores() as outcome`);
  const scoring = await medianOf(REPEATS, () => sql`select private.run_health_scores()`);
  const inactivity = await medianOf(REPEATS, () => sql`select private.record_business_activity(), private.refresh_churn_alerts(array['inactive'])`);
  const [counts] = await sql`
    select (select count(*) from public.customer_health_scores)::int as scored,
           (select count(*) from public.churn_alerts where status <> 'resolved')::int as open_alerts`;
  console.log("Results:");
  console.log(`  sequential scan of every input (median of ${REPEATS}): ${seconds(scan)}`);
  console.log(`  health-scores job, first run: ${seconds(first.ms)} (${JSON.stringify(first.result[0].outcome)})`);
  console.log(`  health-scores job (median of ${REPEATS}): ${seconds(scoring)}, ${(scoring / scan).toFixed(2)}x the scan`);
  console.log(`  inactivity check (median of ${REPEATS}): ${seconds(inactivity)}, ${(inactivity / scan).toFixed(2)}x the scan`);
  console.log(`  ${counts.scored.toLocaleString()} businesses scored, ${counts.open_alerts.toLocaleString()} churn alerts open`);
  printRatios("health-scores", { scoring: scoring / scan, inactivity: inactivity / scan });
} finally {
  await sql.end();
  await loader.end();
  dropScratchDatabase();
  console.log("Scratch database dropped.");
}
