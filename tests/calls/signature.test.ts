// Retell's signature (x-retell-signature) on every request Retell makes to us: our WebCrypto check
// agrees with the official SDK, and each function refuses an unsigned or forged request with 401
// and writes nothing.
import { describe, expect, it } from "vitest";
import Retell from "retell-sdk";
import { symmetric } from "retell-sdk/lib/webhook_auth";
import { verifyRetellSignature } from "../../supabase/functions/_shared/retell-signature.ts";
import { callObject, postAsRetell, retellApiKey } from "../../scripts/lib/call-simulator.ts";
import { sql } from "../helpers/stack.ts";
import { newBusiness, storedCall, uniqueCallId, uniquePhone } from "./fixtures.ts";

const KEY = "key_signature_test";
const BODY = JSON.stringify({ event: "call_started", call: { call_id: "call_sig" } });

describe("verifyRetellSignature", () => {
  it("accepts what retell-sdk signs", async () => {
    expect(await verifyRetellSignature(BODY, await Retell.sign(BODY, KEY), KEY)).toBe(true);
  });

  it("rejects another body, another key, a malformed or missing header", async () => {
    const signature = await Retell.sign(BODY, KEY);
    expect(await verifyRetellSignature(BODY + " ", signature, KEY)).toBe(false);
    expect(await verifyRetellSignature(BODY, signature, "key_other")).toBe(false);
    expect(await verifyRetellSignature(BODY, signature.replace("d=", "d=0"), KEY)).toBe(false);
    expect(await verifyRetellSignature(BODY, "v=123", KEY)).toBe(false);
    expect(await verifyRetellSignature(BODY, null, KEY)).toBe(false);
    expect(await verifyRetellSignature(BODY, signature, "")).toBe(false);
  });

  it("rejects a timestamp more than five minutes away, either way", async () => {
    const now = Date.now();
    const old = await symmetric.sign(BODY, KEY, now - 5 * 60_000 - 1);
    const future = await symmetric.sign(BODY, KEY, now + 5 * 60_000 + 1);
    const edge = await symmetric.sign(BODY, KEY, now - 5 * 60_000 + 1000);
    expect(await verifyRetellSignature(BODY, old, KEY, now)).toBe(false);
    expect(await verifyRetellSignature(BODY, future, KEY, now)).toBe(false);
    expect(await verifyRetellSignature(BODY, edge, KEY, now)).toBe(true);
  });
});

describe("unsigned and forged requests", () => {
  const forgeries = async (body: string) => ({
    missing: null,
    "signed with another key": await Retell.sign(body, "key_not_ours"),
    "stale": await symmetric.sign(body, retellApiKey(), Date.now() - 10 * 60_000),
    "of another body": await Retell.sign(body.replace("}", ', "x": 1}'), retellApiKey()),
  });

  it("retell-inbound answers 401 and records no refused call", async () => {
    const callId = uniqueCallId();
    const body = JSON.stringify({ event: "call_inbound", call_inbound: { from_number: uniquePhone(), to_number: uniquePhone(), call_id: callId } });
    for (const [name, signature] of Object.entries(await forgeries(body))) {
      const answer = await postAsRetell("retell-inbound", body, { signature });
      expect(answer.status, name).toBe(401);
      expect(answer.body.error.code, name).toBe("invalid_signature");
    }
    expect(await storedCall(callId)).toBeUndefined();
    // The same body, signed, is accepted (and records the unknown number's call as refused).
    expect((await postAsRetell("retell-inbound", body)).status).toBe(200);
    expect((await storedCall(callId))?.status).toBe("refused");
  });

  it("retell-webhook answers 401 and writes no call, usage or outbox row", async () => {
    const business = await newBusiness();
    const callId = uniqueCallId();
    const body = JSON.stringify({ event: "call_ended", call: callObject({ callId, to: business.number, from: uniquePhone() }, "ended") });
    for (const [name, signature] of Object.entries(await forgeries(body))) {
      expect((await postAsRetell("retell-webhook", body, { signature })).status, name).toBe(401);
    }
    expect(await storedCall(callId)).toBeUndefined();
    const [written] = await sql`
      select (select count(*) from public.usage_calls where call_id = ${callId})::int as usage,
             (select count(*) from public.webhook_queue where dedupe_key = ${`call_ended:${callId}`})::int as outbox`;
    expect(written).toEqual({ usage: 0, outbox: 0 });
  });

  it("retell-tools answers 401 and runs nothing", async () => {
    const callId = uniqueCallId();
    const body = JSON.stringify({
      name: "check_calendar_availability",
      call: callObject({ callId, to: uniquePhone(), from: uniquePhone() }, "started"),
      args: {},
    });
    for (const [name, signature] of Object.entries(await forgeries(body))) {
      expect((await postAsRetell("retell-tools/check_calendar_availability", body, { signature })).status, name).toBe(401);
    }
    const [{ count }] = await sql`select count(*)::int as count from public.tool_invocations where call_id = ${callId}`;
    expect(count).toBe(0);
  });
});
