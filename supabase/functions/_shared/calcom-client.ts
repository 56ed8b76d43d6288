// Cal.com API v2 and its OAuth endpoints, as shared/contracts.md section 3 describes them: every
// request has a timeout, sends the `cal-api-version` its endpoint is documented with, and fails
// with a CalcomError whose kind a caller can branch on (and say something sensible about).
import { z } from "zod";
import { requireEnv } from "./env.ts";

/** The `cal-api-version` each endpoint family is documented with. /v2/me takes none. */
export const CALCOM_API_VERSIONS = {
  bookings: "2024-08-13",
  slots: "2024-09-04",
  eventTypes: "2024-06-14",
} as const;

/** What we ask the business to allow: read its profile and event types, read and write bookings. */
export const CALCOM_SCOPES = ["PROFILE_READ", "EVENT_TYPE_READ", "SCHEDULE_READ", "BOOKING_READ", "BOOKING_WRITE"];

const DEFAULT_TIMEOUT_MS = 8_000;

export type CalcomErrorKind =
  | "unauthorized" // 401: token expired or revoked
  | "forbidden" // 403
  | "not_found" // 404
  | "slot_unavailable" // 400/409: the time is taken or outside the host's availability
  | "invalid_request" // other 4xx
  | "rate_limited" // 429
  | "unavailable" // 5xx or no usable answer
  | "timeout" // no answer in time: Cal.com may still have acted
  | "network"; // the request failed in transit: Cal.com may have acted

export class CalcomError extends Error {
  constructor(
    readonly kind: CalcomErrorKind,
    message: string,
    readonly status: number | null,
    readonly endpoint: string,
  ) {
    super(message);
    this.name = "CalcomError";
  }

  /** True when the request may have reached Cal.com and done its work although we got no answer. */
  get outcomeUnknown(): boolean {
    return this.kind === "timeout" || this.kind === "network";
  }
}

/** An OAuth token endpoint refusal (RFC 6749 `{error, error_description}`), e.g. invalid_grant. */
export class CalcomOAuthError extends Error {
  constructor(readonly error: string, description: string, readonly status: number) {
    super(`${error}: ${description}`);
    this.name = "CalcomOAuthError";
  }
}

// ---------------------------------------------------------------------------------------------
// Shapes we rely on (Cal.com sends more; unknown keys are kept)
// ---------------------------------------------------------------------------------------------

const tokenResponse = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  expires_in: z.number().int().positive(),
  scope: z.string().optional(),
});

const me = z.looseObject({
  id: z.number().int(),
  username: z.string().nullable(),
  email: z.string(),
  timeZone: z.string(),
});

const eventType = z.looseObject({
  id: z.number().int(),
  title: z.string(),
  slug: z.string(),
  lengthInMinutes: z.number().int().positive(),
  hidden: z.boolean().optional(),
});

const slotsByDate = z.record(z.string(), z.array(z.looseObject({ start: z.string() })));

const booking = z.looseObject({
  id: z.number().int(),
  uid: z.string().min(1),
  title: z.string().optional(),
  status: z.string(),
  start: z.string(),
  end: z.string(),
  eventTypeId: z.number().int().nullable().optional(),
  hosts: z.array(z.looseObject({ id: z.number().int(), username: z.string().nullish(), email: z.string().nullish(), timeZone: z.string().nullish() })).optional(),
  attendees: z.array(z.looseObject({ name: z.string(), email: z.string().nullish(), phoneNumber: z.string().nullish(), timeZone: z.string().nullish() })).optional(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  rescheduledFromUid: z.string().nullish(),
  rescheduledToUid: z.string().nullish(),
  cancellationReason: z.string().nullish(),
});

export type CalcomTokens = { accessToken: string; refreshToken: string; expiresIn: number; scopes: string[] };
export type CalcomMe = z.infer<typeof me>;
export type CalcomEventType = z.infer<typeof eventType>;
export type CalcomSlots = z.infer<typeof slotsByDate>;
export type CalcomBooking = z.infer<typeof booking>;

export type CreateBookingInput = {
  start: string;
  eventTypeId: number;
  attendee: { name: string; timeZone: string; phoneNumber?: string; email?: string; language?: string };
  location?: { type: "attendeePhone"; phone: string };
  metadata?: Record<string, string>;
};

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

function apiBase(): string {
  return requireEnv("CALCOM_API_BASE").replace(/\/+$/, "");
}

async function send(endpoint: string, url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const timedOut = error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError");
    throw new CalcomError(timedOut ? "timeout" : "network", timedOut ? `no answer in ${timeoutMs} ms` : String(error), null, endpoint);
  }
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function errorKind(status: number, message: string): CalcomErrorKind {
  if (status === 401) return "unauthorized";
  if (status === 403) return "forbidden";
  if (status === 404) return "not_found";
  if (status === 429) return "rate_limited";
  if (status >= 500) return "unavailable";
  if (status === 409 || /not available|already has booking|no available users/i.test(message)) return "slot_unavailable";
  return "invalid_request";
}

function errorMessage(body: unknown): string {
  // deno-lint-ignore no-explicit-any
  const b = body as any;
  return String(b?.error?.message ?? b?.message ?? b?.error ?? (typeof body === "string" ? body.slice(0, 200) : "unknown error"));
}

function parse<T>(schema: z.ZodType<T>, value: unknown, endpoint: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new CalcomError("unavailable", `unexpected answer: ${z.prettifyError(result.error)}`, 200, endpoint);
  return result.data;
}

// ---------------------------------------------------------------------------------------------
// OAuth
// ---------------------------------------------------------------------------------------------

/** Where to send the browser for consent (Cal.com's app, not its API). */
export function authorizeUrl(state: string, redirectUri: string): string {
  const url = new URL("/auth/oauth2/authorize", requireEnv("CALCOM_APP_BASE"));
  url.searchParams.set("client_id", requireEnv("CALCOM_CLIENT_ID"));
  url.searchParams.set("redirect_uri", redirectUri);
  url.searchParams.set("state", state);
  url.searchParams.set("scope", CALCOM_SCOPES.join(" "));
  return url.toString();
}

async function tokenRequest(endpoint: string, body: Record<string, string>): Promise<CalcomTokens> {
  const response = await send(
    endpoint,
    `${apiBase()}/auth/oauth2/token`,
    {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ client_id: requireEnv("CALCOM_CLIENT_ID"), client_secret: requireEnv("CALCOM_CLIENT_SECRET"), ...body }),
    },
    DEFAULT_TIMEOUT_MS,
  );
  const answer = await readJson(response);
  if (!response.ok) {
    // deno-lint-ignore no-explicit-any
    const refusal = answer as any;
    if (response.status < 500 && typeof refusal?.error === "string") {
      throw new CalcomOAuthError(refusal.error, String(refusal.error_description ?? ""), response.status);
    }
    throw new CalcomError(errorKind(response.status, errorMessage(answer)), errorMessage(answer), response.status, endpoint);
  }
  const tokens = parse(tokenResponse, answer, endpoint);
  return {
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    expiresIn: tokens.expires_in,
    scopes: (tokens.scope ?? "").split(/[\s,]+/).filter(Boolean),
  };
}

export function exchangeAuthorizationCode(code: string, redirectUri: string): Promise<CalcomTokens> {
  return tokenRequest("oauth.exchange_code", { grant_type: "authorization_code", code, redirect_uri: redirectUri });
}

export function refreshAccessToken(refreshToken: string): Promise<CalcomTokens> {
  return tokenRequest("oauth.refresh", { grant_type: "refresh_token", refresh_token: refreshToken });
}

/**
 * Asks Cal.com to end the grant behind `token` (RFC 7009 style). Cal.com documents no revocation
 * endpoint (contracts.md: unconfirmed), so callers treat this as best effort.
 */
export async function revokeToken(token: string): Promise<void> {
  const response = await send(
    "oauth.revoke",
    `${apiBase()}/auth/oauth2/revoke`,
    {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ client_id: requireEnv("CALCOM_CLIENT_ID"), client_secret: requireEnv("CALCOM_CLIENT_SECRET"), token }),
    },
    DEFAULT_TIMEOUT_MS,
  );
  if (!response.ok) {
    throw new CalcomError(errorKind(response.status, ""), `revocation answered ${response.status}`, response.status, "oauth.revoke");
  }
}

// ---------------------------------------------------------------------------------------------
// API v2
// ---------------------------------------------------------------------------------------------

export class CalcomApi {
  constructor(private readonly accessToken: string, private readonly timeoutMs = DEFAULT_TIMEOUT_MS) {}

  private async request<T>(
    endpoint: string,
    schema: z.ZodType<T>,
    path: string,
    options: { method?: string; version?: string; query?: Record<string, string>; body?: unknown } = {},
  ): Promise<T> {
    const url = new URL(`${apiBase()}${path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, value);
    const headers: Record<string, string> = { authorization: `Bearer ${this.accessToken}`, accept: "application/json" };
    if (options.version) headers["cal-api-version"] = options.version;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const response = await send(
      endpoint,
      url.toString(),
      { method: options.method ?? "GET", headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) },
      this.timeoutMs,
    );
    const answer = await readJson(response);
    if (!response.ok) {
      const message = errorMessage(answer);
      throw new CalcomError(errorKind(response.status, message), message, response.status, endpoint);
    }
    // deno-lint-ignore no-explicit-any
    return parse(schema, (answer as any)?.data, endpoint);
  }

  me(): Promise<CalcomMe> {
    return this.request("me", me, "/me");
  }

  eventTypes(): Promise<CalcomEventType[]> {
    return this.request("event_types.list", z.array(eventType), "/event-types", { version: CALCOM_API_VERSIONS.eventTypes });
  }

  /** Free slot starts by date, in `timeZone`, between two instants. */
  slots(query: { eventTypeId: number; start: string; end: string; timeZone: string }): Promise<CalcomSlots> {
    return this.request("slots.list", slotsByDate, "/slots", {
      version: CALCOM_API_VERSIONS.slots,
      query: { eventTypeId: String(query.eventTypeId), start: query.start, end: query.end, timeZone: query.timeZone },
    });
  }

  createBooking(input: CreateBookingInput): Promise<CalcomBooking> {
    return this.request("bookings.create", booking, "/bookings", { method: "POST", version: CALCOM_API_VERSIONS.bookings, body: input });
  }

  getBooking(uid: string): Promise<CalcomBooking> {
    return this.request("bookings.get", booking, `/bookings/${encodeURIComponent(uid)}`, { version: CALCOM_API_VERSIONS.bookings });
  }

  /** Cal.com makes a new booking (new uid, `rescheduledFromUid` = the old one) and cancels the old. */
  rescheduleBooking(uid: string, input: { start: string; reschedulingReason?: string }): Promise<CalcomBooking> {
    return this.request("bookings.reschedule", booking, `/bookings/${encodeURIComponent(uid)}/reschedule`, {
      method: "POST",
      version: CALCOM_API_VERSIONS.bookings,
      body: input,
    });
  }

  cancelBooking(uid: string, input: { cancellationReason?: string }): Promise<CalcomBooking> {
    return this.request("bookings.cancel", booking, `/bookings/${encodeURIComponent(uid)}/cancel`, {
      method: "POST",
      version: CALCOM_API_VERSIONS.bookings,
      body: input,
    });
  }
}
