// Access and refresh tokens as Supabase Auth issues them on a project with JWT signing keys: user
// access tokens are ES256 JWTs with the signing key's `kid`; tokens signed with the legacy HS256
// secret (the anon and service_role keys, older user tokens) are still accepted until that key is
// revoked, as hosted does after a rotation. Refresh tokens are opaque 12-character strings.
import { randomBytes } from "node:crypto";
import { jwtVerify, SignJWT, type JWTPayload } from "jose";
import { AUTH_URL, JWT_SECRET } from "../config.ts";
import { PUBLIC_JWK, SIGNING_KEY_ID, signingPrivateKey } from "../keys.ts";
import { authSettings } from "../supabase-config.ts";
import { AuthError } from "./http.ts";
import type { UserRow } from "./users.ts";

const legacySecret = new TextEncoder().encode(JWT_SECRET);

export type AccessClaims = JWTPayload & { role?: string; session_id?: string; email?: string };

export async function signAccessToken(user: UserRow, sessionId: string, amr: { method: string; timestamp: number }[]) {
  const { jwtExpiry } = authSettings();
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({
    email: user.email ?? "",
    phone: user.phone ?? "",
    app_metadata: user.raw_app_meta_data ?? {},
    user_metadata: user.raw_user_meta_data ?? {},
    role: user.role ?? "authenticated",
    aal: "aal1",
    amr,
    session_id: sessionId,
    is_anonymous: user.is_anonymous,
  })
    .setProtectedHeader({ alg: "ES256", kid: SIGNING_KEY_ID, typ: "JWT" })
    .setIssuer(AUTH_URL)
    .setSubject(user.id)
    .setAudience(user.aud ?? "authenticated")
    .setIssuedAt(now)
    .setExpirationTime(now + jwtExpiry)
    .sign(signingPrivateKey);
  return { token, expiresIn: jwtExpiry, expiresAt: now + jwtExpiry };
}

/** The claims of a token Auth trusts (the signing key, or the legacy secret); GoTrue's 403 bad_jwt otherwise. */
export async function verifyAccessToken(token: string): Promise<AccessClaims> {
  try {
    const { payload } = await jwtVerify(
      token,
      async (header) => {
        if (header.alg === "ES256" && header.kid === SIGNING_KEY_ID) return PUBLIC_JWK;
        if (header.alg === "HS256") return legacySecret;
        throw new Error(`no key for alg ${header.alg} and kid ${header.kid ?? "(none)"}`);
      },
      { algorithms: ["ES256", "HS256"] },
    );
    return payload as AccessClaims;
  } catch (error) {
    throw new AuthError(403, "bad_jwt", `invalid JWT: unable to parse or verify signature, ${(error as Error).message}`);
  }
}

const ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyz0123456789";

/** A new refresh token: 12 random lowercase letters and digits, as GoTrue's SecureAlphanumeric(12). */
export function newRefreshToken(): string {
  return [...randomBytes(12)].map((byte) => ALPHANUMERIC[byte % ALPHANUMERIC.length]).join("");
}
