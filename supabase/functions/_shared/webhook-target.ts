// Where a webhook may be sent, checked against the addresses its host resolves to right now (DNS
// can change after an endpoint is saved). The rules themselves are in packages/shared.
import { addressKind, loopbackTargetsAllowed, targetHost, targetRefusal } from "../../../packages/shared/src/webhooks.ts";
import { optionalEnv } from "./env.ts";

export type TargetCheck = { ok: true } | { ok: false; permanent: boolean; reason: string };

async function resolve(host: string): Promise<string[] | undefined> {
  const lookups = await Promise.allSettled([Deno.resolveDns(host, "A"), Deno.resolveDns(host, "AAAA")]);
  const addresses = lookups.flatMap((lookup) => (lookup.status === "fulfilled" ? lookup.value : []));
  // Both lookups failing for another reason than "no such record" is a DNS outage: try again later.
  const outage = lookups.every((lookup) => lookup.status === "rejected" && !(lookup.reason instanceof Deno.errors.NotFound));
  return outage ? undefined : addresses;
}

/** Whether `url` may be sent to now. A refusal of the URL or its addresses is permanent; a DNS failure is not. */
export async function checkTarget(url: string): Promise<TargetCheck> {
  const allowLoopback = loopbackTargetsAllowed(optionalEnv("WEBHOOK_ALLOW_LOOPBACK_TARGETS"));
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, permanent: true, reason: "the URL is not valid" };
  }
  const byUrl = targetRefusal(parsed, allowLoopback);
  if (byUrl) return { ok: false, permanent: true, reason: byUrl };
  const host = targetHost(parsed);
  const addresses = addressKind(host) === "invalid" ? await resolve(host) : [host];
  if (addresses === undefined) return { ok: false, permanent: false, reason: `could not resolve ${host}` };
  if (addresses.length === 0) return { ok: false, permanent: false, reason: `${host} has no address` };
  const refusal = targetRefusal(parsed, allowLoopback, addresses);
  return refusal ? { ok: false, permanent: true, reason: refusal } : { ok: true };
}
