// Retell's request signature (contracts.md 1c), checked on every inbound webhook, call event and
// tool call: `x-retell-signature: v=<ms>,d=<hex>` where hex = HMAC-SHA256(key = the Retell API key,
// message = raw body + the decimal timestamp), the timestamp within 5 minutes of now either way,
// compared in constant time. Same rules as retell-sdk's `Retell.verify`, without loading the SDK
// (its client is far bigger than this check) on the path of a ringing call.

const MAX_SKEW_MS = 5 * 60 * 1000;
const SIGNATURE = /^v=(\d{1,16}),d=([0-9a-f]{64})$/i;
const encoder = new TextEncoder();

// Importing the key costs as much as the HMAC itself; the key never changes within an instance.
const keys = new Map<string, Promise<CryptoKey>>();
function hmacKey(apiKey: string): Promise<CryptoKey> {
  let key = keys.get(apiKey);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(apiKey), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    keys.set(apiKey, key);
  }
  return key;
}

function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** True when `header` is a valid, fresh Retell signature of exactly `rawBody`. */
export async function verifyRetellSignature(
  rawBody: string,
  header: string | null,
  apiKey: string,
  now: number = Date.now(),
): Promise<boolean> {
  const match = SIGNATURE.exec(header?.trim() ?? "");
  if (!match || !apiKey) return false;
  const timestamp = Number(match[1]);
  if (Math.abs(now - timestamp) > MAX_SKEW_MS) return false;
  // crypto.subtle.verify compares the digests in constant time.
  return crypto.subtle.verify("HMAC", await hmacKey(apiKey), hexToBytes(match[2]), encoder.encode(rawBody + String(timestamp)));
}
