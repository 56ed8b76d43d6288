// Impersonation through the gateway, as the admin frontend does it: start a session by RPC, then send
// its id as x-impersonation-session. While active the admin sees and changes exactly what the user
// would, every write audited for both; once ended the header is refused.
import type { SupabaseClient } from "@supabase/supabase-js";
import { beforeAll, describe, expect, it } from "vitest";
import { newUser, sql, type TestUser } from "../helpers/stack.ts";
import { clientAs, expectRefused, insertRow, newAdmin } from "./fixtures.ts";

let admin: TestUser;
let target: TestUser;
let bystander: TestUser;

async function startSession(reason = "customer asked for help"): Promise<string> {
  const { data, error } = await admin.client.rpc("admin_start_impersonation", { target_user_id: target.id, reason, minutes: 5 });
  expect(error).toBeNull();
  return data.id;
}

function impersonating(sessionId: string, as: TestUser = admin): SupabaseClient {
  return clientAs(as, { "x-impersonation-session": sessionId });
}

beforeAll(async () => {
  admin = await newAdmin();
  target = await newUser("impersonated");
  bystander = await newUser("bystander");
  for (const user of [admin, target, bystander]) await insertRow("black_box_events", { user_id: user.id, event_type: "wizard.opened" });
});

describe("while a session is active", () => {
  let sessionId: string;
  let asTarget: SupabaseClient;

  beforeAll(async () => {
    sessionId = await startSession();
    asTarget = impersonating(sessionId);
  });

  it("starting it is audited with the reason", async () => {
    const rows = await sql`
      select actor_user_id, on_behalf_of_user_id, details ->> 'reason' as reason from public.audit_logs
      where action = 'impersonation.start' and target_id = ${sessionId}`;
    expect(rows).toEqual([{ actor_user_id: admin.id, on_behalf_of_user_id: target.id, reason: "customer asked for help" }]);
  });

  it("the admin sees exactly the target's rows", async () => {
    const profiles = await asTarget.from("profiles").select("id");
    expect(profiles.error).toBeNull();
    expect(profiles.data).toEqual([{ id: target.id }]);
    const events = await asTarget.from("black_box_events").select("user_id");
    expect(events.data).toEqual([{ user_id: target.id }]);
  });

  it("without the header the same admin reads across users", async () => {
    const { data } = await admin.client.from("profiles").select("id").in("id", [target.id, bystander.id]);
    expect(data).toHaveLength(2);
  });

  it("the admin updates the target's profile, audited for both", async () => {
    const { data, error } = await asTarget.from("profiles").update({ business_name: "Fixed by support" }).eq("id", target.id).select("id, business_name");
    expect(error).toBeNull();
    expect(data).toEqual([{ id: target.id, business_name: "Fixed by support" }]);
    const audited = await sql`
      select actor_user_id, on_behalf_of_user_id, details ->> 'session_id' as session_id from public.audit_logs
      where action = 'impersonation.update' and target_table = 'profiles' and target_id = ${target.id}`;
    expect(audited).toEqual([{ actor_user_id: admin.id, on_behalf_of_user_id: target.id, session_id: sessionId }]);
  });

  it("cannot reach another user's rows", async () => {
    const { data } = await asTarget.from("profiles").update({ business_name: "Not yours" }).eq("id", bystander.id).select("id");
    expect(data).toEqual([]);
    const [stored] = await sql`select business_name from public.profiles where id = ${bystander.id}`;
    expect(stored.business_name).toBeNull();
  });

  it("rows the admin creates belong to the target, audited for both", async () => {
    const { data, error } = await asTarget.from("black_box_events").insert({ event_type: "support.note" }).select("id, user_id").single();
    expect(error).toBeNull();
    expect(data?.user_id).toBe(target.id);
    const audited = await sql`
      select actor_user_id, on_behalf_of_user_id from public.audit_logs
      where action = 'impersonation.insert' and target_table = 'black_box_events' and target_id = ${String(data?.id)}`;
    expect(audited).toEqual([{ actor_user_id: admin.id, on_behalf_of_user_id: target.id }]);
  });

  it("a non-admin sending the session id is refused", async () => {
    expectRefused(await impersonating(sessionId, bystander).from("profiles").select("id"), "42501");
    expectRefused(await impersonating(sessionId, target).from("profiles").select("id"), "42501");
  });
});

describe("after the session ends", () => {
  it("the same header is refused at once, and the end is audited", async () => {
    const sessionId = await startSession("quick look");
    const asTarget = impersonating(sessionId);
    expect((await asTarget.from("profiles").select("id")).data).toEqual([{ id: target.id }]);

    const ended = await admin.client.rpc("admin_end_impersonation", { session_id: sessionId });
    expect(ended).toMatchObject({ error: null, data: true });

    const refused = await asTarget.from("profiles").select("id");
    expectRefused(refused, "42501");
    expect(refused.error?.message).toContain("is not active");
    expectRefused(await asTarget.from("profiles").update({ business_name: "Too late" }).eq("id", target.id), "42501");
    const audited = await sql`select actor_user_id from public.audit_logs where action = 'impersonation.end' and target_id = ${sessionId}`;
    expect(audited).toEqual([{ actor_user_id: admin.id }]);
  });

  it("an expired session is refused", async () => {
    const [expired] = await sql`
      insert into public.impersonation_sessions (admin_user_id, target_user_id, reason, started_at, expires_at)
      values (${admin.id}, ${target.id}, 'expired', now() - interval '1 hour', now() - interval '1 minute')
      returning id`;
    expectRefused(await impersonating(expired.id).from("profiles").select("id"), "42501");
  });

  it("a header that is not a session id is refused", async () => {
    expectRefused(await impersonating("not-a-session").from("profiles").select("id"), "22023");
  });
});
