// Signed-in users for tests and scripts, through the Auth stand-in exactly as the frontend signs its
// users in: supabase-js `auth.signUp` for a new email, `auth.signInWithPassword` for a known one,
// both with the local test password. The access token is the one Auth issued (ES256, with a kid).
import { decodeJwt } from "jose";
import { anonClient } from "./clients.ts";
import { TEST_PASSWORD } from "./config.ts";

export type SignedInUser = { id: string; email: string; sessionId: string; accessToken: string; refreshToken: string };

/**
 * Signs the user up if the email is new, else in; each call opens a new session. `userAgent` is
 * the browser Auth records on the session (the address is the one the gateway sees).
 */
export async function signIn(email: string, options: { userAgent?: string } = {}): Promise<SignedInUser> {
  const { auth } = anonClient(options.userAgent ? { "User-Agent": options.userAgent } : {});
  let answer = await auth.signUp({ email, password: TEST_PASSWORD });
  if (answer.error?.code === "user_already_exists") answer = await auth.signInWithPassword({ email, password: TEST_PASSWORD });
  const session = answer.data.session;
  if (answer.error || !session) throw new Error(`Signing ${email} in failed: ${answer.error?.message ?? "no session"}`);
  return {
    id: session.user.id,
    email: session.user.email ?? email,
    sessionId: String(decodeJwt(session.access_token).session_id),
    accessToken: session.access_token,
    refreshToken: session.refresh_token,
  };
}
