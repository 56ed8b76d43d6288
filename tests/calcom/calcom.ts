// What the Cal.com suites share: the fake Cal.com's control API (one configurable signed-in user,
// restored to its default after each suite), connecting a user through the real OAuth round trip,
// signed Cal.com webhooks, and opening sealed tokens the way the functions seal them.
import { createCipheriv, createDecipheriv, createHash, randomBytes, randomInt, randomUUID } from "node:crypto";
import { afterAll, expect } from "vitest";
import { fakeUrl } from "../../stack/config.ts";
import { functionEnv } from "../../stack/functions.ts";
import {
  buildCalcomWebhook,
  DEFAULT_CAL_USER,
  signCalcomPayload,
  type CalBooking,
  type CalTrigger,
  type CalUser,
} from "../../fakes/calcom.ts";
import { callFunction, FUNCTIONS_URL, sql, type TestUser } from "../helpers/stack.ts";

export const CALCOM = fakeUrl("calcom");
export const env = functionEnv();
export const EVENT_TYPE_ID = 501;

export async function fakeCalcom(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (path.startsWith("/v2/bookings")) headers["cal-api-version"] = "2024-08-13";
  if (path.startsWith("/v2/slots")) headers["cal-api-version"] = "2024-09-04";
  const response = await fetch(`${CALCOM}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** A Cal.com user no other test uses: its id, username and email are all unique. */
export function uniqueCalUser(overrides: Partial<CalUser> = {}): CalUser {
  const tag = randomUUID().slice(0, 8);
  return {
    ...DEFAULT_CAL_USER,
    id: randomInt(100_000, 2_000_000_000),
    username: `owner-${tag}`,
    email: `owner-${tag}@calcom.test`,
    name: `Owner ${tag}`,
    ...overrides,
  };
}

/** Makes `user` the fake's signed-in Cal.com user. */
export async function signInAtCalcom(user: CalUser): Promise<void> {
  expect((await fakeCalcom("POST", "/__control/user", user)).status).toBe(200);
}

/** Puts the fake back as other suites expect it: the default user, nobody subscribed to webhooks, no faults. */
export function restoreCalcomFakeAfterAll(): void {
  afterAll(async () => {
    await fakeCalcom("POST", "/__control/user", DEFAULT_CAL_USER);
    await fakeCalcom("POST", "/__control/webhook", { url: null });
    await fakeCalcom("POST", "/__control/faults", {});
  });
}

/** The consent URL our function hands the frontend, for `user`. */
export async function authorizeUrl(user: TestUser): Promise<URL> {
  const { status, body } = await callFunction("calcom-oauth/authorize-url", { token: user.accessToken });
  expect(status, JSON.stringify(body)).toBe(200);
  return new URL(body.url);
}

/** Follows the consent page (the fake approves at once) and answers where it sends the browser: our callback. */
export async function consent(url: URL): Promise<URL> {
  const response = await fetch(url, { redirect: "manual" });
  expect(response.status).toBe(302);
  return new URL(response.headers.get("location")!);
}

export async function openCallback(callback: URL): Promise<{ status: number; location: URL | null; body: any }> {
  const response = await fetch(callback, { redirect: "manual" });
  const location = response.headers.get("location");
  const text = await response.text();
  return { status: response.status, location: location ? new URL(location) : null, body: text ? JSON.parse(text) : undefined };
}

/** Connects `user` to the fake's current Cal.com user through the whole OAuth round trip. */
export async function connectCalcom(user: TestUser): Promise<void> {
  const back = await openCallback(await consent(await authorizeUrl(user)));
  expect(back.status, JSON.stringify(back.body)).toBe(302);
  expect(back.location?.searchParams.get("calcom")).toBe("connected");
}

export type StoredConnection = {
  id: string;
  status: string;
  external_user_id: string;
  access_token_encrypted: string;
  refresh_token_encrypted: string;
  token_key_id: string;
  token_expires_at: Date;
};

export async function storedConnection(userId: string): Promise<StoredConnection | undefined> {
  const [row] = await sql<StoredConnection[]>`
    select id, status, external_user_id, access_token_encrypted, refresh_token_encrypted, token_key_id, token_expires_at
    from public.integrations where user_id = ${userId} and provider = 'calcom'`;
  return row;
}

/** The id our functions give a key: `k_` and the first 12 hex digits of its SHA-256. */
export function keyIdOf(base64Key: string): string {
  return "k_" + createHash("sha256").update(Buffer.from(base64Key, "base64")).digest("hex").slice(0, 12);
}

/** Opens a value sealed by functions/_shared/token-crypto.ts (AES-256-GCM, context as additional data). */
export function openSealed(sealed: string, base64Key: string, context: string): string {
  const [format, iv, payload] = sealed.split(".");
  expect(format).toBe("v1");
  const bytes = Buffer.from(payload, "base64url");
  const decipher = createDecipheriv("aes-256-gcm", Buffer.from(base64Key, "base64"), Buffer.from(iv, "base64url"));
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString("utf8");
}

/** Seals like functions/_shared/token-crypto.ts, with any key (e.g. a retired one). */
export function sealWith(plaintext: string, base64Key: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", Buffer.from(base64Key, "base64"), iv);
  cipher.setAAD(Buffer.from(context));
  const sealed = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return `v1.${iv.toString("base64url")}.${sealed.toString("base64url")}`;
}

/** The access token the functions hold for `userId`, opened with the configured key. */
export async function accessTokenOf(userId: string): Promise<string> {
  const stored = (await storedConnection(userId))!;
  return openSealed(stored.access_token_encrypted, env.CALCOM_ENCRYPTION_KEY, `calcom:${userId}:access_token`);
}

/** Requests the fake served since `since` (ISO), optionally only those on `path`. */
export async function calcomRequestsSince(since: string, path?: string): Promise<any[]> {
  const { body } = await fakeCalcom("GET", "/__control/requests");
  return (body as any[]).filter((r) => r.at >= since && (!path || r.path === path));
}

/** A weekday at least a week ahead and at most ~3 years out, as YYYY-MM-DD, so tests rarely share slots. */
export function farWeekday(): string {
  const day = new Date(Date.now() + randomInt(8, 1000) * 86_400_000);
  while (day.getUTCDay() === 0 || day.getUTCDay() === 6) day.setUTCDate(day.getUTCDate() + 1);
  return day.toISOString().slice(0, 10);
}

/**
 * A far weekday that starts a week without any booking at the fake, for tests that expect a day's
 * first slots (or the next open days after it): every suite books on the same fake Cal.com
 * account, and a random day can collide.
 */
export async function freeFarWeekday(): Promise<string> {
  const booked = new Set<string>((await fakeCalcom("GET", "/__control/booked-days")).body);
  const week = (date: string) =>
    Array.from({ length: 7 }, (_, i) => new Date(Date.parse(`${date}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10));
  for (;;) {
    const date = farWeekday();
    if (week(date).every((day) => !booked.has(day))) return date;
  }
}

/** A booking at the fake with a connected user's token, on a free slot of `date` (organizer time zone). */
export async function bookAtCalcom(token: string, date: string, attendee = { name: "Pat Caller", phoneNumber: "+15551230000" }): Promise<CalBooking> {
  const slots = await fakeCalcom("GET", `/v2/slots?${new URLSearchParams({ start: date, end: date, eventTypeId: String(EVENT_TYPE_ID), timeZone: "America/New_York" })}`, undefined, token);
  expect(slots.status).toBe(200);
  const free = Object.values(slots.body.data as Record<string, { start: string }[]>).flat();
  expect(free.length).toBeGreaterThan(0);
  const created = await fakeCalcom("POST", "/v2/bookings", {
    start: new Date(free[randomInt(0, free.length)].start).toISOString(),
    eventTypeId: EVENT_TYPE_ID,
    attendee: { ...attendee, timeZone: "America/New_York" },
  }, token);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.data;
}

/** A booking in the API's shape, for webhooks built without going through the fake. */
export function calBooking(organizer: CalUser, overrides: Partial<CalBooking> = {}): CalBooking {
  const start = new Date(`${farWeekday()}T15:00:00.000Z`);
  const now = new Date().toISOString();
  return {
    id: randomInt(1_000_000, 2_000_000_000),
    uid: `uid_${randomUUID().replaceAll("-", "")}`,
    title: `Service call between ${organizer.name} and Pat Caller`,
    description: "",
    status: "accepted",
    start: start.toISOString(),
    end: new Date(start.getTime() + 3_600_000).toISOString(),
    duration: 60,
    eventTypeId: EVENT_TYPE_ID,
    eventType: { id: EVENT_TYPE_ID, slug: "service-call" },
    hosts: [{ id: organizer.id, name: organizer.name, email: organizer.email, username: organizer.username, timeZone: organizer.timeZone }],
    attendees: [{ name: "Pat Caller", email: "pat@example.com", displayEmail: "pat@example.com", phoneNumber: "+15551239876", timeZone: "America/New_York", language: "en", absent: false }],
    guests: [],
    location: "+15551239876",
    metadata: {},
    bookingFieldsResponses: {},
    absentHost: false,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

/** A signed Cal.com webhook as the fake (and Cal.com) sends it; `createdAt` can be set for ordering tests. */
export function signedWebhook(trigger: CalTrigger, booking: CalBooking, organizer: CalUser, createdAt?: string) {
  const body = buildCalcomWebhook(trigger, booking, organizer);
  if (createdAt) body.createdAt = createdAt;
  const raw = JSON.stringify(body);
  return { raw, signature: signCalcomPayload(raw, env.CALCOM_WEBHOOK_SECRET) };
}

export async function deliverWebhook(raw: string, signature?: string) {
  return callFunction("calcom-webhook", { rawBody: raw, headers: signature === undefined ? {} : { "x-cal-signature-256": signature } });
}

export const CALCOM_WEBHOOK_URL = `${FUNCTIONS_URL}/calcom-webhook`;
