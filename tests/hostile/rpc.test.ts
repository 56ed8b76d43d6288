// Every RPC of the Data API, tried as a hostile caller would: the functions in public that each role
// may execute, read from the catalog (so a new RPC is tried too), called through the gateway with
// generated arguments; a caller's mistake is a 4xx with a stable code, never a 5xx. And the "not
// found" paths found by hand, which must say 404 rather than 500.
import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { newAdmin } from "../data-model/fixtures.ts";
import { ANON_KEY, API_URL, newUser, sql, type TestUser } from "../helpers/stack.ts";
import { type Answer, broken, generated, nastyNumber, nastyString, nastyValue, reportAfterAll, sendAll, tally } from "./hostile.ts";

reportAfterAll("rpc");

/** The longest statement timeout of an API role (authenticated, 8 s), and a little more. */
const BUDGET_MS = 10_000;
const PER_RPC = 20;

async function rpc(name: string, args: unknown, token?: string): Promise<Answer> {
  const response = await fetch(`${API_URL}/rest/v1/rpc/${name}`, {
    method: "POST",
    headers: { apikey: ANON_KEY, authorization: `Bearer ${token ?? ANON_KEY}`, "content-type": "application/json" },
    body: JSON.stringify(args),
  });
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body };
}

type Rpc = { name: string; args: { name: string; type: string; optional: boolean }[] };

/** The functions in public that `role` may execute, with their named arguments and types. */
async function rpcsFor(role: string): Promise<Rpc[]> {
  const rows = await sql<{ name: string; arg_names: string[] | null; arg_types: string[]; defaults: number }[]>`
    select p.proname as name, p.proargnames as arg_names,
           array(select pg_catalog.format_type(t, null) from unnest(p.proargtypes) as t) as arg_types,
           p.pronargdefaults as defaults
    from pg_catalog.pg_proc p
    where p.pronamespace = 'public'::regnamespace and p.prokind = 'f'
      and pg_catalog.has_function_privilege(${role}, p.oid, 'execute')
      and not exists (select 1 from unnest(p.proargtypes) as t where t = 'pg_catalog.trigger'::regtype)
    order by 1`;
  return rows.map((r) => ({
    name: r.name,
    args: r.arg_types.map((type, i) => ({ name: r.arg_names?.[i] ?? `$${i + 1}`, type, optional: i >= r.arg_types.length - r.defaults })),
  }));
}

/** A value for an argument: usually of its type (hostile within it), sometimes of any other. */
function argument(type: string, otherTenantId: string): fc.Arbitrary<unknown> {
  const ofType: Record<string, fc.Arbitrary<unknown>> = {
    uuid: fc.oneof(fc.uuid(), fc.constant(otherTenantId), fc.constant("00000000-0000-0000-0000-000000000000")),
    text: nastyString,
    integer: nastyNumber,
    bigint: nastyNumber,
    numeric: nastyNumber,
    boolean: fc.boolean(),
    jsonb: nastyValue,
    json: nastyValue,
    "timestamp with time zone": fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), nastyString),
    "text[]": fc.array(nastyString, { maxLength: 3 }),
  };
  return fc.oneof({ weight: 4, arbitrary: ofType[type] ?? nastyValue }, { weight: 1, arbitrary: nastyValue });
}

function argumentsFor(fn: Rpc, otherTenantId: string): fc.Arbitrary<Record<string, unknown>> {
  const entries = fn.args.map((a) =>
    fc.tuple(fc.constant(a.name), a.optional ? fc.option(argument(a.type, otherTenantId), { nil: undefined }) : argument(a.type, otherTenantId))
  );
  return fc.tuple(...entries).map((pairs) => Object.fromEntries(pairs.filter(([, v]) => v !== undefined)));
}

/** Calls every RPC with generated arguments, as the callers `callerFor` gives; returns what broke. */
async function tryEvery(fns: Rpc[], batch: string, callerFor: (fn: Rpc) => Promise<string | undefined>, otherTenantId: string) {
  const failures: Record<string, unknown> = {};
  for (const [i, fn] of fns.entries()) {
    const token = await callerFor(fn);
    const inputs = generated(argumentsFor(fn, otherTenantId), PER_RPC, 500 + i);
    const sent = await sendAll(inputs, (args) => rpc(fn.name, args, token));
    tally(`rpc ${fn.name}`, batch, sent);
    const wrong = broken(sent, { allowed: (s) => s < 500, budgetMs: BUDGET_MS });
    if (wrong.length) failures[fn.name] = wrong.slice(0, 3);
  }
  return failures;
}

describe("not found is a 404 with a stable code", () => {
  let owner: TestUser;
  let admin: TestUser;
  let otherAppointment: string;
  beforeAll(async () => {
    [owner, admin] = await Promise.all([newUser("hostile-rpc-owner"), newAdmin()]);
    const other = await newUser("hostile-rpc-other");
    [{ id: otherAppointment }] = await sql`
      insert into public.appointments (user_id, customer_name, start_at, end_at)
      values (${other.id}, 'Not Yours', now() + interval '3 days', now() + interval '3 days 1 hour') returning id`;
  });

  it("appointment_for_change with another business's appointment answers 404 PT404, not 500", async () => {
    const answer = await rpc("appointment_for_change", { appointment_id: otherAppointment, action: "cancel" }, owner.accessToken);
    expect(answer).toMatchObject({ status: 404, body: { code: "PT404" } });
  });

  it("admin_start_impersonation of an unknown user answers 404 PT404, not 500", async () => {
    const answer = await rpc("admin_start_impersonation", { target_user_id: randomUUID(), reason: "support ticket", minutes: 10 }, admin.accessToken);
    expect(answer).toMatchObject({ status: 404, body: { code: "PT404" } });
  });

  it("admin_request_agent_deployment of an unknown user answers 404 PT404, not 500", async () => {
    const answer = await rpc("admin_request_agent_deployment", { target_user_id: randomUUID() }, admin.accessToken);
    expect(answer).toMatchObject({ status: 404, body: { code: "PT404" } });
  });
});

describe("every RPC with generated arguments", () => {
  let otherTenant: TestUser;
  beforeAll(async () => {
    otherTenant = await newUser("hostile-rpc-victim");
  });

  it("answers an owner's generated calls of every RPC they may execute with a 2xx or 4xx, never a 5xx", async () => {
    // A fresh owner per RPC: some revoke the caller's own sessions or open a payout request.
    const failures = await tryEvery(await rpcsFor("authenticated"), "owner", async () => (await newUser("hostile-rpc")).accessToken, otherTenant.id);
    expect(failures).toEqual({});
  });

  it("answers anonymous generated calls of every RPC anon may execute with a 2xx or 4xx, never a 5xx", async () => {
    const failures = await tryEvery(await rpcsFor("anon"), "anon", async () => undefined, otherTenant.id);
    expect(failures).toEqual({});
  });

  it("answers an admin's generated calls of every admin RPC with a 2xx or 4xx, never a 5xx", async () => {
    // Settings change what every other request sees (an access code would lock other suites' admins
    // out), and an onboarding with a real email would start a real deployment: tried as owners only.
    const shared = ["admin_update_setting", "admin_set_access_code", "admin_quick_onboard"];
    const fns = (await rpcsFor("authenticated")).filter((fn) => fn.name.startsWith("admin_") && !shared.includes(fn.name));
    const failures = await tryEvery(fns, "admin", async () => (await newAdmin()).accessToken, otherTenant.id);
    expect(failures).toEqual({});
  });
});
