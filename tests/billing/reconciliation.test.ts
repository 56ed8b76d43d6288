// An overlapping reconciliation run is a recorded no-op. This needs two database sessions, so it
// lives here; what a run corrects is in supabase/tests/billing/reconciliation.test.sql. The run
// that holds the lock is rolled back, so the shared database keeps its counters.
import { describe, expect, it } from "vitest";
import { signIn } from "../../stack/auth.ts";
import { ANON_KEY, API_URL, newUser, sql } from "../helpers/stack.ts";

const rolledBack = new Error("roll back the run that held the lock");

/** Runs `whileRunning` while another session is inside a reconciliation run. */
async function duringARun<T>(whileRunning: () => Promise<T>): Promise<T> {
  let result: T | undefined;
  await sql
    .begin(async (tx) => {
      await tx`select private.reconcile_usage('test')`;
      result = await whileRunning();
      throw rolledBack;
    })
    .catch((error) => {
      if (error !== rolledBack) throw error;
    });
  return result!;
}

describe("reconciliation", () => {
  it("records an overlapping run as skipped and changes nothing", async () => {
    const [skipped] = await duringARun(() => sql`select * from private.reconcile_usage('test')`);
    expect(skipped).toMatchObject({ status: "skipped", users_checked: 0, users_corrected: 0, changes: [] });
    expect(skipped.note).toMatch(/in progress/);
  });

  it("lets an admin trigger a run through the API, and tells them when one is already running", async () => {
    const admin = await signIn("admin@example.com");
    const trigger = () =>
      fetch(`${API_URL}/rest/v1/rpc/admin_trigger_reconciliation`, {
        method: "POST",
        headers: { apikey: ANON_KEY, authorization: `Bearer ${admin.accessToken}`, "content-type": "application/json" },
        body: "{}",
      }).then(async (r) => ({ status: r.status, body: await r.json() }));

    const answer = await duringARun(trigger);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: "skipped", triggered_by: "admin", triggered_by_user_id: admin.id });
    const audited = await sql`select 1 from public.audit_logs where action = 'reconciliation.trigger' and target_id = ${String(answer.body.id)}`;
    expect(audited).toHaveLength(1);

    const owner = await newUser("not-admin");
    const { error } = await owner.client.rpc("admin_trigger_reconciliation");
    expect(error?.code).toBe("42501");
  });
});
