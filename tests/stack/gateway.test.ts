// The first vertical slice: the gateway, PostgREST, RLS and the functions host working together.
import { describe, expect, it } from "vitest";
import { ANON_KEY, API_URL, anonClient, callFunction, newUser, serviceClient, sql } from "../helpers/stack.ts";

describe("gateway", () => {
  it("reaches the health function without a JWT (verify_jwt = false)", async () => {
    const { status, body } = await callFunction("health", { method: "GET" });
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: "ok", database: "ok" });
  });

  it("refuses a verify_jwt function without a valid JWT", async () => {
    const unknown = await callFunction("no-such-function");
    expect(unknown.status).toBe(401);
    const forged = await callFunction("no-such-function", { token: `${ANON_KEY.slice(0, -4)}AAAA` });
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe("invalid_jwt");
  });

  it("refuses /rest/v1 without an API key", async () => {
    const response = await fetch(`${API_URL}/rest/v1/black_box_events`);
    expect(response.status).toBe(401);
  });

  it("answers CORS preflight as Supabase does", async () => {
    const response = await fetch(`${API_URL}/rest/v1/black_box_events`, { method: "OPTIONS" });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("access-control-allow-headers")).toContain("apikey");
  });
});

describe("an RLS-protected table through supabase-js", () => {
  it("keeps each user to their own rows", async () => {
    const a = await newUser("slice-a");
    const b = await newUser("slice-b");

    const inserted = await a.client.from("black_box_events").insert({ event_type: "wizard.step_completed", payload: { step: 1 } }).select().single();
    expect(inserted.error).toBeNull();
    expect(inserted.data.user_id).toBe(a.id);

    const seenByA = await a.client.from("black_box_events").select("id, user_id");
    expect(seenByA.data).toEqual([{ id: inserted.data.id, user_id: a.id }]);

    const seenByB = await b.client.from("black_box_events").select("id");
    expect(seenByB.data).toEqual([]);

    const forgedOwner = await b.client.from("black_box_events").insert({ user_id: a.id, event_type: "wizard.forged" });
    expect(forgedOwner.error?.code).toBe("42501");

    const anonymous = await anonClient().from("black_box_events").select("id");
    expect(anonymous.data ?? []).toEqual([]);
    const anonymousWrite = await anonClient().from("black_box_events").insert({ event_type: "wizard.anon" });
    expect(anonymousWrite.error).not.toBeNull();

    const asService = await serviceClient().from("black_box_events").select("id").eq("user_id", a.id);
    expect(asService.data).toHaveLength(1);
  });

  it("refuses bad input with a clear error and writes nothing", async () => {
    const a = await newUser("slice-bad");
    const bad = await a.client.from("black_box_events").insert({ event_type: "Not A Valid Name!" });
    expect(bad.error?.code).toBe("23514");
    const [{ count }] = await sql`select count(*)::int from public.black_box_events where user_id = ${a.id}`;
    expect(count).toBe(0);
  });
});
