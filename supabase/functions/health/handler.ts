// Liveness and readiness: answers 200 when the function runtime is up and the database answers
// through PostgREST, 503 otherwise. Used by the local stack's start-up and by monitoring.
import { adminClient } from "../_shared/supabase.ts";
import { jsonResponse } from "../_shared/http.ts";

export async function handleHealth(_request: Request): Promise<Response> {
  const started = performance.now();
  const { error } = await adminClient().rpc("health_check");
  const database = error ? "unreachable" : "ok";
  return jsonResponse(error ? 503 : 200, {
    status: error ? "degraded" : "ok",
    database,
    latency_ms: Math.round(performance.now() - started),
  });
}
