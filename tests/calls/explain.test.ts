// The inbound lookup is one indexed probe, not a scan of every business: the plans of the
// statements public.inbound_call_context actually runs (auto_explain, nested statements included)
// use the unique index on agents.phone_number, with the table as big as in production.
import { afterAll, expect, it } from "vitest";
import postgres from "postgres";
import { SUPERUSER_URL } from "../../stack/config.ts";

const plans: string[] = [];
// Loading auto_explain and its settings is for superusers only, on hosted as here: this diagnostic
// is the one test that connects as the stack's superuser.
const db = postgres(SUPERUSER_URL, { max: 1, onnotice: (notice) => plans.push(String(notice.message)) });
afterAll(() => db.end({ timeout: 2 }));

it("inbound_call_context finds the agent through its phone number index", async () => {
  await db
    .begin(async (tx) => {
      // 5,000 more businesses, seen by the planner through fresh statistics; all rolled back.
      await tx`
        with users as (
          insert into auth.users (id, email)
          select gen_random_uuid(), 'explain-' || n || '-' || gen_random_uuid() || '@explain.test'
          from generate_series(1, 5000) as n
          returning id
        )
        insert into public.agents (user_id, deploy_status, retell_agent_id, phone_number)
        select id, 'active', 'agent_master_hvac', '+1554' || lpad((row_number() over ())::text, 7, '0') from users`;
      await tx`analyze public.agents`;
      await tx`load 'auto_explain'`;
      await tx`set local auto_explain.log_min_duration = 0`;
      await tx`set local auto_explain.log_nested_statements = on`;
      await tx`set local auto_explain.log_level = notice`;
      await tx`set local client_min_messages = notice`;
      await tx`select public.inbound_call_context('+15540002500', '+14155551234', null)`;
      throw new Error("rollback");
    })
    .catch((error) => {
      if (error.message !== "rollback") throw error;
    });

  const lookup = plans.filter((plan) => /\bagents\b/.test(plan));
  expect(lookup.length, plans.join("\n---\n")).toBeGreaterThan(0);
  for (const plan of lookup) {
    expect(plan).toMatch(/Index Scan using agents_phone_number_key on agents/);
    expect(plan).not.toMatch(/Seq Scan on agents/);
  }
});
