// Users and identities in Auth's own tables, read and written as GoTrue does, and the user JSON its
// API answers with.
import { randomUUID } from "node:crypto";
import type postgres from "postgres";
import { authSettings } from "../supabase-config.ts";
import { AuthError } from "./http.ts";

export type Sql = postgres.Sql | postgres.TransactionSql;

export type UserRow = {
  id: string;
  aud: string | null;
  role: string | null;
  email: string | null;
  phone: string | null;
  encrypted_password: string | null;
  email_confirmed_at: Date | null;
  invited_at: Date | null;
  confirmation_token: string | null;
  confirmation_sent_at: Date | null;
  recovery_token: string | null;
  recovery_sent_at: Date | null;
  email_change_token_new: string | null;
  email_change_token_current: string | null;
  email_change: string | null;
  email_change_sent_at: Date | null;
  phone_change: string | null;
  phone_change_token: string | null;
  reauthentication_token: string | null;
  phone_confirmed_at: Date | null;
  confirmed_at: Date | null;
  last_sign_in_at: Date | null;
  raw_app_meta_data: Record<string, unknown> | null;
  raw_user_meta_data: Record<string, unknown> | null;
  created_at: Date;
  updated_at: Date;
  banned_until: Date | null;
  deleted_at: Date | null;
  is_anonymous: boolean;
  is_sso_user: boolean;
};

type IdentityRow = {
  id: string;
  provider_id: string;
  user_id: string;
  identity_data: Record<string, unknown>;
  provider: string;
  last_sign_in_at: Date | null;
  created_at: Date;
  updated_at: Date;
  email: string | null;
};

/**
 * Columns GoTrue scans into Go strings. A row with NULL in one of them (what a bare SQL insert into
 * auth.users leaves) fails there with "converting NULL to string is unsupported" (supabase/auth
 * issue 1940), and so it fails here.
 */
const STRING_COLUMNS = [
  "confirmation_token",
  "recovery_token",
  "email_change_token_new",
  "email_change_token_current",
  "email_change",
  "phone_change",
  "phone_change_token",
  "reauthentication_token",
] as const;

function scanned(row: UserRow, action: string): UserRow {
  const nullColumn = STRING_COLUMNS.find((column) => row[column] === null);
  if (nullColumn) {
    console.error(`auth.users ${row.id}: sql: Scan error on column "${nullColumn}": converting NULL to string is unsupported`);
    throw new AuthError(500, "unexpected_failure", `Database error ${action}`);
  }
  return row;
}

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** GoTrue's checks on an email address it is asked to store. */
export function validEmail(email: string | undefined): string {
  if (!email) throw new AuthError(400, "validation_failed", "An email address is required");
  const address = normalizeEmail(email);
  if (address.length > 255 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(address)) {
    throw new AuthError(400, "validation_failed", "Unable to validate email address: invalid format");
  }
  return address;
}

/** GoTrue's password strength check with config.toml's minimum length (weak_password, 422). */
export function checkPasswordStrength(password: string | undefined): string {
  const { minimumPasswordLength } = authSettings();
  if (password === undefined || password === "") {
    throw new AuthError(422, "validation_failed", "Signup requires a valid password");
  }
  if (password.length < minimumPasswordLength) {
    throw new AuthError(422, "weak_password", `Password should be at least ${minimumPasswordLength} characters.`, {
      weak_password: { reasons: ["length"] },
    });
  }
  return password;
}

export async function findUserById(sql: Sql, id: string, action = "loading user"): Promise<UserRow | undefined> {
  const [row] = await sql<UserRow[]>`select * from auth.users where id = ${id}`;
  return row && scanned(row, action);
}

export async function findUserByEmail(sql: Sql, email: string, action = "querying schema"): Promise<UserRow | undefined> {
  const [row] = await sql<UserRow[]>`
    select * from auth.users where lower(email) = ${normalizeEmail(email)} and aud = 'authenticated' and is_sso_user = false`;
  return row && scanned(row, action);
}

export async function listUsers(sql: Sql, page: number, perPage: number, filter: string | undefined) {
  const pattern = `%${filter ?? ""}%`;
  const [{ count }] = await sql<{ count: number }[]>`
    select count(*)::int as count from auth.users where aud = 'authenticated' and (email ilike ${pattern} or ${!filter})`;
  const rows = await sql<UserRow[]>`
    select * from auth.users where aud = 'authenticated' and (email ilike ${pattern} or ${!filter})
    order by created_at desc, id limit ${perPage} offset ${(page - 1) * perPage}`;
  return { total: count, users: rows.map((row) => scanned(row, "finding users")) };
}

export type NewUser = {
  email: string;
  password?: string;
  confirmed: boolean;
  invited?: boolean;
  userMetadata?: Record<string, unknown>;
  appMetadata?: Record<string, unknown>;
};

/** Inserts the user and its email identity with every column GoTrue writes (token columns as ''). */
export async function createUser(sql: Sql, user: NewUser): Promise<UserRow> {
  const id = randomUUID();
  const identityData = { sub: id, email: user.email, email_verified: user.confirmed, phone_verified: false };
  const appMetadata = { provider: "email", providers: ["email"], ...(user.appMetadata ?? {}) };
  const userMetadata = { ...(user.userMetadata ?? {}), ...identityData };
  const [row] = await sql<UserRow[]>`
    insert into auth.users (
      instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, invited_at,
      confirmation_token, recovery_token, email_change_token_new, email_change,
      raw_app_meta_data, raw_user_meta_data, created_at, updated_at, is_sso_user, is_anonymous)
    values (
      '00000000-0000-0000-0000-000000000000', ${id}, 'authenticated', 'authenticated', ${user.email},
      ${user.password ? sql`extensions.crypt(${user.password}, extensions.gen_salt('bf', 10))` : sql`''`},
      ${user.confirmed ? sql`now()` : null}, ${user.invited ? sql`now()` : null},
      '', '', '', '',
      ${sql.json(appMetadata as postgres.JSONValue)}, ${sql.json(userMetadata as postgres.JSONValue)}, now(), now(), false, false)
    returning *`;
  await sql`
    insert into auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
    values (${id}, ${id}, ${sql.json(identityData)}, 'email', now(), now())`;
  return row;
}

export async function passwordMatches(sql: Sql, user: UserRow, password: string): Promise<boolean> {
  if (!user.encrypted_password?.startsWith("$2")) return false;
  const [{ ok }] = await sql<{ ok: boolean }[]>`
    select encrypted_password = extensions.crypt(${password}, encrypted_password) as ok from auth.users where id = ${user.id}`;
  return ok;
}

export async function setPassword(sql: Sql, userId: string, password: string) {
  await sql`
    update auth.users set encrypted_password = extensions.crypt(${password}, extensions.gen_salt('bf', 10)), updated_at = now()
    where id = ${userId}`;
}

export async function recordSignIn(sql: Sql, userId: string) {
  await sql`update auth.users set last_sign_in_at = now(), updated_at = now() where id = ${userId}`;
  await sql`update auth.identities set last_sign_in_at = now(), updated_at = now() where user_id = ${userId} and provider = 'email'`;
}

/** Metadata updates merge into what is stored; a key set to null is removed (GoTrue's UpdateUserMetaData). */
export async function mergeMetadata(sql: Sql, userId: string, column: "raw_user_meta_data" | "raw_app_meta_data", changes: Record<string, unknown>) {
  const removed = Object.keys(changes).filter((key) => changes[key] === null);
  const kept = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== null));
  await sql`
    update auth.users
    set ${sql(column)} = (coalesce(${sql(column)}, '{}'::jsonb) || ${sql.json(kept as postgres.JSONValue)}) - ${removed}::text[],
        updated_at = now()
    where id = ${userId}`;
}

const iso = (value: Date | null | undefined) => (value ? value.toISOString() : undefined);

function identityJson(row: IdentityRow) {
  return {
    identity_id: row.id,
    id: row.provider_id,
    user_id: row.user_id,
    identity_data: row.identity_data,
    provider: row.provider,
    last_sign_in_at: iso(row.last_sign_in_at),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    email: row.email ?? undefined,
  };
}

/** The user object of GoTrue's answers (models.User's JSON). */
export async function userJson(sql: Sql, user: UserRow) {
  const identities = await sql<IdentityRow[]>`select * from auth.identities where user_id = ${user.id} order by created_at`;
  return {
    id: user.id,
    aud: user.aud ?? "",
    role: user.role ?? "",
    email: user.email ?? "",
    email_confirmed_at: iso(user.email_confirmed_at),
    invited_at: iso(user.invited_at),
    phone: user.phone ?? "",
    phone_confirmed_at: iso(user.phone_confirmed_at),
    confirmation_sent_at: iso(user.confirmation_sent_at),
    confirmed_at: iso(user.confirmed_at),
    recovery_sent_at: iso(user.recovery_sent_at),
    new_email: user.email_change || undefined,
    email_change_sent_at: iso(user.email_change_sent_at),
    last_sign_in_at: iso(user.last_sign_in_at),
    app_metadata: user.raw_app_meta_data ?? {},
    user_metadata: user.raw_user_meta_data ?? {},
    identities: identities.map(identityJson),
    created_at: iso(user.created_at),
    updated_at: iso(user.updated_at),
    banned_until: iso(user.banned_until),
    deleted_at: iso(user.deleted_at),
    is_anonymous: user.is_anonymous,
  };
}
