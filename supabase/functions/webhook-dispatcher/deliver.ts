// One attempt of one delivery: the target checked again (DNS can change), the envelope signed the
// Standard Webhooks way with every secret that signs now, sent with a timeout and no redirects, and
// the answer turned into what webhook_record_attempts records.
import { Webhook } from "standardwebhooks";
import {
  attemptOutcome,
  MAX_WEBHOOK_BODY_BYTES,
  RESPONSE_EXCERPT_CHARS,
  retryAfterSeconds,
  WEBHOOK_TIMEOUT_MS,
} from "../../../packages/shared/src/webhooks.ts";
import { checkTarget } from "../_shared/webhook-target.ts";

export type ClaimedDelivery = {
  delivery_id: number;
  claim_id: string;
  message_id: string;
  attempt: number;
  replay: boolean;
  url: string;
  secrets: string[];
  body: string;
};

export type AttemptResult = {
  delivery_id: number;
  outcome: "delivered" | "failed" | "gone" | "aborted" | "payload_too_large" | "unsafe_target";
  status_code?: number;
  error?: string;
  duration_ms?: number;
  response_excerpt?: string;
  retry_after_seconds?: number;
};

/** Space-separated `v1,<signature>` of each secret (current first): two while a rotation overlaps. */
export function signatures(delivery: ClaimedDelivery, timestamp: Date): string {
  return delivery.secrets.map((secret) => new Webhook(secret).sign(delivery.message_id, timestamp, delivery.body)).join(" ");
}

async function excerpt(response: Response): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  try {
    while (text.length < RESPONSE_EXCERPT_CHARS) {
      const { done, value } = await reader.read();
      if (done) break;
      text += value;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return text.slice(0, RESPONSE_EXCERPT_CHARS);
}

export async function deliver(delivery: ClaimedDelivery): Promise<AttemptResult> {
  const base = { delivery_id: delivery.delivery_id };
  if (new TextEncoder().encode(delivery.body).length > MAX_WEBHOOK_BODY_BYTES) {
    return { ...base, outcome: "payload_too_large", error: `the event is larger than ${MAX_WEBHOOK_BODY_BYTES} bytes` };
  }
  const target = await checkTarget(delivery.url);
  if (!target.ok) return { ...base, outcome: target.permanent ? "unsafe_target" : "failed", error: target.reason };

  const started = performance.now();
  const timestamp = new Date();
  try {
    const response = await fetch(delivery.url, {
      method: "POST",
      // A redirect is the receiver's answer (a failure), never a second request to wherever it points.
      redirect: "manual",
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      headers: {
        "content-type": "application/json",
        "user-agent": "receptionist-webhooks/1",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
        "webhook-signature": signatures(delivery, timestamp),
      },
      body: delivery.body,
    });
    const responseExcerpt = await excerpt(response);
    const outcome = attemptOutcome(response.status, response.headers);
    return {
      ...base,
      outcome,
      status_code: response.status,
      duration_ms: Math.round(performance.now() - started),
      response_excerpt: responseExcerpt,
      retry_after_seconds: retryAfterSeconds(response.status, response.headers),
      error: outcome === "delivered" ? undefined : `the endpoint answered ${response.status}`,
    };
  } catch (failure) {
    const timedOut = failure instanceof DOMException && failure.name === "TimeoutError";
    return {
      ...base,
      outcome: "failed",
      duration_ms: Math.round(performance.now() - started),
      error: timedOut ? `no answer within ${WEBHOOK_TIMEOUT_MS / 1000} s` : `the request failed: ${String(failure)}`.slice(0, 1000),
    };
  }
}
