// Signed-in users for tests and scripts: the local stack has no Auth server, so this creates the
// auth.users and auth.sessions rows Supabase Auth would create and mints the access token it would issue.
import postgres from "postgres";
import { DB_URL } from "./config.ts";
import { signJwt } from "./keys.ts";

export type SignedInUser = { id: string; email: string; sessionId: string; accessToken: string };

let sql: postgres.Sql | undefined;
function db(): postgres.Sql {
  sql ??= postgres(DB_URL, { max: 2, onnotice: () => {} });
  return sql;
}

/** Creates the user if the email is new, opens a session, and returns its access token. */
export async function signIn(
  email: string,
  options: { userAgent?: string; ip?: string; ttlSeconds?: number } = {},
): Promise<SignedInUser> {
  const [user] = await db()`
    insert into auth.users (email, email_confirmed_at, raw_app_meta_data)
    values (${email}, now(), '{"provider":"email","providers":["email"]}')
    on conflict (email) where is_sso_user = false do update set last_sign_in_at = now()
    returning id`;
  const [session] = await db()`
    insert into auth.sessions (user_id, user_agent, ip, aal)
    values (${user.id}, ${options.userAgent ?? "local-stack"}, ${options.ip ?? "127.0.0.1"}, 'aal1')
    returning id`;
  const now = Math.floor(Date.now() / 1000);
  const accessToken = signJwt({
    aud: "authenticated",
    iss: "http://127.0.0.1:54321/auth/v1",
    sub: user.id,
    email,
    role: "authenticated",
    aal: "aal1",
    session_id: session.id,
    iat: now,
    exp: now + (options.ttlSeconds ?? 3600),
    app_metadata: { provider: "email" },
    user_metadata: {},
  });
  return { id: user.id, email, sessionId: session.id, accessToken };
}

export async function closeAuthPool(): Promise<void> {
  await sql?.end();
  sql = undefined;
}
