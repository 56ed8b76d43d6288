// Local fake of Cal.com for one OAuth client and one signed-in Cal.com user: the OAuth
// authorization-code flow, API v2 (me, event types, slots, bookings) and signed booking webhooks.
// Shapes follow shared/contracts.md section 3 and the cal.com repository (apps/api/v2, platform
// types 2024-08-13). The user works 9:00-17:00 on weekdays in their own time zone.
import type http from "node:http";
import { createHmac } from "node:crypto";
import { addControlRoutes, createServer, json, newFaults, type Reply, type Request } from "./lib/http.ts";
import { bearerToken, deliverWebhook, LoggingRouter, randomId, type Delivery } from "./lib/common.ts";

export const CAL_WEBHOOK_VERSION = "2021-10-20";
export const ACCESS_TOKEN_TTL_SECONDS = 1800;
const CODE_TTL_MS = 10 * 60_000; // Cal.com's code lifetime is not documented; ten minutes is common.

const BOOKING_VERSIONS = ["2024-08-13", "2026-02-25"];
const SLOTS_VERSIONS = ["2024-09-04"];
const EVENT_TYPE_VERSIONS = ["2024-06-14"];

const KNOWN_SCOPES = new Set([
  "EVENT_TYPE_READ", "EVENT_TYPE_WRITE", "BOOKING_READ", "BOOKING_WRITE", "SCHEDULE_READ", "SCHEDULE_WRITE",
  "APPS_READ", "APPS_WRITE", "PROFILE_READ", "PROFILE_WRITE",
]);

const OPENING_MINUTE = 9 * 60;
const CLOSING_MINUTE = 17 * 60;
const SLOT_STEP_MINUTES = 60;
const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

export type CalUser = {
  id: number;
  username: string;
  email: string;
  name: string;
  timeZone: string;
  weekStart: string;
  timeFormat: number;
};

export const DEFAULT_CAL_USER: CalUser = {
  id: 1001,
  username: "demo-hvac",
  email: "owner@example.com",
  name: "Demo HVAC",
  timeZone: "America/New_York",
  weekStart: "Sunday",
  timeFormat: 12,
};

export const CAL_EVENT_TYPES = [
  { id: 501, title: "Service call", slug: "service-call", description: "On-site visit", lengthInMinutes: 60 },
];

type CalAttendee = {
  name: string;
  email: string;
  displayEmail: string;
  phoneNumber?: string;
  timeZone: string;
  language: string;
  absent: boolean;
};

/** A booking in the API v2 (2024-08-13) output shape. */
export type CalBooking = {
  id: number;
  uid: string;
  title: string;
  description: string;
  status: "accepted" | "pending" | "cancelled" | "rejected";
  start: string;
  end: string;
  duration: number;
  eventTypeId: number;
  eventType: { id: number; slug: string };
  hosts: { id: number; name: string; email: string; username: string; timeZone: string }[];
  attendees: CalAttendee[];
  guests: string[];
  location: string | null;
  metadata: Record<string, string>;
  bookingFieldsResponses: Record<string, unknown>;
  absentHost: boolean;
  createdAt: string;
  updatedAt: string;
  rescheduledFromUid?: string;
  rescheduledToUid?: string;
  reschedulingReason?: string;
  cancellationReason?: string;
};

export type CalTrigger = "BOOKING_CREATED" | "BOOKING_RESCHEDULED" | "BOOKING_CANCELLED";

export type CalWebhookDelivery = Delivery & { triggerEvent: CalTrigger; uid: string; url: string; at: string };

/** The body Cal.com POSTs to a webhook subscriber for a booking event. */
export function buildCalcomWebhook(trigger: CalTrigger, booking: CalBooking, organizer: CalUser) {
  const [attendee] = booking.attendees;
  return {
    triggerEvent: trigger,
    createdAt: new Date().toISOString(),
    payload: {
      type: booking.eventType.slug,
      title: booking.title,
      description: booking.description,
      startTime: booking.start,
      endTime: booking.end,
      length: booking.duration,
      organizer: {
        id: organizer.id,
        name: organizer.name,
        email: organizer.email,
        username: organizer.username,
        timeZone: organizer.timeZone,
        language: { locale: "en" },
        timeFormat: organizer.timeFormat === 24 ? "HH:mm" : "h:mma",
      },
      attendees: booking.attendees.map((a) => ({
        name: a.name,
        email: a.email,
        timeZone: a.timeZone,
        phoneNumber: a.phoneNumber ?? null,
        language: { locale: a.language },
      })),
      uid: booking.uid,
      bookingId: booking.id,
      eventTypeId: booking.eventTypeId,
      location: booking.location,
      // Webhooks carry Cal.com's database enum, upper case, unlike the API's lower case.
      status: booking.status.toUpperCase(),
      metadata: booking.metadata,
      responses: {
        name: { label: "your_name", value: attendee.name },
        email: { label: "email_address", value: attendee.email },
        ...(attendee.phoneNumber && { attendeePhoneNumber: { label: "phone_number", value: attendee.phoneNumber } }),
      },
      ...(trigger === "BOOKING_RESCHEDULED" && { rescheduleUid: booking.rescheduledFromUid ?? null }),
      ...(trigger === "BOOKING_CANCELLED" && { cancellationReason: booking.cancellationReason ?? null }),
    },
  };
}

/** `X-Cal-Signature-256`: hex HMAC-SHA256 of the raw body, no prefix. */
export function signCalcomPayload(raw: string, secret: string): string {
  return createHmac("sha256", secret).update(raw).digest("hex");
}

const EXCEPTION_NAMES: Record<number, string> = {
  400: "BadRequestException",
  401: "UnauthorizedException",
  403: "ForbiddenException",
  404: "NotFoundException",
  409: "ConflictException",
  429: "ThrottlerException",
};

/** Cal.com API v2's error body (its NestJS HttpExceptionFilter): the exception class names the error. */
function errorBody(status: number, message: string, path?: string) {
  const code = EXCEPTION_NAMES[status] ?? "InternalServerErrorException";
  return { status: "error", timestamp: new Date().toISOString(), ...(path && { path }), error: { code, message } };
}

const calError = (status: number, message: string, req: Request): Reply => json(status, errorBody(status, message, req.path));
const success = (status: number, data: unknown): Reply => json(status, { status: "success", data });
/** OAuth endpoints answer in RFC 6749's shape, not the API's envelope. */
const oauthError = (status: number, error: string, description: string): Reply =>
  json(status, { error, error_description: description });

function isTimeZone(timeZone: unknown): timeZone is string {
  if (typeof timeZone !== "string") return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** Minutes east of UTC that `timeZone` observes at `instant`. */
function utcOffsetMinutes(timeZone: string, instant: number): number {
  const name = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" })
    .formatToParts(instant)
    .find((part) => part.type === "timeZoneName")!.value;
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name); // plain "GMT" means offset zero
  return match ? (match[1] === "-" ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) : 0;
}

/** The wall clock of `timeZone` at `instant`, as a Date whose UTC fields read that wall clock. */
function wallClock(timeZone: string, instant: number): Date {
  return new Date(instant + utcOffsetMinutes(timeZone, instant) * MINUTE_MS);
}

/** The instant at which `timeZone`'s wall clock shows `minuteOfDay` on the day `wallDate` reads. */
function instantAt(timeZone: string, wallDate: Date, minuteOfDay: number): number {
  const wall = Date.UTC(wallDate.getUTCFullYear(), wallDate.getUTCMonth(), wallDate.getUTCDate()) + minuteOfDay * MINUTE_MS;
  // Correct twice so an offset change (DST) between the guess and the answer is taken into account.
  const guess = wall - utcOffsetMinutes(timeZone, wall) * MINUTE_MS;
  return wall - utcOffsetMinutes(timeZone, guess) * MINUTE_MS;
}

/** ISO 8601 in `timeZone` with its offset, as Cal.com returns slots: `2050-09-05T09:00:00.000-04:00`. */
function isoInZone(timeZone: string, instant: number): string {
  const offset = utcOffsetMinutes(timeZone, instant);
  const pad = (n: number) => String(n).padStart(2, "0");
  const sign = offset < 0 ? "-" : "+";
  const local = wallClock(timeZone, instant).toISOString().slice(0, 23);
  return `${local}${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
}

/** A bare date as `start` means the beginning of that UTC day, as `end` its last second. */
function parseRangeBound(value: string | null, edge: "start" | "end"): number {
  if (value && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    return Date.parse(`${value}T00:00:00Z`) + (edge === "end" ? DAY_MS - 1000 : 0);
  }
  return value ? Date.parse(value) : NaN;
}

/** Cal.com turns the location input object into the string it stores and returns. */
function locationText(location: any): string | null {
  if (typeof location === "string") return location;
  if (!location || typeof location !== "object") return null;
  return location.phone ?? location.address ?? location.link ?? location.integration ?? location.type ?? null;
}

/** The stored attendee for a validated create-booking body. */
function attendeeOf(input: any): CalAttendee {
  // Cal.com gives phone-only attendees a placeholder address built from the number's digits.
  const email: string = input.email ?? `${input.phoneNumber.replace(/\D/g, "")}@sms.cal.com`;
  return {
    name: input.name,
    email,
    displayEmail: email,
    ...(input.phoneNumber && { phoneNumber: input.phoneNumber }),
    timeZone: input.timeZone,
    language: input.language ?? "en",
    absent: false,
  };
}

/** The first problem with a create-booking body, in the spirit of Cal.com's validation messages. */
function bookingInputError(body: any): string | undefined {
  if (!body || typeof body !== "object") return "Request body must be a JSON object";
  if (typeof body.start !== "string" || Number.isNaN(Date.parse(body.start))) return "start must be a valid ISO 8601 date string";
  if (!Number.isInteger(body.eventTypeId)) return "eventTypeId must be an integer number";
  const attendee = body.attendee;
  if (!attendee || typeof attendee !== "object") return "attendee must be an object";
  if (typeof attendee.name !== "string" || attendee.name.trim() === "") return "attendee.name must be a string";
  if (!isTimeZone(attendee.timeZone)) return "attendee.timeZone must be a valid IANA time zone";
  if (attendee.email === undefined && attendee.phoneNumber === undefined) {
    return "attendee.email or attendee.phoneNumber is required";
  }
  if (attendee.email !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(attendee.email)) return "attendee.email must be an email";
  if (attendee.phoneNumber !== undefined && !/^\+[1-9]\d{6,14}$/.test(attendee.phoneNumber)) {
    return "attendee.phoneNumber must be a valid phone number in E.164 format";
  }
  if (body.metadata !== undefined && Object.keys(body.metadata).length > 50) return "metadata can have at most 50 keys";
  return undefined;
}

type AccessToken = { grant: string; expiresAt: number };
type AuthorizationCode = { redirectUri: string; scope: string; expiresAt: number };

export function createCalcomFake(o: { clientId: string; clientSecret: string; webhookSecret: string }) {
  const state = {
    user: { ...DEFAULT_CAL_USER },
    codes: new Map<string, AuthorizationCode>(),
    accessTokens: new Map<string, AccessToken>(),
    /** Refresh tokens by value; each belongs to one grant (one user consent). */
    refreshTokens: new Map<string, { grant: string; scope: string }>(),
    bookings: new Map<string, CalBooking>(),
    nextBookingId: 10001,
    webhookUrl: null as string | null,
    deliveries: [] as CalWebhookDelivery[],
  };
  const faults = newFaults();
  const router = new LoggingRouter();

  function reset() {
    state.user = { ...DEFAULT_CAL_USER };
    state.codes.clear();
    state.accessTokens.clear();
    state.refreshTokens.clear();
    state.bookings.clear();
    state.nextBookingId = 10001;
    state.webhookUrl = null;
    state.deliveries.length = 0;
    router.requests.length = 0;
  }

  function issueTokens(grant: string, scope: string) {
    const accessToken = randomId("cal_at_", 40);
    const refreshToken = randomId("cal_rt_", 40);
    state.accessTokens.set(accessToken, { grant, expiresAt: Date.now() + ACCESS_TOKEN_TTL_SECONDS * 1000 });
    state.refreshTokens.set(refreshToken, { grant, scope });
    return json(200, {
      access_token: accessToken,
      refresh_token: refreshToken,
      token_type: "bearer",
      expires_in: ACCESS_TOKEN_TTL_SECONDS,
      scope,
    }, { "cache-control": "no-store" });
  }

  function revokeGrant(grant: string) {
    for (const [token, t] of state.accessTokens) if (t.grant === grant) state.accessTokens.delete(token);
    for (const [token, t] of state.refreshTokens) if (t.grant === grant) state.refreshTokens.delete(token);
  }

  /**
   * API routes want a live access token and, where Cal.com versions the endpoint, a
   * `cal-api-version` the fake implements. Cal.com serves some of these routes anonymously and
   * falls back to older behaviour without the header; the fake is stricter so that a client
   * forgetting either is caught in tests.
   */
  const api = (versions: string[] | null, handler: (req: Request) => Reply | Promise<Reply>) => (req: Request) => {
    const token = state.accessTokens.get(bearerToken(req.headers) ?? "");
    if (!token) return calError(401, "Invalid Access Token.", req);
    if (token.expiresAt <= Date.now()) return calError(401, "Access Token is expired.", req);
    const version = req.headers["cal-api-version"];
    if (versions && !versions.includes(String(version))) {
      return calError(400, `cal-api-version header must be one of ${versions.join(", ")} (got ${version ?? "none"})`, req);
    }
    return handler(req);
  };

  function eventType(id: number) {
    return CAL_EVENT_TYPES.find((e) => e.id === id);
  }

  /** Whether the user can take a booking of `minutes` at `start`: working hours, future, no overlap. */
  function isFree(start: number, minutes: number, ignoreUid?: string): boolean {
    const end = start + minutes * MINUTE_MS;
    const wall = wallClock(state.user.timeZone, start);
    const weekday = wall.getUTCDay();
    const minuteOfDay = wall.getUTCHours() * 60 + wall.getUTCMinutes();
    if (weekday === 0 || weekday === 6) return false;
    if (minuteOfDay < OPENING_MINUTE || minuteOfDay + minutes > CLOSING_MINUTE) return false;
    if (start <= Date.now()) return false;
    for (const b of state.bookings.values()) {
      if (b.status !== "accepted" || b.uid === ignoreUid) continue;
      if (Date.parse(b.start) < end && start < Date.parse(b.end)) return false;
    }
    return true;
  }

  /** Free slot starts in [from, to], one every SLOT_STEP_MINUTES of each working day. */
  function freeSlots(minutes: number, from: number, to: number): number[] {
    const slots: number[] = [];
    const firstDay = wallClock(state.user.timeZone, from);
    for (let day = firstDay.getTime(); day <= to + DAY_MS; day += DAY_MS) {
      for (let minute = OPENING_MINUTE; minute + minutes <= CLOSING_MINUTE; minute += SLOT_STEP_MINUTES) {
        const start = instantAt(state.user.timeZone, new Date(day), minute);
        if (start >= from && start <= to && isFree(start, minutes)) slots.push(start);
      }
    }
    return slots;
  }

  function notify(trigger: CalTrigger, booking: CalBooking) {
    const url = state.webhookUrl;
    if (!url) return;
    const raw = JSON.stringify(buildCalcomWebhook(trigger, booking, state.user));
    // Cal.com signs with a literal placeholder when the webhook has no secret.
    const signature = o.webhookSecret ? signCalcomPayload(raw, o.webhookSecret) : "no-secret-provided";
    // Not awaited: Cal.com sends webhooks after answering the API call that caused them.
    void deliverWebhook(url, raw, {
      "content-type": "application/json",
      "x-cal-signature-256": signature,
      "x-cal-webhook-version": CAL_WEBHOOK_VERSION,
    }).then((result) => {
      state.deliveries.push({ ...result, triggerEvent: trigger, uid: booking.uid, url, at: new Date().toISOString() });
    });
  }

  function createBooking(
    type: (typeof CAL_EVENT_TYPES)[number],
    start: number,
    input: Pick<CalBooking, "attendees" | "guests" | "location" | "metadata" | "bookingFieldsResponses">,
  ): CalBooking {
    const user = state.user;
    const nowIso = new Date().toISOString();
    const booking: CalBooking = {
      id: state.nextBookingId++,
      uid: randomId("", 22),
      title: `${type.title} between ${user.name} and ${input.attendees[0].name}`,
      description: "",
      status: "accepted",
      start: new Date(start).toISOString(),
      end: new Date(start + type.lengthInMinutes * MINUTE_MS).toISOString(),
      duration: type.lengthInMinutes,
      eventTypeId: type.id,
      eventType: { id: type.id, slug: type.slug },
      hosts: [{ id: user.id, name: user.name, email: user.email, username: user.username, timeZone: user.timeZone }],
      absentHost: false,
      createdAt: nowIso,
      updatedAt: nowIso,
      // Copied, so a rescheduled booking shares no objects with the one it replaces.
      attendees: structuredClone(input.attendees),
      guests: [...input.guests],
      location: input.location,
      metadata: { ...input.metadata },
      bookingFieldsResponses: { ...input.bookingFieldsResponses },
    };
    state.bookings.set(booking.uid, booking);
    return booking;
  }

  const slotTaken = (req: Request) =>
    calError(400, "User either already has booking at this time or is not available", req);
  const bookingNotFound = (req: Request) => calError(404, `Booking with uid=${req.params.uid} not found`, req);

  // --- OAuth -------------------------------------------------------------------------------

  // On app.cal.com this is a consent page; the fake's user always clicks Allow. Errors about the
  // client itself are shown on the page, never sent to an unverified redirect_uri.
  router.on("GET /auth/oauth2/authorize", (req) => {
    const q = Object.fromEntries(req.query);
    if (q.client_id !== o.clientId) return oauthError(400, "invalid_client", "client_not_found");
    if (!q.redirect_uri || !URL.canParse(q.redirect_uri)) return oauthError(400, "invalid_request", "redirect_uri must be a URL");
    if (!q.scope) return oauthError(400, "invalid_request", "scope parameter is required for this OAuth client");
    const redirect = new URL(q.redirect_uri);
    if (q.state !== undefined) redirect.searchParams.set("state", q.state);
    const scopes = q.scope.split(/[\s,]+/).filter(Boolean);
    if (!scopes.every((s) => KNOWN_SCOPES.has(s))) {
      redirect.searchParams.set("error", "invalid_request");
      redirect.searchParams.set("error_description", "Requested scope is not a recognized scope");
    } else {
      const code = randomId("", 32);
      state.codes.set(code, { redirectUri: q.redirect_uri, scope: scopes.join(" "), expiresAt: Date.now() + CODE_TTL_MS });
      redirect.searchParams.set("code", code);
    }
    return json(302, undefined, { location: redirect.toString() });
  });

  router.on("POST /v2/auth/oauth2/token", (req) => {
    const body = req.body ?? {};
    if (!body.client_id) return oauthError(400, "invalid_request", "client_id is required");
    if (body.grant_type !== "authorization_code" && body.grant_type !== "refresh_token") {
      return oauthError(400, "invalid_request", "grant_type must be 'authorization_code' or 'refresh_token'");
    }
    if (body.client_id !== o.clientId) return oauthError(401, "invalid_client", "client_not_found");
    if (body.client_secret !== o.clientSecret) return oauthError(401, "invalid_client", "invalid_client_credentials");

    if (body.grant_type === "authorization_code") {
      const code = state.codes.get(body.code);
      state.codes.delete(body.code); // single use, even when the exchange fails
      if (!code || code.expiresAt <= Date.now()) return oauthError(400, "invalid_grant", "code_invalid_or_expired");
      if (code.redirectUri !== body.redirect_uri) return oauthError(400, "invalid_grant", "redirect_uri_mismatch");
      return issueTokens(randomId("grant_", 16), code.scope);
    }
    const refresh = state.refreshTokens.get(body.refresh_token);
    if (!refresh) return oauthError(400, "invalid_grant", "invalid_refresh_token");
    state.refreshTokens.delete(body.refresh_token); // rotation: a refresh token works once
    return issueTokens(refresh.grant, refresh.scope);
  });

  // Unconfirmed: Cal.com documents no revocation endpoint. This follows RFC 7009 (answer 200
  // whether or not the token was known) and ends the whole grant, so disconnecting can be tested.
  router.on("POST /v2/auth/oauth2/revoke", (req) => {
    const body = req.body ?? {};
    if (body.client_id !== o.clientId || body.client_secret !== o.clientSecret) {
      return oauthError(401, "invalid_client", "invalid_client_credentials");
    }
    const grant = state.accessTokens.get(body.token)?.grant ?? state.refreshTokens.get(body.token)?.grant;
    if (grant) revokeGrant(grant);
    return json(200, {});
  });

  // --- API v2 ------------------------------------------------------------------------------

  router.on(
    "GET /v2/me",
    api(null, () => {
      const { name, ...me } = state.user;
      return success(200, { ...me, defaultScheduleId: null, organizationId: null });
    }),
  );

  router.on(
    "GET /v2/event-types",
    api(EVENT_TYPE_VERSIONS, () =>
      success(200, CAL_EVENT_TYPES.map((e) => ({ ...e, locations: [{ type: "attendeePhone" }], hidden: false, ownerId: state.user.id }))),
    ),
  );

  router.on(
    "GET /v2/slots",
    api(SLOTS_VERSIONS, (req) => {
      const eventTypeId = req.query.get("eventTypeId");
      if (!eventTypeId) return calError(400, "eventTypeId is required", req);
      const type = eventType(Number(eventTypeId));
      if (!type) return calError(404, `Event Type with id=${eventTypeId} not found`, req);
      const from = parseRangeBound(req.query.get("start"), "start");
      const to = parseRangeBound(req.query.get("end"), "end");
      if (Number.isNaN(from) || Number.isNaN(to)) return calError(400, "start and end must be ISO 8601 date strings", req);
      const timeZone = req.query.get("timeZone") ?? "UTC";
      if (!isTimeZone(timeZone)) return calError(400, "timeZone must be a valid IANA time zone", req);
      const withEnd = req.query.get("format") === "range";

      const byDate: Record<string, { start: string; end?: string }[]> = {};
      for (const start of freeSlots(type.lengthInMinutes, from, to)) {
        const iso = isoInZone(timeZone, start);
        const slot = withEnd ? { start: iso, end: isoInZone(timeZone, start + type.lengthInMinutes * MINUTE_MS) } : { start: iso };
        (byDate[iso.slice(0, 10)] ??= []).push(slot);
      }
      return success(200, byDate);
    }),
  );

  router.on(
    "POST /v2/bookings",
    api(BOOKING_VERSIONS, (req) => {
      const problem = bookingInputError(req.body);
      if (problem) return calError(400, problem, req);
      const type = eventType(req.body.eventTypeId);
      if (!type) return calError(404, `Event type with id=${req.body.eventTypeId} not found`, req);
      const start = Date.parse(req.body.start);
      if (!isFree(start, type.lengthInMinutes)) return slotTaken(req);
      const { guests = [], location, metadata = {}, bookingFieldsResponses } = req.body;
      const attendee = attendeeOf(req.body.attendee);
      const booking = createBooking(type, start, {
        attendees: [attendee],
        guests,
        location: locationText(location),
        metadata,
        bookingFieldsResponses: {
          name: attendee.name,
          email: attendee.email,
          ...(attendee.phoneNumber && { attendeePhoneNumber: attendee.phoneNumber }),
          ...bookingFieldsResponses,
        },
      });
      notify("BOOKING_CREATED", booking);
      return success(201, booking);
    }),
  );

  router.on(
    "GET /v2/bookings/:uid",
    api(BOOKING_VERSIONS, (req) => {
      const booking = state.bookings.get(req.params.uid);
      return booking ? success(200, booking) : bookingNotFound(req);
    }),
  );

  // Rescheduling makes a new booking that points back at the old one, which is cancelled.
  router.on(
    "POST /v2/bookings/:uid/reschedule",
    api(BOOKING_VERSIONS, (req) => {
      const old = state.bookings.get(req.params.uid);
      if (!old) return bookingNotFound(req);
      if (old.status === "cancelled") return calError(400, `Can't reschedule booking with uid=${old.uid} because it has been cancelled`, req);
      const start = Date.parse(req.body?.start);
      if (Number.isNaN(start)) return calError(400, "start must be a valid ISO 8601 date string", req);
      if (!isFree(start, old.duration, old.uid)) return slotTaken(req);

      const booking = createBooking(eventType(old.eventTypeId)!, start, old);
      booking.rescheduledFromUid = old.uid;
      if (req.body.reschedulingReason) booking.reschedulingReason = req.body.reschedulingReason;
      old.status = "cancelled";
      old.rescheduledToUid = booking.uid;
      old.updatedAt = booking.createdAt;
      notify("BOOKING_RESCHEDULED", booking);
      return success(201, booking);
    }),
  );

  router.on(
    "POST /v2/bookings/:uid/cancel",
    api(BOOKING_VERSIONS, (req) => {
      const booking = state.bookings.get(req.params.uid);
      if (!booking) return bookingNotFound(req);
      if (booking.status === "cancelled") return calError(400, "This booking has already been cancelled.", req);
      booking.status = "cancelled";
      if (req.body?.cancellationReason) booking.cancellationReason = req.body.cancellationReason;
      booking.updatedAt = new Date().toISOString();
      notify("BOOKING_CANCELLED", booking);
      return success(200, booking);
    }),
  );

  // --- Control -----------------------------------------------------------------------------

  router.on("POST /__control/user", (req) => {
    Object.assign(state.user, req.body ?? {});
    return json(200, state.user);
  });

  // Makes every access token issued so far expired, so a client's refresh path can be tested.
  router.on("POST /__control/expire-tokens", () => {
    for (const token of state.accessTokens.values()) token.expiresAt = Date.now() - 1;
    return json(200, { expired: state.accessTokens.size });
  });

  /** Subscribes `url` (or nobody, with null) to BOOKING_CREATED, _RESCHEDULED and _CANCELLED. */
  router.on("POST /__control/webhook", (req) => {
    state.webhookUrl = req.body?.url ?? null;
    return json(200, { url: state.webhookUrl });
  });

  router.on("GET /__control/deliveries", () => json(200, state.deliveries));

  /** The UTC days that have a live booking, so a test can pick a day whose slots are all free. */
  router.on("GET /__control/booked-days", () =>
    json(200, [...new Set([...state.bookings.values()].filter((b) => b.status !== "cancelled").map((b) => b.start.slice(0, 10)))]),
  );

  addControlRoutes(router, faults, reset);

  const server: http.Server = createServer(router, faults, errorBody);
  return { server, reset, state };
}
