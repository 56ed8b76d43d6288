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

  it("completes a queued run that overlaps another as skipped", async () => {
    // Queued and completed in one transaction, so the real minute job cannot take it first.
    const run = await duringARun(() =>
      sql.begin(async (tx) => {
        const [queued] = await tx`select private.queue_reconciliation('test') as id`;
        await tx`select private.run_queued_reconciliations()`;
        const [row] = await tx`select status, note from public.reconciliation_runs where id = ${queued.id}`;
        return row;
      })
    );
    expect(run).toMatchObject({ status: "skipped", note: expect.stringMatching(/in progress/) });
  });

  it("lets an admin queue a run through the API and answers at once (the story waits for the minute job)", async () => {
    const admin = await signIn("admin@example.com");
    const response = await fetch(`${API_URL}/rest/v1/rpc/admin_trigger_reconciliation`, {
      method: "POST",
      headers: { apikey: ANON_KEY, authorization: `Bearer ${admin.accessToken}`, "content-type": "application/json" },
      body: "{}",
    });
    const queued = await response.json();
    expect(response.status).toBe(200);
    expect(queued).toMatchObject({ status: "queued", triggered_by: "admin", triggered_by_user_id: admin.id, finished_at: null });
    const audited = await sql`select 1 from public.audit_logs where action = 'reconciliation.trigger' and target_id = ${String(queued.id)}`;
    expect(audited).toHaveLength(1);

    const owner = await newUser("not-admin");
    const { error } = await owner.client.rpc("admin_trigger_reconciliation");
    expect(error?.code).toBe("42501");
  });
});
