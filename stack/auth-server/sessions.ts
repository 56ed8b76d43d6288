// Sessions and refresh tokens in Auth's tables: a sign-in opens a session (with the client's user
// agent and address as the gateway reports them) and its first refresh token; each refresh revokes
// the token it used and issues its child. A revoked token used again within the reuse interval gets
// the current child (two tabs refreshing at once); after that it is a replay, and the session's
// tokens are all revoked (that revocation is kept: the caller commits, then answers the error).
import { randomUUID } from "node:crypto";
import { AuthError } from "./http.ts";
import { newRefreshToken, signAccessToken } from "./tokens.ts";
import { findUserById, recordSignIn, userJson, type Sql, type UserRow } from "./users.ts";

/** GoTrue's default refresh token reuse interval. */
const REUSE_INTERVAL_SECONDS = 10;

export type Client = { userAgent: string | undefined; ip: string | undefined };

type RefreshTokenRow = { id: number; token: string; user_id: string; session_id: string | null; revoked: boolean; parent: string | null };

async function amrOf(sql: Sql, sessionId: string) {
  const claims = await sql<{ authentication_method: string; created_at: Date }[]>`
    select authentication_method, created_at from auth.mfa_amr_claims where session_id = ${sessionId} order by created_at`;
  return claims.map((c) => ({ method: c.authentication_method, timestamp: Math.floor(c.created_at.getTime() / 1000) }));
}

export type TokenResponse = Awaited<ReturnType<typeof tokenResponse>>;

/** The answer of every grant: GoTrue's AccessTokenResponse. */
async function tokenResponse(sql: Sql, user: UserRow, sessionId: string, refreshToken: string) {
  const { token, expiresIn, expiresAt } = await signAccessToken(user, sessionId, await amrOf(sql, sessionId));
  return {
    access_token: token,
    token_type: "bearer",
    expires_in: expiresIn,
    expires_at: expiresAt,
    refresh_token: refreshToken,
    user: await userJson(sql, user),
  };
}

/** Signs the user in: a new session, its authentication method, its first refresh token. */
export async function openSession(sql: Sql, user: UserRow, method: string, client: Client) {
  const sessionId = randomUUID();
  await sql`
    insert into auth.sessions (id, user_id, created_at, updated_at, aal, user_agent, ip)
    values (${sessionId}, ${user.id}, now(), now(), 'aal1', ${client.userAgent ?? null}, ${client.ip || null})`;
  await sql`
    insert into auth.mfa_amr_claims (id, session_id, created_at, updated_at, authentication_method)
    values (${randomUUID()}, ${sessionId}, now(), now(), ${method})`;
  const refreshToken = newRefreshToken();
  await sql`
    insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
    values ('00000000-0000-0000-0000-000000000000', ${refreshToken}, ${user.id}, false, now(), now(), null, ${sessionId})`;
  await recordSignIn(sql, user.id);
  const signedIn = (await findUserById(sql, user.id))!;
  return tokenResponse(sql, signedIn, sessionId, refreshToken);
}

export async function refreshSession(sql: Sql, given: string | undefined): Promise<TokenResponse | { replayed: AuthError }> {
  if (!given) throw new AuthError(400, "validation_failed", "refresh_token required");
  const [used] = await sql<RefreshTokenRow[]>`select * from auth.refresh_tokens where token = ${given} for update`;
  if (!used) throw new AuthError(400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
  const [session] = used.session_id ? await sql<{ id: string }[]>`select id from auth.sessions where id = ${used.session_id}` : [];
  if (!session) throw new AuthError(400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
  const user = await findUserById(sql, used.user_id, "refreshing token");
  if (!user) throw new AuthError(400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
  if (user.banned_until && user.banned_until > new Date()) throw new AuthError(400, "user_banned", "User is banned");

  if (used.revoked) {
    const [child] = await sql<{ token: string }[]>`
      select token from auth.refresh_tokens
      where parent = ${used.token} and revoked = false and created_at > now() - make_interval(secs => ${REUSE_INTERVAL_SECONDS})`;
    if (child) return tokenResponse(sql, user, session.id, child.token);
    await sql`update auth.refresh_tokens set revoked = true, updated_at = now() where session_id = ${session.id}`;
    return { replayed: new AuthError(400, "refresh_token_already_used", "Invalid Refresh Token: Already Used") };
  }

  await sql`update auth.refresh_tokens set revoked = true, updated_at = now() where id = ${used.id}`;
  const next = newRefreshToken();
  await sql`
    insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
    values ('00000000-0000-0000-0000-000000000000', ${next}, ${user.id}, false, now(), now(), ${used.token}, ${session.id})`;
  await sql`update auth.sessions set refreshed_at = now() at time zone 'utc', updated_at = now() where id = ${session.id}`;
  return tokenResponse(sql, user, session.id, next);
}

/** POST /logout: scope global (every session of the user), local (this one) or others. */
export async function endSessions(sql: Sql, userId: string, sessionId: string | undefined, scope: string) {
  if (scope === "local") {
    if (sessionId) await sql`delete from auth.sessions where id = ${sessionId}`;
  } else if (scope === "others") {
    await sql`delete from auth.sessions where user_id = ${userId} and id is distinct from ${sessionId ?? null}::uuid`;
  } else if (scope === "global") {
    await sql`delete from auth.sessions where user_id = ${userId}`;
  } else {
    throw new AuthError(400, "validation_failed", "Unsupported logout scope; use global, local or others");
  }
}
