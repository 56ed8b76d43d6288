// A Supabase app gets a profile row for every new auth user, created by a trigger on auth.users.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { TEST_PASSWORD } from "../../stack/config.ts";
import { anonClient, newUser, serviceClient, sql } from "../helpers/stack.ts";

describe("the profile trigger", () => {
  it("gives a newly signed-up user a profile they can read, with defaults", async () => {
    const user = await newUser("signup");
    const { data, error } = await user.client.from("profiles").select("id, email, time_zone, agent_tone, referral_code, consent_version").single();
    expect(error).toBeNull();
    expect(data).toMatchObject({ id: user.id, email: user.email, time_zone: "America/New_York", agent_tone: "friendly", consent_version: null });
    expect(data?.referral_code).toMatch(/^[0-9A-F]{12}$/);
  });

  it("takes the full name from the sign-up metadata", async () => {
    const email = `signup-meta-${randomUUID().slice(0, 8)}@test.local`;
    const { data, error } = await anonClient().auth.signUp({ email, password: TEST_PASSWORD, options: { data: { full_name: "Mo Metadata" } } });
    expect(error).toBeNull();
    const [profile] = await sql`select email, full_name from public.profiles where id = ${data.user!.id}`;
    expect(profile).toEqual({ email, full_name: "Mo Metadata" });
  });

  it("follows the user's confirmed email when Auth changes it", async () => {
    const user = await newUser("signup-moved");
    const moved = `moved-${randomUUID().slice(0, 8)}@test.local`;
    const { error } = await serviceClient().auth.admin.updateUserById(user.id, { email: moved, email_confirm: true });
    expect(error).toBeNull();
    const [profile] = await sql`select email from public.profiles where id = ${user.id}`;
    expect(profile.email).toBe(moved);
  });

  it("keeps the old email while the new one of an unconfirmed account is not confirmed", async () => {
    const id = randomUUID();
    const email = `unconfirmed-${id.slice(0, 8)}@test.local`;
    await sql`insert into auth.users (id, email, aud, role) values (${id}, ${email}, 'authenticated', 'authenticated')`;
    await sql`update auth.users set email = ${"later-" + email} where id = ${id}`;
    expect((await sql`select email from public.profiles where id = ${id}`)[0].email).toBe(email);
    await sql`update auth.users set email_confirmed_at = now() where id = ${id}`;
    expect((await sql`select email from public.profiles where id = ${id}`)[0].email).toBe("later-" + email);
    await sql`delete from auth.users where id = ${id}`;
  });

  it("goes away with the user", async () => {
    const user = await newUser("signup-deleted");
    await sql`delete from auth.users where id = ${user.id}`;
    expect(await sql`select 1 from public.profiles where id = ${user.id}`).toHaveLength(0);
  });
});
