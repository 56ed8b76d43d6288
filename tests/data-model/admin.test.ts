// Admins through the gateway: who is one is data the seed and operators write, never something a
// user can set; admins read across users and the admin-only tables; everyone else is refused by
// every admin RPC. The access code and IP allowlist are global settings, so this suite keeps the
// default open gate; supabase/tests/admin/admin_gate.test.sql tests the gate inside a transaction.
import type { SupabaseClient } from "@supabase/supabase-js";
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { signIn } from "../../stack/auth.ts";
import { anonClient, newUser, sql, type TestUser } from "../helpers/stack.ts";
import { clientAs, expectNothingReached, expectRefused, insertRow } from "./fixtures.ts";

let admin: SupabaseClient;
let owner: TestUser;
let otherOwner: TestUser;
const businessName = `Admin Suite Heating ${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  admin = clientAs(await signIn("admin@example.com"));
  owner = await newUser("admin-suite-owner");
  otherOwner = await newUser("admin-suite-other");
  await sql`update public.profiles set business_name = ${businessName} where id = ${owner.id}`;
});

describe("who is an admin", () => {
  it("public_settings tells the seeded admin, a user and an anonymous caller apart", async () => {
    expect((await admin.rpc("public_settings")).data).toMatchObject({ is_admin: true });
    expect((await owner.client.rpc("public_settings")).data).toMatchObject({ is_admin: false });
    expect((await anonClient().rpc("public_settings")).data).toMatchObject({ is_admin: false });
  });

  it("a user cannot put themselves on the admin list: it is not exposed", async () => {
    const answer = await owner.client.schema("private").from("admin_emails").insert({ email: owner.email });
    expect(answer.error).not.toBeNull();
    const listed = await sql`select 1 from private.admin_emails where email = ${owner.email}`;
    expect(listed).toHaveLength(0);
    expect((await owner.client.rpc("public_settings")).data).toMatchObject({ is_admin: false });
  });
});

describe("admins read across users", () => {
  it("an admin reads every user's profile; a user only their own", async () => {
    const ids = [owner.id, otherOwner.id];
    const asAdmin = await admin.from("profiles").select("id").in("id", ids);
    expect(asAdmin.error).toBeNull();
    expect(asAdmin.data?.map((p) => p.id).sort()).toEqual([...ids].sort());
    const asOwner = await owner.client.from("profiles").select("id").in("id", ids);
    expect(asOwner.data).toEqual([{ id: owner.id }]);
  });

  it("admin_list_users finds a business by name", async () => {
    const { data, error } = await admin.rpc("admin_list_users", { search: businessName });
    expect(error).toBeNull();
    expect(data).toEqual([expect.objectContaining({ user_id: owner.id, email: owner.email, business_name: businessName, is_admin: false })]);
  });
});

// Tables only admins read (functions, triggers and cron write them), from the catalog, so a new one
// is covered without being listed here.
const adminOnlyTables: string[] = (await sql`
  select tablename from pg_catalog.pg_policies where schemaname = 'public'
  group by tablename having bool_and(policyname like 'Admins %') order by tablename`).map((r) => r.tablename);

// A row to look for in the admin-only tables this data model defines.
const adminOnlyRows: Record<string, (user: TestUser) => Promise<Record<string, unknown>>> = {
  audit_logs: (user) => insertRow("audit_logs", { actor_user_id: user.id, action: "test.admin_suite" }),
  impersonation_sessions: async (user) =>
    insertRow("impersonation_sessions", { admin_user_id: (await newUser("listed-admin")).id, target_user_id: user.id, reason: "admin suite", expires_at: new Date(Date.now() + 60_000) }),
  customer_health_scores: (user) => insertRow("customer_health_scores", { user_id: user.id, score: 42 }),
  churn_alerts: (user) => insertRow("churn_alerts", { user_id: user.id, reason: "inactive" }),
  ops_alerts: (user) => insertRow("ops_alerts", { kind: "admin_suite", message: "Look at this", user_id: user.id }),
  error_logs: (user) => insertRow("error_logs", { source: "admin-suite", message: "Something failed", user_id: user.id }),
  reconciliation_runs: (user) => insertRow("reconciliation_runs", { triggered_by: "test", triggered_by_user_id: user.id }),
  dialer_queue: (user) => insertRow("dialer_queue", { phone: "+14155550199", contact_name: "Prospect", created_by: user.id }),
};

describe("admin-only tables", () => {
  it.each(adminOnlyTables)("%s: a signed-in non-admin reads nothing", async (table) => {
    expectNothingReached(await owner.client.from(table).select("*"));
  });

  it.each(Object.keys(adminOnlyRows))("%s: an admin reads a row about a user, the user does not", async (table) => {
    expect(adminOnlyTables).toContain(table);
    const row = await adminOnlyRows[table](owner);
    const key = "id" in row ? "id" : "user_id";
    const asAdmin = await admin.from(table).select(key).eq(key, row[key] as string);
    expect(asAdmin.error).toBeNull();
    expect(asAdmin.data).toHaveLength(1);
    const asOwner = await owner.client.from(table).select(key).eq(key, row[key] as string);
    expect(asOwner.error).toBeNull();
    expect(asOwner.data).toEqual([]);
  });
});

// Every admin_* RPC, from the catalog, with its argument names: called with nulls, which would do no
// harm even if a function forgot its check.
const adminRpcs: { name: string; args: string[] }[] = (await sql`
  select proname as name, coalesce(proargnames[1:pronargs], '{}') as args from pg_catalog.pg_proc
  where pronamespace = 'public'::regnamespace and proname like 'admin\_%' order by proname`).map((r) => ({ name: r.name, args: r.args }));
const nullArguments = (args: string[]) => Object.fromEntries(args.map((arg) => [arg, null]));

describe("admin RPCs", () => {
  it("include the ones this data model defines", () => {
    expect(adminRpcs.map((rpc) => rpc.name)).toEqual(expect.arrayContaining([
      "admin_start_impersonation", "admin_end_impersonation", "admin_list_users", "admin_update_setting",
      "admin_set_access_code", "admin_resolve_ops_alert", "admin_decide_referral", "admin_decide_payout",
    ]));
  });

  it.each(adminRpcs.map((rpc) => [rpc.name, rpc] as const))("%s refuses a signed-in non-admin (\"admin only\") and an anonymous caller", async (_name, rpc) => {
    const asOwner = await owner.client.rpc(rpc.name, nullArguments(rpc.args));
    expectRefused(asOwner, "42501");
    expect(asOwner.error?.message).toBe("admin only");
    // anon holds no EXECUTE on admin RPCs, so PostgREST does not even find them (PGRST202).
    const asAnonymous = await anonClient().rpc(rpc.name, nullArguments(rpc.args));
    expect(asAnonymous.error?.code).toMatch(/^(42501|PGRST202)$/);
    expect(asAnonymous.status).toBeGreaterThanOrEqual(400);
  });

  it("a refused call writes no audit row", async () => {
    await owner.client.rpc("admin_set_access_code", { code: null });
    const audited = await sql`select 1 from public.audit_logs where actor_user_id = ${owner.id} and action like 'settings.%'`;
    expect(audited).toHaveLength(0);
  });
});
