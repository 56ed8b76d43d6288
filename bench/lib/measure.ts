// Timing, loading and the machine-readable ratio line shared by the benchmarks.
import type postgres from "postgres";

export async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await work();
  return { ms: performance.now() - started, result };
}

export const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
/** The benchmark's ratios on one line a script can read: `RATIOS <benchmark> name=value ...`. */
export function printRatios(benchmark: string, ratios: Record<string, number>): void {
  console.log(`RATIOS ${benchmark} ${Object.entries(ratios).map(([name, value]) => `${name}=${value.toFixed(2)}`).join(" ")}`);
}

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function step<T>(label: string, work: () => Promise<T>): Promise<T> {
  const { ms, result } = await timed(work);
  console.log(`  ${label}: ${seconds(ms)}`);
  return result;
}

/** Median time of `repeats` runs of `work`. */
export async function medianOf(repeats: number, work: () => Promise<unknown>): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < repeats; i++) runs.push((await timed(work)).ms);
  return median(runs);
}

/**
 * `count` businesses as sign-up and payment leave them: auth users (profiles by trigger), an
 * active subscription each on one of the four plans, and the usage limits of their period.
 */
export async function loadBusinesses(sql: postgres.Sql, count: number, batch = 10_000): Promise<void> {
  await step(`${count.toLocaleString()} users (auth.users, profiles by trigger)`, async () => {
    for (let first = 1; first <= count; first += batch) {
      await sql`
        insert into auth.users (id, email, email_confirmed_at)
        select gen_random_uuid(), 'bench-' || g || '@bench.test', now() from generate_series(${first}::integer, ${Math.min(first + batch - 1, count)}::integer) as g`;
    }
  });
  await step("subscriptions and usage limits", async () => {
    await sql`
      insert into public.subscriptions (user_id, stripe_customer_id, stripe_subscription_id, plan, status, current_period_start, current_period_end, last_event_at)
      select u.id, 'cus_bench_' || n, 'sub_bench_' || n, (array['core', 'pro', 'elite', 'scale'])[1 + n % 4], 'active',
             date_trunc('day', now()) - make_interval(days => (n % 28)::integer), date_trunc('day', now()) - make_interval(days => (n % 28)::integer) + interval '1 month', now()
      from (select id, row_number() over (order by id) as n from auth.users where email like 'bench-%') as u(id, n)`;
    await sql`
      insert into public.usage_limits (user_id, period_start, period_end, call_minutes_allowance, sms_allowance)
      select s.user_id, s.current_period_start, s.current_period_end, p.call_minutes, p.sms
      from public.subscriptions s join public.plans p on p.id = s.plan`;
  });
}
