import http from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  buildCalcomWebhook,
  createCalcomFake,
  DEFAULT_CAL_USER,
  signCalcomPayload,
  type CalBooking,
} from "../../fakes/calcom.ts";
import { listenOnFreePort } from "../../fakes/lib/common.ts";

const clientId = "cal-client";
const clientSecret = "cal-secret";
const webhookSecret = "cal-webhook-secret";
const redirectUri = "http://app.local/calcom/callback";
const fake = createCalcomFake({ clientId, clientSecret, webhookSecret });
let base: string;

// A subscriber standing in for our webhook endpoint: it keeps what it receives.
type Received = { headers: http.IncomingHttpHeaders; raw: string };
const received: Received[] = [];
let waiting: ((r: Received) => void) | undefined;
const subscriber = http.createServer(async (req, res) => {
  let raw = "";
  for await (const chunk of req) raw += chunk;
  const r = { headers: req.headers, raw };
  received.push(r);
  waiting?.(r);
  res.writeHead(200).end("ok");
});
let subscriberUrl: string;

function nextWebhook(): Promise<Received> {
  return new Promise((resolve) => (waiting = resolve));
}

async function call(method: string, path: string, opts: { token?: string; version?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.version) headers["cal-api-version"] = opts.version;
  const res = await fetch(base + path, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function authorize(params: Record<string, string>): Promise<{ status: number; location: URL | null; body: string }> {
  const res = await fetch(`${base}/auth/oauth2/authorize?${new URLSearchParams(params)}`, { redirect: "manual" });
  const location = res.headers.get("location");
  return { status: res.status, location: location ? new URL(location) : null, body: await res.text() };
}

async function connect(): Promise<{ access_token: string; refresh_token: string }> {
  const { location } = await authorize({ client_id: clientId, redirect_uri: redirectUri, state: "s1", scope: "BOOKING_READ BOOKING_WRITE PROFILE_READ" });
  const { body } = await call("POST", "/v2/auth/oauth2/token", {
    body: { client_id: clientId, client_secret: clientSecret, grant_type: "authorization_code", code: location!.searchParams.get("code"), redirect_uri: redirectUri },
  });
  return body;
}

/** A Monday at least a week ahead, as YYYY-MM-DD, so its slots are all in the future. */
function mondayAhead(): string {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + 7 + ((8 - d.getUTCDay()) % 7));
  return d.toISOString().slice(0, 10);
}

const V_BOOKINGS = "2024-08-13";
const V_SLOTS = "2024-09-04";

async function slotsOn(token: string, date: string, timeZone = "America/New_York") {
  const q = new URLSearchParams({ start: date, end: date, eventTypeId: "501", timeZone });
  return call("GET", `/v2/slots?${q}`, { token, version: V_SLOTS });
}

async function book(token: string, start: string, attendee: Record<string, unknown> = { name: "Pat Caller", timeZone: "America/New_York", phoneNumber: "+15551234567" }) {
  return call("POST", "/v2/bookings", {
    token,
    version: V_BOOKINGS,
    body: { start, eventTypeId: 501, attendee, location: { type: "attendeePhone", phone: "+15551234567" }, metadata: { callId: "call_1" } },
  });
}

beforeAll(async () => {
  base = await listenOnFreePort(fake.server);
  subscriberUrl = await listenOnFreePort(subscriber);
});
afterAll(() => {
  fake.server.close();
  subscriber.close();
});
beforeEach(async () => {
  await call("POST", "/__control/reset");
  received.length = 0;
});

describe("Cal.com fake: OAuth", () => {
  it("redirects back with a code and the state, and exchanges the code once", async () => {
    const { status, location } = await authorize({ client_id: clientId, redirect_uri: redirectUri, state: "xyz", scope: "BOOKING_READ,PROFILE_READ" });
    expect(status).toBe(302);
    expect(location!.origin + location!.pathname).toBe(redirectUri);
    expect(location!.searchParams.get("state")).toBe("xyz");
    const code = location!.searchParams.get("code")!;

    // Form encoding is accepted as well as JSON.
    const form = new URLSearchParams({ client_id: clientId, client_secret: clientSecret, grant_type: "authorization_code", code, redirect_uri: redirectUri });
    const res = await fetch(`${base}/v2/auth/oauth2/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form });
    expect(res.status).toBe(200);
    const tokens = (await res.json()) as any;
    expect(tokens).toMatchObject({ token_type: "bearer", expires_in: 1800, scope: "BOOKING_READ PROFILE_READ" });
    expect(tokens.access_token).toBeTruthy();
    expect(tokens.refresh_token).toBeTruthy();

    const again = await call("POST", "/v2/auth/oauth2/token", { body: Object.fromEntries(form) });
    expect(again).toEqual({ status: 400, body: { error: "invalid_grant", error_description: "code_invalid_or_expired" } });
  });

  it("does not redirect for an unknown client, and redirects with an error for unknown scopes", async () => {
    const unknown = await authorize({ client_id: "nope", redirect_uri: redirectUri, state: "s", scope: "BOOKING_READ" });
    expect(unknown.status).toBe(400);
    expect(unknown.location).toBeNull();
    expect(JSON.parse(unknown.body)).toEqual({ error: "invalid_client", error_description: "client_not_found" });

    const badScope = await authorize({ client_id: clientId, redirect_uri: redirectUri, state: "s", scope: "EVERYTHING" });
    expect(badScope.status).toBe(302);
    expect(badScope.location!.searchParams.get("error")).toBe("invalid_request");
    expect(badScope.location!.searchParams.get("state")).toBe("s");
    expect(badScope.location!.searchParams.has("code")).toBe(false);
  });

  it("rejects bad client credentials and a redirect_uri that differs from the authorization's", async () => {
    const { location } = await authorize({ client_id: clientId, redirect_uri: redirectUri, scope: "BOOKING_READ" });
    const code = location!.searchParams.get("code");
    const wrongSecret = await call("POST", "/v2/auth/oauth2/token", {
      body: { client_id: clientId, client_secret: "wrong", grant_type: "authorization_code", code, redirect_uri: redirectUri },
    });
    expect(wrongSecret).toEqual({ status: 401, body: { error: "invalid_client", error_description: "invalid_client_credentials" } });
    const wrongRedirect = await call("POST", "/v2/auth/oauth2/token", {
      body: { client_id: clientId, client_secret: clientSecret, grant_type: "authorization_code", code, redirect_uri: "http://evil.local/cb" },
    });
    expect(wrongRedirect.status).toBe(400);
    expect(wrongRedirect.body.error).toBe("invalid_grant");
  });

  it("answers 401 for expired tokens and rotates refresh tokens", async () => {
    const first = await connect();
    expect((await call("GET", "/v2/me", { token: first.access_token })).status).toBe(200);

    await call("POST", "/__control/expire-tokens");
    const expired = await call("GET", "/v2/me", { token: first.access_token });
    expect(expired.status).toBe(401);
    expect(expired.body).toMatchObject({ status: "error", path: "/v2/me", error: { code: "UnauthorizedException" } });

    const refresh = { client_id: clientId, client_secret: clientSecret, grant_type: "refresh_token", refresh_token: first.refresh_token };
    const second = await call("POST", "/v2/auth/oauth2/token", { body: refresh });
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.refresh_token);
    expect((await call("GET", "/v2/me", { token: second.body.access_token })).status).toBe(200);

    const reused = await call("POST", "/v2/auth/oauth2/token", { body: refresh });
    expect(reused).toEqual({ status: 400, body: { error: "invalid_grant", error_description: "invalid_refresh_token" } });
  });

  it("revoking a token ends the whole grant", async () => {
    const tokens = await connect();
    const revoked = await call("POST", "/v2/auth/oauth2/revoke", { body: { client_id: clientId, client_secret: clientSecret, token: tokens.refresh_token } });
    expect(revoked.status).toBe(200);
    expect((await call("GET", "/v2/me", { token: tokens.access_token })).status).toBe(401);
  });
});

describe("Cal.com fake: API v2", () => {
  it("returns the signed-in user, which the control API can change", async () => {
    const { access_token } = await connect();
    expect((await call("GET", "/v2/me")).status).toBe(401);
    const me = await call("GET", "/v2/me", { token: access_token });
    expect(me.body.status).toBe("success");
    expect(me.body.data).toMatchObject({ id: 1001, username: "demo-hvac", email: "owner@example.com", timeZone: "America/New_York" });

    await call("POST", "/__control/user", { body: { id: 2002, timeZone: "Europe/Rome" } });
    expect((await call("GET", "/v2/me", { token: access_token })).body.data).toMatchObject({ id: 2002, timeZone: "Europe/Rome" });
  });

  it("lists event types", async () => {
    const { access_token } = await connect();
    const { status, body } = await call("GET", "/v2/event-types", { token: access_token, version: "2024-06-14" });
    expect(status).toBe(200);
    expect(body.data[0]).toMatchObject({ id: 501, slug: "service-call", lengthInMinutes: 60 });
  });

  it("offers hourly weekday slots from 9:00 to 17:00 in the user's time zone", async () => {
    const { access_token } = await connect();
    const monday = mondayAhead();
    const { status, body } = await slotsOn(access_token, monday);
    expect(status).toBe(200);
    const starts: string[] = body.data[monday].map((s: { start: string }) => s.start);
    expect(starts).toHaveLength(8);
    expect(starts[0]).toMatch(new RegExp(`^${monday}T09:00:00\\.000-0[45]:00$`));
    expect(starts[7]).toMatch(/T16:00:00\.000-0[45]:00$/);

    const inUtc = await slotsOn(access_token, monday, "UTC");
    expect(inUtc.body.data[monday][0].start).toMatch(/T1[34]:00:00\.000\+00:00$/);

    const saturday = new Date(Date.parse(monday) - 2 * 24 * 3600_000).toISOString().slice(0, 10);
    expect((await slotsOn(access_token, saturday)).body.data).toEqual({});

    const noVersion = await call("GET", `/v2/slots?start=${monday}&end=${monday}&eventTypeId=501`, { token: access_token });
    expect(noVersion.status).toBe(400);
  });

  it("books, refuses a taken slot, reschedules and cancels", async () => {
    const { access_token: token } = await connect();
    const monday = mondayAhead();
    const nine = new Date((await slotsOn(token, monday)).body.data[monday][0].start).toISOString();

    const created = await book(token, nine);
    expect(created.status).toBe(201);
    const booking: CalBooking = created.body.data;
    expect(booking).toMatchObject({ status: "accepted", start: nine, duration: 60, eventTypeId: 501, eventType: { id: 501, slug: "service-call" } });
    expect(booking.location).toBe("+15551234567");
    expect(booking.metadata).toEqual({ callId: "call_1" });
    expect(booking.attendees[0]).toMatchObject({ name: "Pat Caller", phoneNumber: "+15551234567", email: "15551234567@sms.cal.com" });
    expect(booking.hosts[0].id).toBe(1001);

    const slotsAfter = (await slotsOn(token, monday)).body.data[monday];
    expect(slotsAfter).toHaveLength(7);

    const clash = await book(token, nine, { name: "Other", timeZone: "UTC", email: "other@example.com" });
    expect(clash.status).toBe(400);
    expect(clash.body.error).toEqual({ code: "BadRequestException", message: "User either already has booking at this time or is not available" });

    expect((await call("GET", `/v2/bookings/${booking.uid}`, { token, version: "2026-02-25" })).body.data.uid).toBe(booking.uid);

    const ten = new Date(Date.parse(nine) + 3600_000).toISOString();
    const moved = await call("POST", `/v2/bookings/${booking.uid}/reschedule`, { token, version: V_BOOKINGS, body: { start: ten, reschedulingReason: "Customer asked" } });
    expect(moved.status).toBe(201);
    expect(moved.body.data).toMatchObject({ start: ten, rescheduledFromUid: booking.uid, status: "accepted", metadata: { callId: "call_1" } });
    expect(moved.body.data.uid).not.toBe(booking.uid);
    const old = (await call("GET", `/v2/bookings/${booking.uid}`, { token, version: V_BOOKINGS })).body.data;
    expect(old.status).toBe("cancelled");
    // The old time is free again.
    expect((await book(token, nine, { name: "Sam", timeZone: "UTC", email: "sam@example.com" })).status).toBe(201);

    const cancelled = await call("POST", `/v2/bookings/${moved.body.data.uid}/cancel`, { token, version: V_BOOKINGS, body: { cancellationReason: "No longer needed" } });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.data).toMatchObject({ status: "cancelled", cancellationReason: "No longer needed" });

    expect((await call("GET", "/v2/bookings/missing", { token, version: V_BOOKINGS })).body.error.code).toBe("NotFoundException");
  });

  it("validates booking bodies and the API version", async () => {
    const { access_token: token } = await connect();
    const start = new Date((await slotsOn(token, mondayAhead())).body.data[mondayAhead()][0].start).toISOString();
    const noName = await book(token, start, { timeZone: "UTC", email: "a@example.com" });
    expect(noName.status).toBe(400);
    expect(noName.body.error.message).toMatch(/attendee\.name/);
    const noContact = await book(token, start, { name: "A", timeZone: "UTC" });
    expect(noContact.status).toBe(400);
    expect(noContact.body.error.message).toMatch(/email or attendee\.phoneNumber/);
    const weekend = await book(token, new Date(Date.parse(start) - 2 * 24 * 3600_000).toISOString());
    expect(weekend.status).toBe(400);
    const oldVersion = await call("POST", "/v2/bookings", { token, version: "2024-04-15", body: {} });
    expect(oldVersion.status).toBe(400);
    expect(oldVersion.body.error.message).toMatch(/cal-api-version/);
  });

  it("answers an injected fault in Cal.com's error shape", async () => {
    const { access_token: token } = await connect();
    await call("POST", "/__control/faults", { body: { failNext: 1, failStatus: 503 } });
    const failed = await call("GET", "/v2/me", { token });
    expect(failed.status).toBe(503);
    expect(failed.body.status).toBe("error");
    expect((await call("GET", "/v2/me", { token })).status).toBe(200);
  });
});

describe("Cal.com fake: webhooks", () => {
  it("delivers signed BOOKING_CREATED, _RESCHEDULED and _CANCELLED to the subscriber", async () => {
    const { access_token: token } = await connect();
    await call("POST", "/__control/webhook", { body: { url: `${subscriberUrl}/hooks/calcom` } });
    const monday = mondayAhead();
    const nine = new Date((await slotsOn(token, monday)).body.data[monday][0].start).toISOString();

    const createdHook = nextWebhook();
    const booking: CalBooking = (await book(token, nine)).body.data;
    const created = await createdHook;
    expect(created.headers["x-cal-signature-256"]).toBe(signCalcomPayload(created.raw, webhookSecret));
    expect(created.headers["x-cal-webhook-version"]).toBe("2021-10-20");
    const body = JSON.parse(created.raw);
    expect(body.triggerEvent).toBe("BOOKING_CREATED");
    expect(body.payload).toMatchObject({
      uid: booking.uid,
      bookingId: booking.id,
      eventTypeId: 501,
      type: "service-call",
      startTime: nine,
      status: "ACCEPTED",
      organizer: { id: 1001, email: "owner@example.com", username: "demo-hvac", timeZone: "America/New_York" },
      metadata: { callId: "call_1" },
    });
    expect(body.payload.attendees[0]).toMatchObject({ name: "Pat Caller", phoneNumber: "+15551234567" });

    const rescheduledHook = nextWebhook();
    const ten = new Date(Date.parse(nine) + 3600_000).toISOString();
    const moved = (await call("POST", `/v2/bookings/${booking.uid}/reschedule`, { token, version: V_BOOKINGS, body: { start: ten } })).body.data;
    const rescheduled = JSON.parse((await rescheduledHook).raw);
    expect(rescheduled.triggerEvent).toBe("BOOKING_RESCHEDULED");
    expect(rescheduled.payload).toMatchObject({ uid: moved.uid, rescheduleUid: booking.uid, startTime: ten });

    const cancelledHook = nextWebhook();
    await call("POST", `/v2/bookings/${moved.uid}/cancel`, { token, version: V_BOOKINGS, body: { cancellationReason: "Fixed itself" } });
    const cancelled = JSON.parse((await cancelledHook).raw);
    expect(cancelled.triggerEvent).toBe("BOOKING_CANCELLED");
    expect(cancelled.payload).toMatchObject({ uid: moved.uid, status: "CANCELLED", cancellationReason: "Fixed itself" });

    // The fake records a delivery once the subscriber's answer is in, just after we saw the request.
    await vi.waitFor(async () => {
      const deliveries = (await (await fetch(`${base}/__control/deliveries`)).json()) as any[];
      expect(deliveries.map((d) => [d.triggerEvent, d.status])).toEqual([
        ["BOOKING_CREATED", 200],
        ["BOOKING_RESCHEDULED", 200],
        ["BOOKING_CANCELLED", 200],
      ]);
    });
  });

  it("builds and signs webhooks for any organizer", () => {
    const booking = {
      id: 7, uid: "uid-7", title: "Visit", description: "", status: "accepted", start: "2030-01-07T14:00:00.000Z",
      end: "2030-01-07T15:00:00.000Z", duration: 60, eventTypeId: 9, eventType: { id: 9, slug: "visit" }, hosts: [],
      attendees: [{ name: "A", email: "a@example.com", displayEmail: "a@example.com", timeZone: "UTC", language: "en", absent: false }],
      guests: [], location: null, metadata: {}, bookingFieldsResponses: {}, absentHost: false,
      createdAt: "2030-01-01T00:00:00.000Z", updatedAt: "2030-01-01T00:00:00.000Z",
    } satisfies CalBooking;
    const organizer = { ...DEFAULT_CAL_USER, id: 4242, email: "other@example.com" };
    const hook = buildCalcomWebhook("BOOKING_CREATED", booking, organizer);
    expect(hook.payload.organizer).toMatchObject({ id: 4242, email: "other@example.com" });
    const raw = JSON.stringify(hook);
    expect(signCalcomPayload(raw, "s")).toMatch(/^[0-9a-f]{64}$/);
    expect(signCalcomPayload(raw, "s")).not.toBe(signCalcomPayload(raw.replace("uid-7", "uid-8"), "s"));
  });
});
