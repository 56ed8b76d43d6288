// The endpoints of Supabase Auth that our users and code need, with GoTrue's request and answer
// JSON and error codes (supabase/auth, internal/api). Paths are as Auth serves them, below /auth/v1.
import type postgres from "postgres";
import { JWKS } from "../keys.ts";
import { authSettings } from "../supabase-config.ts";
import { AuthError, json, objectField, stringField, type Answer, type AuthRequest } from "./http.ts";
import { generateLink, verifyLink } from "./links.ts";
import { endSessions, openSession, refreshSession, type Client } from "./sessions.ts";
import { verifyAccessToken, type AccessClaims } from "./tokens.ts";
import {
  checkPasswordStrength,
  createUser,
  findUserByEmail,
  findUserById,
  listUsers,
  mergeMetadata,
  passwordMatches,
  setPassword,
  userJson,
  validEmail,
  type Sql,
  type UserRow,
} from "./users.ts";

type Route = { method: string; pattern: RegExp; run: (req: AuthRequest, sql: postgres.Sql, params: string[]) => Promise<Answer> };

const INVALID_LOGIN = "Invalid login credentials";
const ADMIN_ROLES = ["service_role", "supabase_admin"];

/** The client as GoTrue records it on the session: user agent, and the address the gateway set. */
function clientOf(req: AuthRequest): Client {
  const forwarded = String(req.headers["x-forwarded-for"] ?? "").split(",")[0].trim();
  return { userAgent: req.headers["user-agent"] as string | undefined, ip: forwarded || undefined };
}

function bearer(req: AuthRequest): string {
  const token = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ""))?.[1];
  if (!token) throw new AuthError(401, "no_authorization", "This endpoint requires a valid Bearer token");
  return token;
}

/** requireAuthentication: a verified token whose user and session still exist. */
async function authenticatedUser(req: AuthRequest, sql: postgres.Sql): Promise<{ user: UserRow; claims: AccessClaims }> {
  const claims = await verifyAccessToken(bearer(req));
  if (!claims.sub) throw new AuthError(403, "bad_jwt", "invalid claim: missing sub claim");
  const user = await findUserById(sql, claims.sub);
  if (!user) throw new AuthError(403, "user_not_found", "User from sub claim in JWT does not exist");
  if (claims.session_id) {
    const [session] = await sql`select 1 from auth.sessions where id = ${claims.session_id}`;
    if (!session) throw new AuthError(403, "session_not_found", "Session from session_id claim in JWT does not exist");
  }
  return { user, claims };
}

/** requireAdmin: a token with the service_role (what the gateway sends for the secret key). */
async function requireAdmin(req: AuthRequest) {
  const claims = await verifyAccessToken(bearer(req));
  if (!ADMIN_ROLES.includes(String(claims.role))) throw new AuthError(403, "not_admin", "User not allowed");
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function userOr404(sql: Sql, id: string): Promise<UserRow> {
  if (!UUID.test(id)) throw new AuthError(400, "validation_failed", "user_id must be an UUID");
  const user = await findUserById(sql, id);
  if (!user) throw new AuthError(404, "user_not_found", "User not found");
  return user;
}

async function assertEmailFree(sql: Sql, email: string, exceptId?: string) {
  const existing = await findUserByEmail(sql, email);
  if (existing && existing.id !== exceptId) {
    throw new AuthError(422, "email_exists", "A user with this email address has already been registered");
  }
}

/** ban_duration: "none" lifts a ban, otherwise a Go duration such as "24h" or "90m". */
function bannedUntil(duration: string): Date | null {
  if (duration === "none") return null;
  const match = /^(\d+)(h|m|s)$/.exec(duration);
  if (!match) throw new AuthError(400, "validation_failed", "invalid format for ban duration: use a duration such as 24h, or none");
  const seconds = Number(match[1]) * { h: 3600, m: 60, s: 1 }[match[2] as "h" | "m" | "s"];
  return new Date(Date.now() + seconds * 1000);
}

async function signUp(req: AuthRequest, sql: postgres.Sql): Promise<Answer> {
  const email = validEmail(stringField(req.body, "email"));
  const password = checkPasswordStrength(stringField(req.body, "password"));
  const data = objectField(req.body, "data");
  return sql.begin(async (tx) => {
    if (await findUserByEmail(tx, email)) throw new AuthError(422, "user_already_exists", "User already registered");
    // Email confirmations are off, as `supabase start` has them: the user is confirmed and signed in.
    const user = await createUser(tx, { email, password, confirmed: true, userMetadata: data });
    return json(200, await openSession(tx, user, "password", clientOf(req)));
  });
}

async function passwordGrant(req: AuthRequest, sql: postgres.Sql): Promise<Answer> {
  const email = stringField(req.body, "email");
  const password = stringField(req.body, "password") ?? "";
  if (!email) throw new AuthError(400, "validation_failed", "missing email or phone");
  return sql.begin(async (tx) => {
    const user = await findUserByEmail(tx, email);
    if (!user || !(await passwordMatches(tx, user, password))) throw new AuthError(400, "invalid_credentials", INVALID_LOGIN);
    if (user.banned_until && user.banned_until > new Date()) throw new AuthError(400, "user_banned", "User is banned");
    if (!user.email_confirmed_at) throw new AuthError(400, "email_not_confirmed", "Email not confirmed");
    return json(200, await openSession(tx, user, "password", clientOf(req)));
  });
}

async function token(req: AuthRequest, sql: postgres.Sql): Promise<Answer> {
  const grant = req.query.get("grant_type");
  if (grant === "password") return passwordGrant(req, sql);
  if (grant === "refresh_token") {
    const refreshed = await sql.begin((tx) => refreshSession(tx, stringField(req.body, "refresh_token")));
    if ("replayed" in refreshed) throw refreshed.replayed;
    return json(200, refreshed);
  }
  throw new AuthError(400, "validation_failed", `unsupported_grant_type: ${grant ?? "(none)"}`);
}

async function getUser(req: AuthRequest, sql: postgres.Sql): Promise<Answer> {
  const { user } = await authenticatedUser(req, sql);
  return json(200, await userJson(sql, user));
}

async function updateUser(req: AuthRequest, sql: postgres.Sql): Promise<Answer> {
  const { user } = await authenticatedUser(req, sql);
  if (req.body.email !== undefined || req.body.phone !== undefined) {
    throw new AuthError(400, "validation_failed", "Changing the email or phone needs a confirmation email, which the local Auth stand-in does not send");
  }
  const password = stringField(req.body, "password");
  const data = objectField(req.body, "data");
  return sql.begin(async (tx) => {
    if (password !== undefined) {
      checkPasswordStrength(password);
      if (await passwordMatches(tx, user, password)) {
        throw new AuthError(422, "same_password", "New password should be different from the old password.");
      }
      await setPassword(tx, user.id, password);
    }
    if (data) await mergeMetadata(tx, user.id, "raw_user_meta_data", data);
    return json(200, await userJson(tx, (await findUserById(tx, user.id))!));
  });
}

async function logout(req: AuthRequest, sql: postgres.Sql): Promise<Answer> {
  const { user, claims } = await authenticatedUser(req, sql);
  await endSessions(sql, user.id, claims.session_id, req.query.get("scope") ?? "global");
  return { status: 204 };
}

/** GET /verify (the email link: a redirect with the session in the fragment) and POST /verify (JSON). */
async function verify(req: AuthRequest, sql: postgres.Sql): Promise<Answer> {
  const fromLink = req.method === "GET";
  const field = (name: string) => (fromLink ? req.query.get(name) ?? undefined : stringField(req.body, name));
  const type = field("type") ?? "";
  const given = {
    type,
    hash: fromLink ? field("token") : field("token_hash"),
    email: field("email"),
    code: fromLink ? undefined : field("token"),
  };
  if (!fromLink) return json(200, await sql.begin((tx) => verifyLink(tx, given, clientOf(req))));

  const redirect = new URL(field("redirect_to") ?? authSettings().siteUrl);
  try {
    const session = await sql.begin((tx) => verifyLink(tx, given, clientOf(req)));
    redirect.hash = new URLSearchParams({
      access_token: session.access_token,
      expires_at: String(session.expires_at),
      expires_in: String(session.expires_in),
      refresh_token: session.refresh_token,
      token_type: session.token_type,
      type,
    }).toString();
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    redirect.hash = new URLSearchParams({ error: "access_denied", error_code: error.code, error_description: error.message }).toString();
  }
  return { status: 303, headers: { location: redirect.toString() } };
}

async function adminListUsers(req: AuthRequest, sql: postgres.Sql): Promise<Answer> {
  await requireAdmin(req);
  const page = Math.max(1, Number(req.query.get("page") ?? 1) || 1);
  const perPage = Math.min(1000, Math.max(1, Number(req.query.get("per_page") ?? 50) || 50));
  const { total, users } = await listUsers(sql, page, perPage, req.query.get("filter") ?? undefined);
  const last = Math.max(1, Math.ceil(total / perPage));
  const link = (n: number, rel: string) => `</admin/users?page=${n}&per_page=${perPage}>; rel="${rel}"`;
  const links = [...(page < last ? [link(page + 1, "next")] : []), link(last, "last")];
  return json(200, { users: await Promise.all(users.map((u) => userJson(sql, u))), aud: "authenticated" }, {
    "x-total-count": String(total),
    link: links.join(", "),
  });
}

async function adminCreateUser(req: AuthRequest, sql: postgres.Sql): Promise<Answer> {
  await requireAdmin(req);
  const email = validEmail(stringField(req.body, "email"));
  const password = stringField(req.body, "password");
  if (password !== undefined) checkPasswordStrength(password);
  const ban = stringField(req.body, "ban_duration");
  return sql.begin(async (tx) => {
    await assertEmailFree(tx, email);
    const user = await createUser(tx, {
      email,
      password,
      confirmed: req.body.email_confirm === true,
      userMetadata: objectField(req.body, "user_metadata"),
      appMetadata: objectField(req.body, "app_metadata"),
    });
    if (ban) await tx`update auth.users set banned_until = ${bannedUntil(ban)} where id = ${user.id}`;
    return json(200, await userJson(tx, (await findUserById(tx, user.id))!));
  });
}

async function adminGetUser(req: AuthRequest, sql: postgres.Sql, [id]: string[]): Promise<Answer> {
  await requireAdmin(req);
  return json(200, await userJson(sql, await userOr404(sql, id)));
}

async function adminUpdateUser(req: AuthRequest, sql: postgres.Sql, [id]: string[]): Promise<Answer> {
  await requireAdmin(req);
  const email = req.body.email === undefined ? undefined : validEmail(stringField(req.body, "email"));
  const password = stringField(req.body, "password");
  if (password !== undefined) checkPasswordStrength(password);
  const ban = stringField(req.body, "ban_duration");
  return sql.begin(async (tx) => {
    const user = await userOr404(tx, id);
    if (email !== undefined && email !== user.email) {
      await assertEmailFree(tx, email, user.id);
      await tx`update auth.users set email = ${email}, updated_at = now() where id = ${user.id}`;
      await tx`update auth.identities set identity_data = identity_data || ${tx.json({ email })} where user_id = ${user.id} and provider = 'email'`;
    }
    if (password !== undefined) await setPassword(tx, user.id, password);
    if (req.body.email_confirm === true) await tx`update auth.users set email_confirmed_at = coalesce(email_confirmed_at, now()) where id = ${user.id}`;
    const userMetadata = objectField(req.body, "user_metadata");
    if (userMetadata) await mergeMetadata(tx, user.id, "raw_user_meta_data", userMetadata);
    const appMetadata = objectField(req.body, "app_metadata");
    if (appMetadata) await mergeMetadata(tx, user.id, "raw_app_meta_data", appMetadata);
    if (ban) await tx`update auth.users set banned_until = ${bannedUntil(ban)}, updated_at = now() where id = ${user.id}`;
    return json(200, await userJson(tx, (await findUserById(tx, user.id))!));
  });
}

async function adminDeleteUser(req: AuthRequest, sql: postgres.Sql, [id]: string[]): Promise<Answer> {
  await requireAdmin(req);
  if (req.body.should_soft_delete === true) {
    throw new AuthError(400, "validation_failed", "Soft deletion is not implemented by the local Auth stand-in");
  }
  await sql.begin(async (tx) => {
    const user = await userOr404(tx, id);
    await tx`delete from auth.users where id = ${user.id}`;
  });
  return json(200, {});
}

async function adminGenerateLink(req: AuthRequest, sql: postgres.Sql): Promise<Answer> {
  await requireAdmin(req);
  const email = validEmail(stringField(req.body, "email"));
  const link = {
    type: stringField(req.body, "type") ?? "",
    email,
    data: objectField(req.body, "data"),
    // supabase-js sends it as a query parameter, other clients in the body.
    redirectTo: req.query.get("redirect_to") ?? stringField(req.body, "redirect_to"),
  };
  return json(200, await sql.begin((tx) => generateLink(tx, link)));
}

const route = (method: string, path: string, run: Route["run"]): Route => ({
  method,
  pattern: new RegExp(`^${path.replace(/:[a-z_]+/g, "([^/]+)")}$`),
  run,
});

export const ROUTES: Route[] = [
  route("GET", "/health", async () => json(200, { version: "local", name: "GoTrue", description: "GoTrue is a user registration and authentication API" })),
  route("GET", "/.well-known/jwks.json", async () => json(200, JWKS, { "cache-control": "public, max-age=600" })),
  route("GET", "/settings", async () =>
    json(200, {
      external: { email: true, phone: false, anonymous_users: false },
      disable_signup: false,
      mailer_autoconfirm: true,
      phone_autoconfirm: false,
      sms_provider: "",
      saml_enabled: false,
    })),
  route("POST", "/signup", signUp),
  route("POST", "/token", token),
  route("GET", "/user", getUser),
  route("PUT", "/user", updateUser),
  route("POST", "/logout", logout),
  route("GET", "/verify", verify),
  route("POST", "/verify", verify),
  route("GET", "/admin/users", adminListUsers),
  route("POST", "/admin/users", adminCreateUser),
  route("GET", "/admin/users/:id", adminGetUser),
  route("PUT", "/admin/users/:id", adminUpdateUser),
  route("DELETE", "/admin/users/:id", adminDeleteUser),
  route("POST", "/admin/generate_link", adminGenerateLink),
];
