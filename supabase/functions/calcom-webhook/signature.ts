// X-Cal-Signature-256: hex HMAC-SHA256 of the raw body with the webhook secret, no prefix
// (contracts.md section 3). WebCrypto's verify compares in constant time.
const HEX_SHA256 = /^[0-9a-f]{64}$/i;

export async function verifyCalcomSignature(raw: string, signature: string | null, secret: string): Promise<boolean> {
  if (!signature || !HEX_SHA256.test(signature.trim())) return false;
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  const given = Uint8Array.from(signature.trim().match(/../g)!, (byte) => parseInt(byte, 16));
  return crypto.subtle.verify("HMAC", key, given, new TextEncoder().encode(raw));
}
