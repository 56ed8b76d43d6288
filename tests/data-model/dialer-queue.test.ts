// The admin dialer queue through the gateway: admins add, update and remove entries through RPCs,
// each audited; bad input is a 400 and writes nothing; owners are refused and never see the queue.
import type { SupabaseClient } from "@supabase/supabase-js";
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { signIn } from "../../stack/auth.ts";
import { newUser, sql, type TestUser } from "../helpers/stack.ts";
import { clientAs } from "./fixtures.ts";

let admin: SupabaseClient;
let owner: TestUser;

beforeAll(async () => {
  admin = clientAs(await signIn("admin@example.com"));
  owner = await newUser("dialer-owner");
});

async function auditOf(entryId: string) {
  return sql`select action, details from public.audit_logs where target_table = 'dialer_queue' and target_id = ${entryId} order by id`;
}

describe("the dialer queue", () => {
  it("admins add an entry, call it, record the outcome and remove it, each step audited", async () => {
    const business = `Dialer Prospect ${randomUUID().slice(0, 8)}`;
    const added = await admin.rpc("admin_add_dialer_entry", { phone: "+14155550142", contact_name: "Pat", business_name: business, notes: "met at the trade fair" });
    expect(added.error).toBeNull();
    expect(added.data).toMatchObject({ phone: "+14155550142", business_name: business, status: "queued", attempts: 0, outcome: null });
    const id = added.data.id;
    expect((await admin.from("dialer_queue").select("id").eq("id", id)).data).toEqual([{ id }]);

    const calling = await admin.rpc("admin_update_dialer_entry", { entry_id: id, status: "calling" });
    expect(calling.data).toMatchObject({ status: "calling", attempts: 1, notes: "met at the trade fair", last_called_at: expect.any(String) });
    const done = await admin.rpc("admin_update_dialer_entry", { entry_id: id, status: "done", outcome: "callback", notes: "call back Tuesday" });
    expect(done.data).toMatchObject({ status: "done", attempts: 1, outcome: "callback", notes: "call back Tuesday" });

    const removed = await admin.rpc("admin_remove_dialer_entry", { entry_id: id });
    expect(removed.data).toMatchObject({ id, outcome: "callback" });
    expect(await sql`select 1 from public.dialer_queue where id = ${id}`).toHaveLength(0);
    const audit = await auditOf(id);
    expect(audit.map((row) => row.action)).toEqual(["dialer.add", "dialer.update", "dialer.update", "dialer.remove"]);
    expect(audit[2].details).toMatchObject({ before: { status: "calling", outcome: null }, after: { status: "done", outcome: "callback" } });
  });

  it("refuses bad input with a 400 and an unknown entry with a 404, writing nothing", async () => {
    const before = await sql`select count(*)::int as n from public.dialer_queue`;
    for (const phone of ["4155550142", "+0123", "", "+1415555014299999999"]) {
      const answer = await admin.rpc("admin_add_dialer_entry", { phone });
      expect(answer.status, phone).toBe(400);
      expect(answer.error?.code).toBe("22023");
    }
    const tooLong = await admin.rpc("admin_add_dialer_entry", { phone: "+14155550143", notes: "x".repeat(2001) });
    expect(tooLong.status).toBe(400);
    expect(await sql`select count(*)::int as n from public.dialer_queue`).toEqual(before);

    const added = await admin.rpc("admin_add_dialer_entry", { phone: "+14155550144" });
    const id = added.data.id;
    for (const change of [{ status: "ringing" }, { outcome: "maybe" }]) {
      const answer = await admin.rpc("admin_update_dialer_entry", { entry_id: id, ...change });
      expect(answer.status, JSON.stringify(change)).toBe(400);
    }
    expect((await sql`select status, outcome from public.dialer_queue where id = ${id}`)[0]).toEqual({ status: "queued", outcome: null });

    const missing = randomUUID();
    expect((await admin.rpc("admin_update_dialer_entry", { entry_id: missing, status: "done" })).status).toBe(404);
    expect((await admin.rpc("admin_remove_dialer_entry", { entry_id: missing })).status).toBe(404);
    await admin.rpc("admin_remove_dialer_entry", { entry_id: id });
  });

  it("refuses owners, who never see the queue", async () => {
    const added = await admin.rpc("admin_add_dialer_entry", { phone: "+14155550145" });
    for (const [name, args] of [
      ["admin_add_dialer_entry", { phone: "+14155550146" }],
      ["admin_update_dialer_entry", { entry_id: added.data.id, status: "skipped" }],
      ["admin_remove_dialer_entry", { entry_id: added.data.id }],
    ] as const) {
      const answer = await owner.client.rpc(name, args);
      expect(answer.error?.code, name).toBe("42501");
    }
    expect((await owner.client.from("dialer_queue").select("id")).data).toEqual([]);
    expect((await sql`select status from public.dialer_queue where id = ${added.data.id}`)[0].status).toBe("queued");
    await admin.rpc("admin_remove_dialer_entry", { entry_id: added.data.id });
  });
});
