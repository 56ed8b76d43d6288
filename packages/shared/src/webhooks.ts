// The rules of outbound webhook delivery that need no network: which targets may be reached (SSRF),
// and what a receiver's answer means. Used by the webhook functions (Deno) and tested directly.

/** Non-public IPv4 ranges: unspecified, private, CGNAT, loopback, link-local (cloud metadata), documentation, benchmarking, multicast, reserved. */
const IPV4_BLOCKED: [string, number][] = [
  ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16], ["172.16.0.0", 12],
  ["192.0.0.0", 24], ["192.0.2.0", 24], ["192.168.0.0", 16], ["198.18.0.0", 15], ["198.51.100.0", 24],
  ["203.0.113.0", 24], ["224.0.0.0", 4], ["240.0.0.0", 4],
];
/** Non-public IPv6 ranges: unspecified, loopback, IPv4-mapped, NAT64, discard, documentation, unique local, link-local, multicast. */
const IPV6_BLOCKED: [string, number][] = [
  ["::", 128], ["::1", 128], ["::ffff:0:0", 96], ["64:ff9b::", 96], ["100::", 64], ["2001:db8::", 32],
  ["fc00::", 7], ["fe80::", 10], ["ff00::", 8],
];

function ipv4Bits(address: string): bigint | undefined {
  const parts = address.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((bits, p) => (bits << 8n) | BigInt(p), 0n);
}

function ipv6Bits(address: string): bigint | undefined {
  let text = address.toLowerCase();
  // An embedded IPv4 tail (::ffff:127.0.0.1) becomes two groups.
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const bits = ipv4Bits(v4[2]);
    if (bits === undefined) return undefined;
    text = `${v4[1]}${(bits >> 16n).toString(16)}:${(bits & 0xffffn).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return groups.reduce((bits, g) => (bits << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function inRanges(bits: bigint, width: number, ranges: [string, number][], parse: (a: string) => bigint | undefined): boolean {
  return ranges.some(([base, prefix]) => bits >> BigInt(width - prefix) === parse(base)! >> BigInt(width - prefix));
}

export type AddressKind = "public" | "loopback" | "non_public" | "invalid";

/** What an IP address literal (no brackets) is, as far as webhook targets are concerned. */
export function addressKind(address: string): AddressKind {
  const v4 = ipv4Bits(address);
  if (v4 !== undefined) {
    if (v4 >> 24n === 127n) return "loopback";
    return inRanges(v4, 32, IPV4_BLOCKED, ipv4Bits) ? "non_public" : "public";
  }
  const v6 = ipv6Bits(address);
  if (v6 === undefined) return "invalid";
  if (v6 === 1n) return "loopback";
  return inRanges(v6, 128, IPV6_BLOCKED, ipv6Bits) ? "non_public" : "public";
}

/** WEBHOOK_ALLOW_LOOPBACK_TARGETS: on only when set to "true" (the local stack's .env.example does). */
export function loopbackTargetsAllowed(setting: string | undefined): boolean {
  return setting === "true";
}

/** The host of a URL as DNS or an address literal: brackets of an IPv6 literal removed. */
export function targetHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1");
}

/**
 * Why `url` may not be reached, or null when it may. Before DNS (`addresses` undefined) only the
 * URL itself is judged; with the addresses the host resolved to, every one must be public. With
 * loopback targets allowed (local stack only), an address literal in 127.0.0.0/8 or ::1 is allowed
 * too, over http or https. WHATWG URL parsing has already turned 2130706433 or 0x7f.1 into 127.0.0.1.
 */
export function targetRefusal(url: URL, allowLoopback: boolean, addresses?: string[]): string | null {
  const host = targetHost(url);
  const literal = addressKind(host) !== "invalid";
  const localTarget = allowLoopback && addressKind(host) === "loopback";
  if (url.protocol !== "https:" && !(url.protocol === "http:" && localTarget)) return "the URL must use https";
  if (url.username || url.password) return "the URL must not carry a user name or password";
  if (localTarget) return null;
  if (literal && addressKind(host) !== "public") return "the URL points at a private, loopback, link-local or reserved address";
  if (!literal && (host === "localhost" || !host.includes(".") || /\.(localhost|local|internal|localdomain|home\.arpa)\.?$/.test(host))) {
    return "the URL must name a public host";
  }
  if (addresses === undefined) return null;
  if (addresses.length === 0) return "the host does not resolve";
  const blocked = addresses.find((a) => addressKind(a) !== "public");
  return blocked ? `the host resolves to a non-public address (${blocked})` : null;
}

/** Largest envelope we send; bigger events are dead-lettered unsent (payload_too_large). */
export const MAX_WEBHOOK_BODY_BYTES = 256 * 1024;
/** Receivers get this long to answer. */
export const WEBHOOK_TIMEOUT_MS = 15_000;
/** The start of the response body kept in the attempt log. */
export const RESPONSE_EXCERPT_CHARS = 1024;

export type AttemptOutcome = "delivered" | "failed" | "gone" | "aborted";

/** What a receiver's answer means: 2xx delivered; 410 disables the endpoint; abort-message stops retries; anything else (3xx included) failed. */
export function attemptOutcome(status: number, headers: Headers): AttemptOutcome {
  if (status >= 200 && status < 300) return "delivered";
  if (status === 410) return "gone";
  if (headers.get("webhook-delivery")?.trim().toLowerCase() === "abort-message") return "aborted";
  return "failed";
}

/** Retry-After (seconds or an HTTP date) of a 429 or 503, in whole seconds from `now`; undefined otherwise. */
export function retryAfterSeconds(status: number, headers: Headers, now = Date.now()): number | undefined {
  if (status !== 429 && status !== 503) return undefined;
  const value = headers.get("retry-after")?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}
