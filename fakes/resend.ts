// Local fake of Resend's send-email endpoint (POST /emails), with its API-key checks, field
// validation and Idempotency-Key semantics. Sent emails are kept for tests at
// GET /__control/emails instead of being delivered.
import type http from "node:http";
import { randomUUID } from "node:crypto";
import { addControlRoutes, createServer, json, newFaults, type Reply } from "./lib/http.ts";
import { bearerToken, LoggingRouter } from "./lib/common.ts";

const MAX_RECIPIENTS = 50;
const IDEMPOTENCY_TTL_MS = 24 * 3600_000;
// `email@example.com` or `Name <email@example.com>`.
const ADDRESS = /^(?:[^<>]*<[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+>|[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+)$/;

export type SentEmail = {
  id: string;
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  reply_to: string[];
  subject: string;
  html: string | null;
  text: string | null;
  headers: Record<string, string>;
  tags: { name: string; value: string }[];
  scheduled_at: string | null;
  created_at: string;
  idempotency_key: string | null;
};

/** Resend names each error; the fake maps the statuses it produces to those names. */
const ERROR_NAMES: Record<number, string> = {
  400: "validation_error",
  401: "missing_api_key",
  403: "invalid_api_key",
  404: "not_found",
  409: "invalid_idempotent_request",
  422: "missing_required_field",
  429: "rate_limit_exceeded",
};

function errorBody(status: number, message: string, name = ERROR_NAMES[status] ?? "internal_server_error") {
  return { statusCode: status, name, message };
}

const resendError = (status: number, message: string, name?: string): Reply => json(status, errorBody(status, message, name));

/** Resend takes one address or a list wherever addresses go; the fake stores lists. */
const list = (value: unknown): string[] => (value == null ? [] : ([] as string[]).concat(value as string | string[]));

/** The first problem with a send-email body, worded like Resend's messages. */
function emailInputError(body: any): Reply | undefined {
  if (!body || typeof body !== "object") return resendError(422, "Missing `from` field.", "missing_required_field");
  for (const field of ["from", "to", "subject"]) {
    if (body[field] === undefined || body[field] === "") return resendError(422, `Missing \`${field}\` field.`);
  }
  if (!body.html && !body.text) return resendError(422, "Missing `html` or `text` field.");
  const format = "needs to follow the `email@example.com` or `Name <email@example.com>` format.";
  if (!ADDRESS.test(body.from)) return resendError(400, `Invalid \`from\` field. The email address ${format}`);
  for (const field of ["to", "cc", "bcc", "reply_to"]) {
    const addresses = list(body[field]);
    if (addresses.length > MAX_RECIPIENTS) return resendError(400, `Invalid \`${field}\` field. You can send to at most ${MAX_RECIPIENTS} recipients.`);
    if (!addresses.every((a) => typeof a === "string" && ADDRESS.test(a))) {
      return resendError(400, `Invalid \`${field}\` field. The email address ${format}`);
    }
  }
  return undefined;
}

export function createResendFake(o: { apiKey: string }) {
  const state = {
    emails: [] as SentEmail[],
    /** Responses by Idempotency-Key, with the raw body that produced them. */
    idempotency: new Map<string, { rawBody: string; reply: Reply; expiresAt: number }>(),
  };
  const faults = newFaults();
  const router = new LoggingRouter();

  function reset() {
    state.emails.length = 0;
    state.idempotency.clear();
    router.requests.length = 0;
  }

  router.on("POST /emails", (req) => {
    const key = bearerToken(req.headers);
    if (!key) {
      return resendError(401, "Missing API key in the authorization header. Include the following header in the request: Authorization: Bearer YOUR_API_KEY");
    }
    if (key !== o.apiKey) return resendError(403, "API key is invalid");

    const idempotencyKey = req.headers["idempotency-key"] as string | undefined;
    if (idempotencyKey !== undefined) {
      if (idempotencyKey.length < 1 || idempotencyKey.length > 256) {
        return resendError(400, "The key must be between 1-256 chars.", "invalid_idempotency_key");
      }
      const earlier = state.idempotency.get(idempotencyKey);
      if (earlier && earlier.expiresAt > Date.now()) {
        if (earlier.rawBody !== req.rawBody) {
          return resendError(409, "Same idempotency key used with a different request payload. Change your idempotency key or payload.");
        }
        return earlier.reply; // the original answer, and nothing is sent again
      }
    }

    const problem = emailInputError(req.body);
    if (problem) return problem;
    const b = req.body;
    const email: SentEmail = {
      id: randomUUID(),
      from: b.from,
      to: list(b.to),
      cc: list(b.cc),
      bcc: list(b.bcc),
      reply_to: list(b.reply_to),
      subject: b.subject,
      html: b.html ?? null,
      text: b.text ?? null,
      headers: b.headers ?? {},
      tags: b.tags ?? [],
      scheduled_at: b.scheduled_at ?? null,
      created_at: new Date().toISOString(),
      idempotency_key: idempotencyKey ?? null,
    };
    state.emails.push(email);
    const reply = json(200, { id: email.id });
    if (idempotencyKey !== undefined) {
      state.idempotency.set(idempotencyKey, { rawBody: req.rawBody, reply, expiresAt: Date.now() + IDEMPOTENCY_TTL_MS });
    }
    return reply;
  });

  router.on("GET /__control/emails", () => json(200, state.emails));

  addControlRoutes(router, faults, reset);

  const server: http.Server = createServer(router, faults, errorBody);
  return { server, reset, state };
}
