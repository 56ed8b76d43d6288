// What the data-model suites share: supabase-js clients that send extra headers (impersonation),
// fresh admins, rows written as the superuser where clients may not insert, and the checks that
// a request was refused and wrote nothing.
import { createClient, type PostgrestError, type SupabaseClient } from "@supabase/supabase-js";
import { randomInt, randomUUID } from "node:crypto";
import ws from "ws";
import { afterAll, expect } from "vitest";
import { ANON_KEY, API_URL, newUser, sql, type TestUser } from "../helpers/stack.ts";

/** A supabase-js client acting with this user's token, sending the given headers on every request. */
export function clientAs(user: { accessToken: string }, headers: Record<string, string> = {}): SupabaseClient {
  return createClient(API_URL, ANON_KEY, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: ws as unknown as typeof WebSocket },
    global: { headers: { Authorization: `Bearer ${user.accessToken}`, ...headers } },
  });
}

const adminEmails: string[] = [];
// Registered after the helpers' own afterAll, so it runs before the SQL pool is closed.
afterAll(async () => {
  if (adminEmails.length > 0) await sql`delete from private.admin_emails where email in ${sql(adminEmails)}`;
});

/**
 * A new user who is an admin for the rest of the file. Fresh admins keep tests independent of the
 * seeded admin, whom other suites use at the same time (an admin has one impersonation at a time).
 */
export async function newAdmin(): Promise<TestUser> {
  const admin = await newUser("admin");
  const email = admin.email.toLowerCase();
  await sql`insert into private.admin_emails (email) values (${email})`;
  adminEmails.push(email);
  return admin;
}

/** Inserts one row as the superuser (as the functions and webhooks would) and returns it. */
export async function insertRow(table: string, values: Record<string, unknown>): Promise<Record<string, any>> {
  const [row] = await sql`insert into ${sql(`public.${table}`)} ${sql(values as Record<string, any>)} returning *`;
  return row;
}

/** The rows of a table matching a column value, as JSON, read as the superuser. */
export async function rowsAsStored(table: string, column: string, value: unknown): Promise<unknown[]> {
  const rows = await sql`select to_jsonb(t) as row from ${sql(`public.${table}`)} t where ${sql(column)} = ${value as string}`;
  return rows.map((r) => r.row);
}

/** A North American number nobody else's test uses, in E.164. */
export function uniquePhone(): string {
  return `+1${randomInt(201, 989)}555${String(randomInt(0, 10_000)).padStart(4, "0")}`;
}

export function uniqueId(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll("-", "")}`;
}

type Answer = { data: unknown; error: PostgrestError | null; status?: number };

/** PostgREST refused the request with this Postgres error code and a message saying why. */
export function expectRefused(answer: Answer, code: string): void {
  expect(answer.error, `expected error ${code}, got data ${JSON.stringify(answer.data)}`).not.toBeNull();
  expect(answer.error?.code).toBe(code);
  expect(answer.error?.message).toMatch(/\S/);
  if (answer.status !== undefined) expect(answer.status).toBeGreaterThanOrEqual(400);
  if (answer.status !== undefined) expect(answer.status).toBeLessThan(500);
}

/**
 * The request reached nothing: either RLS hid every row (no error, no rows) or the role lacks the
 * privilege (42501). Any other error would mean the request itself was wrong, and proves nothing.
 */
export function expectNothingReached(answer: Answer): void {
  if (answer.error) {
    expect(answer.error.code, answer.error.message).toBe("42501");
  } else {
    expect(answer.data ?? []).toEqual([]);
  }
}
