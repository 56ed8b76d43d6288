// The project's keys as hosted has them: the publishable and secret API keys beside the legacy anon
// and service_role JWTs, for supabase-js, for the service role and for the internal calls SQL makes
// to functions; and a legacy HS256 user token still accepted where hosted still accepts it.
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createClient } from "@supabase/supabase-js";
import { decodeJwt } from "jose";
import ws from "ws";
import { describe, expect, it } from "vitest";
import { signJwt } from "../../stack/keys.ts";
import { ROOT } from "../../stack/config.ts";
import { ANON_KEY, API_URL, callFunction, newUser, PUBLISHABLE_KEY, SECRET_KEY, SERVICE_ROLE_KEY, sql } from "../helpers/stack.ts";

const client = (key: string, headers: Record<string, string> = {}) =>
  createClient(API_URL, key, { auth: { persistSession: false }, realtime: { transport: ws as unknown as typeof WebSocket }, global: { headers } });

describe("the publishable key", () => {
  it("reads as anon, and as the signed-in user under RLS", async () => {
    const plans = await client(PUBLISHABLE_KEY).from("plans").select("id");
    expect(plans.error).toBeNull();
    expect(plans.data!.length).toBeGreaterThan(0);
    expect((await client(PUBLISHABLE_KEY).from("profiles").select("id")).error?.code).toBe("42501");

    const owner = await newUser("publishable");
    const mine = await client(PUBLISHABLE_KEY, { Authorization: `Bearer ${owner.accessToken}` }).from("profiles").select("id");
    expect(mine.data).toEqual([{ id: owner.id }]);
  });

  it("is refused in Authorization unless it is the apikey itself", async () => {
    const response = await fetch(`${API_URL}/rest/v1/plans`, { headers: { apikey: PUBLISHABLE_KEY, authorization: `Bearer ${SECRET_KEY}` } });
    expect(response.status).toBe(401);
    expect((await fetch(`${API_URL}/rest/v1/plans`, { headers: { apikey: "sb_publishable_not_ours" } })).status).toBe(401);
  });
});

describe("the secret key", () => {
  it("is the service role for PostgREST and for Auth's admin API", async () => {
    const owner = await newUser("secret");
    const role = await client(SECRET_KEY).rpc("consume_rate_limit", { bucket: `secret-key:${owner.id}`, max_hits: 1, window_seconds: 60 });
    expect(role.error).toBeNull();
    expect((await client(PUBLISHABLE_KEY).rpc("consume_rate_limit", { bucket: "x", max_hits: 1, window_seconds: 60 })).error?.code).toBe("42501");
    expect((await client(SECRET_KEY).auth.admin.getUserById(owner.id)).data.user?.email).toBe(owner.email);
  });

  it("is refused from a browser, as hosted refuses it", async () => {
    const browser = { "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36" };
    const response = await fetch(`${API_URL}/rest/v1/plans`, { headers: { apikey: SECRET_KEY, ...browser } });
    expect(response.status).toBe(401);
    expect((await fetch(`${API_URL}/rest/v1/plans`, { headers: { apikey: PUBLISHABLE_KEY, ...browser } })).status).toBe(200);
  });

  it("and the legacy service_role JWT both authenticate internal calls to functions; other keys do not", async () => {
    const kick = (headers: Record<string, string>) => callFunction("agent-deployer", { headers, body: { user_id: randomUUID() } });
    expect((await kick({ apikey: SECRET_KEY, authorization: `Bearer ${SECRET_KEY}` })).status).toBe(200);
    expect((await kick({ authorization: `Bearer ${SERVICE_ROLE_KEY}` })).status).toBe(200);
    expect((await kick({ apikey: PUBLISHABLE_KEY })).status).toBe(403);
    expect((await kick({ authorization: `Bearer ${ANON_KEY}` })).status).toBe(403);
    expect((await kick({ apikey: "sb_secret_not_ours" })).status).toBe(403);
  });

  it("is what the database's kicks use: the Vault holds it, and the kick reaches agent-deployer", async () => {
    const [vault] = await sql`select decrypted_secret from vault.decrypted_secrets where name = 'service_role_key'`;
    expect(vault.decrypted_secret).toBe(SECRET_KEY);
    const [{ id }] = await sql`select private.kick_agent_deployer(${randomUUID()}) as id`;
    let answered: { status_code: number | null } | undefined;
    for (let i = 0; i < 100 && !answered?.status_code; i++) {
      await new Promise((r) => setTimeout(r, 100));
      [answered] = await sql`select status_code from net._http_response where id = ${id}`;
    }
    expect(answered?.status_code).toBe(200);
  });
});

describe("legacy JWTs", () => {
  it("an HS256 user token signed with the legacy secret still works with PostgREST and Auth, as on hosted until that key is revoked", async () => {
    const owner = await newUser("legacy");
    const claims = decodeJwt(owner.accessToken);
    const legacy = signJwt({ ...claims });
    const rest = await client(PUBLISHABLE_KEY, { Authorization: `Bearer ${legacy}` }).from("profiles").select("id");
    expect(rest.data).toEqual([{ id: owner.id }]);
    expect((await client(ANON_KEY).auth.getUser(legacy)).data.user?.id).toBe(owner.id);
    // Functions verify against the JWKS only, which publishes no shared secret.
    expect((await callFunction("calcom-oauth/status", { method: "GET", token: legacy })).status).toBe(401);
  });

  it("the anon and service_role keys still work as apikey", async () => {
    expect((await client(ANON_KEY).from("plans").select("id")).error).toBeNull();
    expect((await client(SERVICE_ROLE_KEY).auth.admin.listUsers({ perPage: 1 })).error).toBeNull();
  });
});

it("`stack status -o env` prints every key", () => {
  const result = spawnSync(process.execPath, ["--import", "tsx", "stack/cli.ts", "status", "-o", "env"], { cwd: ROOT, encoding: "utf8" });
  expect(result.status).toBe(0);
  for (const line of [`PUBLISHABLE_KEY="${PUBLISHABLE_KEY}"`, `SECRET_KEY="${SECRET_KEY}"`, `ANON_KEY="${ANON_KEY}"`, `SERVICE_ROLE_KEY="${SERVICE_ROLE_KEY}"`]) {
    expect(result.stdout).toContain(line);
  }
});
