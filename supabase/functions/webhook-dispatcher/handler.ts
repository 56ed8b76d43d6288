// The webhook delivery worker. The database kicks it (pg_net, when deliveries are created or
// replayed, and the every-minute sweep) with the service role key. It answers at once and then
// claims due deliveries in batches until none is left: claims are exclusive (for update skip
// locked) and expire, so any number of overlapping runs is harmless and a run that dies loses
// nothing: what it held is claimed again after the visibility deadline.
import type { SupabaseClient } from "@supabase/supabase-js";
import { adminClient } from "../_shared/supabase.ts";
import { jsonResponse, withJsonErrors } from "../_shared/http.ts";
import { afterResponse, log } from "../_shared/log.ts";
import { requireServiceRole } from "../_shared/auth.ts";
import { sendEmail } from "../_shared/email.ts";
import { endpointDisabledEmail } from "../_shared/email-templates.ts";
import { type AttemptResult, type ClaimedDelivery, deliver } from "./deliver.ts";

/** Deliveries claimed at once by one loop; each batch is sent concurrently. */
const BATCH_SIZE = 50;
/** Loops per run, so that one slow receiver (15 s timeout) holds up only its own batch. */
const LOOPS = 4;
/** A run stops claiming after this long; the sweep or the next kick carries on. */
const RUN_BUDGET_MS = 50_000;
/** A retry due this soon (the 5-second one) is waited for instead of left to the minute sweep. */
const WAIT_FOR_DUE_MS = 10_000;

type DisabledEndpoint = { webhook_config_id: string; url: string; disabled_reason: string; owner_email: string | null };

async function notifyOwner(endpoint: DisabledEndpoint, claimId: string): Promise<void> {
  if (!endpoint.owner_email) return;
  await sendEmail({
    to: endpoint.owner_email,
    ...endpointDisabledEmail(endpoint.url, endpoint.disabled_reason),
    idempotencyKey: `webhook-endpoint-disabled:${endpoint.webhook_config_id}:${claimId}`,
  });
}

async function recordBatch(db: SupabaseClient, claimId: string, results: AttemptResult[]): Promise<void> {
  const { data, error } = await db.rpc("webhook_record_attempts", { claim: claimId, results });
  if (error) throw new Error(`recording attempts failed: ${error.message}`);
  for (const endpoint of (data ?? []) as DisabledEndpoint[]) {
    log("warn", "webhook endpoint disabled", { webhook_config_id: endpoint.webhook_config_id, reason: endpoint.disabled_reason });
    await notifyOwner(endpoint, claimId).catch((failure) =>
      log("error", "disabled-endpoint email failed", { webhook_config_id: endpoint.webhook_config_id, error: String(failure) })
    );
  }
}

async function loop(db: SupabaseClient, started: number): Promise<number> {
  let sent = 0;
  while (Date.now() - started < RUN_BUDGET_MS) {
    const { data, error } = await db.rpc("webhook_claim_deliveries", { max_deliveries: BATCH_SIZE });
    if (error) throw new Error(`claiming deliveries failed: ${error.message}`);
    const claimed = (data ?? []) as ClaimedDelivery[];
    if (claimed.length === 0) {
      const { data: dueIn, error: dueError } = await db.rpc("webhook_next_due_in");
      if (dueError) throw new Error(`reading the next due delivery failed: ${dueError.message}`);
      const waitMs = typeof dueIn === "number" ? dueIn * 1000 + 50 : Infinity;
      if (waitMs > WAIT_FOR_DUE_MS || Date.now() - started + waitMs > RUN_BUDGET_MS) return sent;
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      continue;
    }
    const results = await Promise.all(claimed.map(deliver));
    await recordBatch(db, claimed[0].claim_id, results);
    sent += claimed.length;
  }
  return sent;
}

async function dispatch(db: SupabaseClient): Promise<void> {
  const started = Date.now();
  const sent = await Promise.all(Array.from({ length: LOOPS }, () => loop(db, started)));
  log("info", "webhook dispatch run ended", { attempts: sent.reduce((a, b) => a + b, 0), ms: Date.now() - started });
}

export const handleKick = withJsonErrors("webhook-dispatcher", async (request) => {
  await requireServiceRole(request);
  afterResponse("webhook dispatch", () => dispatch(adminClient()));
  return jsonResponse(202, { started: true });
}, ["POST"]);
