// The one rule for the webhooks we receive (README, "Webhooks we receive"). A badly signed request
// is refused before anything is read. A correctly signed event we cannot apply (not JSON, not the
// shape the provider documents, a value no column can hold, a reference the database refuses) is
// answered 200 with `rejected` and recorded once per body as an ops alert: every provider retries
// whatever is not a 2xx (Retell 3 times, then drops it unseen; Stripe for up to 3 days, then
// disables the endpoint), and a redelivery of the same bytes would fail the same way. Only a
// transient fault (the database or a provider API not answering) is a 5xx, so the event comes again.
import type { PostgrestError } from "@supabase/supabase-js";
import { storableText } from "../../../packages/shared/src/json-limits.ts";
import { HttpError, jsonResponse } from "./http.ts";
import { log } from "./log.ts";
import { adminClient } from "./supabase.ts";

export type Provider = "retell" | "stripe" | "calcom" | "twilio";

/** A correctly signed event that cannot be applied, with a stable code (invalid_json, invalid_payload, not_applied). */
export class EventRejected extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/** The event's content is at fault: parse and schema problems (HttpError 400) become rejections. */
export function asRejection(error: unknown): EventRejected | null {
  if (error instanceof EventRejected) return error;
  if (error instanceof HttpError && error.status === 400) return new EventRejected(error.code, error.message);
  return null;
}

/**
 * Whether PostgREST's answer means the database refused this event's content (a value out of range,
 * a check, a missing reference, a conflict: 400, 409, 413, or a 4xx one of our functions raised)
 * rather than a fault worth retrying (unreachable, timeout, a missing grant or function).
 */
export function refusedByDatabase(error: PostgrestError, status: number): boolean {
  return [400, 409, 413].includes(status) || /^PT4\d\d$/.test(error.code ?? "");
}

/** The strings and numbers at `paths` of a body, as far as it parses, for the operator's record. */
export function idsIn(rawBody: string, paths: Record<string, string[]>): Record<string, string | null> {
  let body: unknown = null;
  try {
    body = JSON.parse(rawBody);
  } catch {
    // not JSON: no ids
  }
  const at = (path: string[]) => {
    const value = path.reduce<unknown>((node, key) => (node && typeof node === "object" ? (node as Record<string, unknown>)[key] : undefined), body);
    return typeof value === "string" || typeof value === "number" ? storableText(String(value), 200) : null;
  };
  return Object.fromEntries(Object.entries(paths).map(([name, path]) => [name, at(path)]));
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

type Rejection = {
  provider: Provider;
  fn: string;
  rawBody: string;
  rejection: EventRejected;
  /** The ids the event carried (event id, call id, booking uid), for the operator to find it. */
  ids: Record<string, string | null>;
  requestId: string;
  /** Added to the answer (retell-inbound's variables for the ringing call). */
  answer?: Record<string, unknown>;
  /** Answer 200 even when the record cannot be written (a caller is waiting on the line). */
  answerUnrecorded?: boolean;
};

/** Records a rejected event for an operator and answers the provider 200; a 500 if it cannot be recorded. */
export async function rejectEvent(r: Rejection): Promise<Response> {
  const fields = { function: r.fn, request_id: r.requestId, code: r.rejection.code, reason: storableText(r.rejection.message, 300), ...r.ids };
  const { error } = await adminClient().rpc("record_rejected_webhook_event", {
    provider: r.provider,
    reason_code: r.rejection.code,
    reason: storableText(r.rejection.message, 2000),
    body_sha256: await sha256Hex(r.rawBody),
    details: { function: r.fn, body_bytes: new TextEncoder().encode(r.rawBody).length, ...r.ids },
  });
  const body = { received: true, rejected: { code: r.rejection.code, message: r.rejection.message }, ...r.answer };
  if (error) {
    log("error", "rejected event not recorded", { ...fields, error: error.message });
    if (!r.answerUnrecorded) return jsonResponse(500, { error: { code: "not_recorded", message: "The event could not be recorded; deliver it again" } });
  } else {
    log("warn", "signed event rejected", fields);
  }
  return jsonResponse(200, body);
}
