// Structured log lines: one JSON object per line, with the request id and the ids of what the line
// is about (call, user). Never pass secrets, tokens or whole request bodies.
export type LogFields = Record<string, unknown>;

export function log(level: "info" | "warn" | "error", msg: string, fields: LogFields = {}): void {
  const line = JSON.stringify({ level, msg, at: new Date().toISOString(), ...fields });
  if (level === "error") console.error(line);
  else console.log(line);
}

type EdgeRuntimeGlobal = { EdgeRuntime?: { waitUntil(promise: Promise<unknown>): void } };

/**
 * Runs `work` after the response has gone out (hosted Supabase keeps the worker alive for it with
 * EdgeRuntime.waitUntil; elsewhere the promise simply runs on). Failures are logged, never thrown.
 */
export function afterResponse(label: string, work: () => Promise<unknown>, fields: LogFields = {}): void {
  const running = work().catch((error) => log("error", `${label} failed`, { ...fields, error: String(error) }));
  (globalThis as EdgeRuntimeGlobal).EdgeRuntime?.waitUntil(running);
}
