// Rows that point at other rows, written by an owner through the Data API: a reference to another
// business's row is refused with the same error as a reference to no row at all (so it tells the
// caller nothing about which ids exist), for every foreign key between owner tables whose column an
// owner may write, read from the catalog. And a Cal.com booking is cancelled through the
// appointments function, never deleted behind Cal.com's back.
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { newUser, sql, type TestUser } from "../helpers/stack.ts";

type Reference = { child: string; column: string; parent: string; parentKey: string };

/** Foreign keys between two owner tables (both have user_id) whose column clients may insert or update. */
async function writableReferences(): Promise<Reference[]> {
  return sql<Reference[]>`
    select child.relname as child, a.attname as column, parent.relname as parent, pa.attname as "parentKey"
    from pg_catalog.pg_constraint c
    join pg_catalog.pg_class child on child.oid = c.conrelid
    join pg_catalog.pg_class parent on parent.oid = c.confrelid
    join pg_catalog.pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
    join pg_catalog.pg_attribute pa on pa.attrelid = c.confrelid and pa.attnum = c.confkey[1]
    where c.contype = 'f' and c.connamespace = 'public'::regnamespace and parent.relnamespace = 'public'::regnamespace
      and exists (select 1 from pg_catalog.pg_attribute u where u.attrelid = child.oid and u.attname = 'user_id' and not u.attisdropped)
      and exists (select 1 from pg_catalog.pg_attribute u where u.attrelid = parent.oid and u.attname = 'user_id' and not u.attisdropped)
      and (pg_catalog.has_column_privilege('authenticated', child.oid, a.attnum, 'INSERT')
           or pg_catalog.has_column_privilege('authenticated', child.oid, a.attnum, 'UPDATE'))
    order by 1, 2`;
}

/** A row of `table` owned by `userId`, written as the functions would; returns its key. */
const PARENT_ROWS: Record<string, (userId: string) => Promise<string>> = {
  appointments: async (userId) => (await sql`
    insert into public.appointments (user_id, customer_name, start_at, end_at)
    values (${userId}, 'Someone', now() + interval '2 days', now() + interval '2 days 1 hour') returning id`)[0].id,
  tracking_sessions: async (userId) => (await sql`
    insert into public.tracking_sessions (user_id, technician_name) values (${userId}, 'Tech') returning id`)[0].id,
};

/** The body an owner sends to create a row of `table` that names `key` in `column`. */
const CHILD_BODIES: Record<string, (column: string, key: string) => Record<string, unknown>> = {
  tracking_sessions: (column, key) => ({ [column]: key, technician_name: "Hostile Tech" }),
  tracking_points: (column, key) => ({ [column]: key, latitude: 39.7, longitude: -104.9 }),
};

describe("references to another business's rows", () => {
  let owner: TestUser;
  let other: TestUser;
  let references: Reference[];
  beforeAll(async () => {
    [owner, other, references] = await Promise.all([newUser("hostile-refs"), newUser("hostile-refs-other"), writableReferences()]);
  });

  it("finds the foreign keys owners write, tracking sessions to appointments among them", () => {
    expect(references).toContainEqual({ child: "tracking_sessions", column: "appointment_id", parent: "appointments", parentKey: "id" });
  });

  it("has a way to make each referenced and referencing row (a new foreign key needs one here)", () => {
    const missing = references.flatMap((r) => [
      ...(PARENT_ROWS[r.parent] ? [] : [`a ${r.parent} row`]),
      ...(CHILD_BODIES[r.child] ? [] : [`a ${r.child} body`]),
    ]);
    expect(missing).toEqual([]);
  });

  it("refuses a row naming another business's row in every such foreign key, with the same error as a row that does not exist", async () => {
    const outcomes: Record<string, unknown> = {};
    for (const r of references) {
      const theirs = await PARENT_ROWS[r.parent](other.id);
      const mine = await PARENT_ROWS[r.parent](owner.id);
      const attempt = async (key: string) => {
        const { error, status } = await owner.client.from(r.child).insert(CHILD_BODIES[r.child](r.column, key));
        return { status, code: error?.code ?? null, message: error?.message ?? null };
      };
      const [other_, none, own] = [await attempt(theirs), await attempt(randomUUID()), await attempt(mine)];
      outcomes[`${r.child}.${r.column}`] = {
        refused: other_.status >= 400 && other_.status < 500,
        same_as_missing: JSON.stringify(other_) === JSON.stringify(none),
        own_accepted: own.status === 201,
      };
      const stored = await sql`select 1 from ${sql(`public.${r.child}`)} where ${sql(r.column)} = ${theirs}`;
      expect(stored, `${r.child}.${r.column} stored a reference to another business's row`).toHaveLength(0);
    }
    const expected = Object.fromEntries(Object.keys(outcomes).map((k) => [k, { refused: true, same_as_missing: true, own_accepted: true }]));
    expect(outcomes).toEqual(expected);
  });

  it("a tracking session naming another business's appointment gets a 409 that does not say whether the appointment exists", async () => {
    const theirs = await PARENT_ROWS.appointments(other.id);
    const { error, status } = await owner.client.from("tracking_sessions").insert({ appointment_id: theirs });
    expect(status).toBe(409);
    expect(error?.message).not.toMatch(/not present|does not exist|Key \(/);
  });
});

describe("Cal.com bookings cannot be deleted behind Cal.com's back", () => {
  let owner: TestUser;
  beforeAll(async () => {
    owner = await newUser("hostile-calcom-delete");
  });

  it("refuses an owner's DELETE of a Cal.com appointment with 403 and keeps the row; a manual one is deleted", async () => {
    const [booked] = await sql`
      insert into public.appointments (user_id, source, customer_name, start_at, end_at, calcom_booking_uid)
      values (${owner.id}, 'calcom', 'Booked At Cal', now() + interval '5 days', now() + interval '5 days 1 hour', ${`uid_hostile_${randomUUID()}`})
      returning id`;
    const [manual] = await sql`
      insert into public.appointments (user_id, customer_name, start_at, end_at)
      values (${owner.id}, 'Booked By Hand', now() + interval '5 days', now() + interval '5 days 1 hour') returning id`;

    const refused = await owner.client.from("appointments").delete().eq("id", booked.id);
    expect(refused.status).toBe(403);
    expect(refused.error?.message).toMatch(/appointments\/.+\/cancel|cancel it through/);
    expect(await sql`select 1 from public.appointments where id = ${booked.id}`).toHaveLength(1);

    const deleted = await owner.client.from("appointments").delete().eq("id", manual.id);
    expect(deleted.error).toBeNull();
    expect(await sql`select 1 from public.appointments where id = ${manual.id}`).toHaveLength(0);
  });
});
