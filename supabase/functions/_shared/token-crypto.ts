// Sealing OAuth tokens at rest: AES-256-GCM (WebCrypto) with a random 12-byte IV per value and the
// owner and field bound in as additional data, so a sealed value copied to another row or column
// does not open. Keys rotate: new values are sealed with CALCOM_ENCRYPTION_KEY, and values sealed
// with an older key open as long as that key is listed in CALCOM_ENCRYPTION_KEYS_PREVIOUS
// (comma-separated). Each key is known by an id derived from it, stored beside the sealed values.
import { optionalEnv, requireEnv } from "./env.ts";

const FORMAT = "v1";
const IV_BYTES = 12;

type Keyring = { currentId: string; keys: Map<string, CryptoKey> };
let keyring: Promise<Keyring> | undefined;

function base64ToBytes(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64.trim());
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function bytesToBase64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function base64UrlToBytes(text: string): Uint8Array<ArrayBuffer> {
  return base64ToBytes(text.replace(/-/g, "+").replace(/_/g, "/"));
}

/** `k_` and the first 12 hex digits of the key's SHA-256: names the key without revealing it. */
async function keyIdOf(raw: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", raw));
  return "k_" + Array.from(digest.slice(0, 6), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function loadKey(base64: string, variable: string): Promise<[string, CryptoKey]> {
  let raw: Uint8Array<ArrayBuffer>;
  try {
    raw = base64ToBytes(base64);
  } catch {
    throw new Error(`${variable} must be base64`);
  }
  if (raw.length !== 32) throw new Error(`${variable} must be 32 bytes (base64 of a 256-bit key)`);
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  return [await keyIdOf(raw), key];
}

async function buildKeyring(): Promise<Keyring> {
  const [currentId, current] = await loadKey(requireEnv("CALCOM_ENCRYPTION_KEY"), "CALCOM_ENCRYPTION_KEY");
  const previous = (optionalEnv("CALCOM_ENCRYPTION_KEYS_PREVIOUS") ?? "").split(",").map((k) => k.trim()).filter(Boolean);
  const keys = new Map(await Promise.all(previous.map((k) => loadKey(k, "CALCOM_ENCRYPTION_KEYS_PREVIOUS"))));
  keys.set(currentId, current);
  return { currentId, keys };
}

function tokenKeyring(): Promise<Keyring> {
  keyring ??= buildKeyring().catch((error) => {
    keyring = undefined; // a fixed environment is picked up on the next request
    throw error;
  });
  return keyring;
}

export type SealedToken = { sealed: string; keyId: string };

/** Seals `plaintext` under the current key; `context` (e.g. "calcom:<user>:access_token") must match to open it. */
export async function sealToken(plaintext: string, context: string): Promise<SealedToken> {
  const { currentId, keys } = await tokenKeyring();
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(context) },
    keys.get(currentId)!,
    new TextEncoder().encode(plaintext),
  );
  return { sealed: `${FORMAT}.${bytesToBase64Url(iv)}.${bytesToBase64Url(new Uint8Array(ciphertext))}`, keyId: currentId };
}

/** Opens a value sealed by sealToken; throws when the key is unknown or the value or context was altered. */
export async function openToken(sealed: string, keyId: string, context: string): Promise<string> {
  const { keys } = await tokenKeyring();
  const key = keys.get(keyId);
  if (!key) throw new Error(`token key ${keyId} is not configured (CALCOM_ENCRYPTION_KEY or CALCOM_ENCRYPTION_KEYS_PREVIOUS)`);
  const [format, iv, ciphertext] = sealed.split(".");
  if (format !== FORMAT || !iv || !ciphertext) throw new Error("sealed token has an unknown format");
  const plaintext = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: base64UrlToBytes(iv), additionalData: new TextEncoder().encode(context) },
    key,
    base64UrlToBytes(ciphertext),
  );
  return new TextDecoder().decode(plaintext);
}

