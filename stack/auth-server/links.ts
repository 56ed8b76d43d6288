// Email links and one-time codes: the admin API's generate_link makes them (the stand-in sends no
// email; the caller delivers the link), /verify redeems them. As GoTrue: a 6-digit code, its hash
// (sha224 of email + code) stored in the user's confirmation_token (invite) or recovery_token
// (magiclink, recovery) and in auth.one_time_tokens, valid for an hour.
import { createHash, randomInt, randomUUID } from "node:crypto";
import { AUTH_URL } from "../config.ts";
import { authSettings } from "../supabase-config.ts";
import { AuthError } from "./http.ts";
import { openSession, type Client } from "./sessions.ts";
import { createUser, findUserByEmail, normalizeEmail, userJson, type Sql, type UserRow } from "./users.ts";

/** GoTrue's default mailer_otp_exp. */
const LINK_LIFETIME_SECONDS = 3600;

const LINK_TYPES = ["invite", "magiclink", "recovery"] as const;
type LinkType = (typeof LINK_TYPES)[number];

const column = (type: LinkType) => (type === "invite" ? "confirmation_token" : "recovery_token");
const sentAtColumn = (type: LinkType) => (type === "invite" ? "confirmation_sent_at" : "recovery_sent_at");

const tokenHash = (email: string, code: string) => createHash("sha224").update(normalizeEmail(email) + code).digest("hex");

/** POST /admin/generate_link: the link (and code) for an invite, a magic link or a password recovery. */
export async function generateLink(
  sql: Sql,
  link: { type: string; email: string; data?: Record<string, unknown>; redirectTo?: string },
) {
  if (!(LINK_TYPES as readonly string[]).includes(link.type)) {
    throw new AuthError(400, "validation_failed", `Invalid email action link type requested: ${link.type}`);
  }
  const type = link.type as LinkType;
  let user = await findUserByEmail(sql, link.email);
  if (type === "invite") {
    if (user?.email_confirmed_at) {
      throw new AuthError(422, "email_exists", "A user with this email address has already been registered");
    }
    user ??= await createUser(sql, { email: link.email, confirmed: false, invited: true, userMetadata: link.data });
  } else if (!user) {
    throw new AuthError(404, "user_not_found", "User with this email not found");
  }

  const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
  const hashed = tokenHash(link.email, code);
  await sql`
    update auth.users set ${sql(column(type))} = ${hashed}, ${sql(sentAtColumn(type))} = now(), updated_at = now()
    where id = ${user.id}`;
  await sql`
    insert into auth.one_time_tokens (id, user_id, token_type, token_hash, relates_to)
    values (${randomUUID()}, ${user.id}, ${column(type)}, ${hashed}, ${normalizeEmail(link.email)})
    on conflict (user_id, token_type) do update set token_hash = excluded.token_hash, updated_at = now()`;

  const redirectTo = link.redirectTo ?? authSettings().siteUrl;
  const actionLink = new URL(`${AUTH_URL}/verify`);
  actionLink.search = new URLSearchParams({ token: hashed, type, redirect_to: redirectTo }).toString();
  const refreshed = (await findUserByEmail(sql, link.email))!;
  return {
    ...(await userJson(sql, refreshed)),
    action_link: actionLink.toString(),
    email_otp: code,
    hashed_token: hashed,
    verification_type: type,
    redirect_to: redirectTo,
  };
}

/**
 * /verify: redeems a link's hash (token_hash, or the link's `token`) or an email and its code. The
 * user is confirmed, the token used up, and a session opened.
 */
export async function verifyLink(sql: Sql, given: { type: string; hash?: string; email?: string; code?: string }, client: Client) {
  const type = (given.type === "signup" ? "invite" : given.type === "email" ? "magiclink" : given.type) as LinkType;
  if (!(LINK_TYPES as readonly string[]).includes(type)) {
    throw new AuthError(400, "validation_failed", `Verify requires a verification type: ${LINK_TYPES.join(", ")}`);
  }
  const hash = given.hash ?? (given.email && given.code ? tokenHash(given.email, given.code) : undefined);
  if (!hash) throw new AuthError(400, "validation_failed", "Verify requires a token_hash, or an email and its token");

  const [user] = await sql<UserRow[]>`
    select * from auth.users
    where ${sql(column(type))} = ${hash}
      and ${sql(sentAtColumn(type))} > now() - make_interval(secs => ${LINK_LIFETIME_SECONDS})`;
  if (!user) throw new AuthError(403, "otp_expired", "Email link is invalid or has expired");

  await sql`
    update auth.users set ${sql(column(type))} = '', email_confirmed_at = coalesce(email_confirmed_at, now()), updated_at = now()
    where id = ${user.id}`;
  await sql`update auth.identities set identity_data = identity_data || '{"email_verified": true}' where user_id = ${user.id} and provider = 'email'`;
  await sql`delete from auth.one_time_tokens where user_id = ${user.id} and token_type = ${column(type)}`;
  return openSession(sql, user, type === "invite" ? "invite" : "otp", client);
}
