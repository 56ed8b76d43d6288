// The agent's tool calls during a call: signed like webhooks, arguments validated per tool, each
// (call, tool, arguments) run once with its first result replayed to Retell's retries, and the
// calendar tools' spoken "not connected" answer until Cal.com is connected.
import { describe, expect, it } from "vitest";
import { callObject, postAsRetell } from "../../scripts/lib/call-simulator.ts";
import { sql } from "../helpers/stack.ts";
import { newBusiness, uniqueCallId, uniquePhone } from "./fixtures.ts";

const toolCall = (path: string, body: Record<string, unknown>) => postAsRetell(`retell-tools/${path}`, body);

async function ongoingCall() {
  const business = await newBusiness();
  const call = callObject({ callId: uniqueCallId(), to: business.number, from: uniquePhone() }, "started");
  return { business, call, callId: call.call_id as string };
}

const invocations = (callId: string) =>
  sql`select tool_name, args, user_id, attempts, result from public.tool_invocations where call_id = ${callId} order by created_at`;

describe("calendar tools before Cal.com is connected", () => {
  it("answer a sentence the agent can say", async () => {
    const { call } = await ongoingCall();
    for (const [name, args] of [
      ["check_calendar_availability", { preferred_date: "2030-01-15", preferred_time: "morning" }],
      ["book_appointment", { start: "2030-01-15T15:00:00-06:00", customer_name: "Robin Caller", customer_phone: "+14155551234" }],
    ] as const) {
      const answer = await toolCall(name, { name, call, args });
      expect(answer.status, name).toBe(200);
      expect(answer.body.result).toMatch(/calendar isn't connected yet.*call you back/);
    }
  });
});

describe("idempotency", () => {
  it("a retried tool call runs once and gets the first result; other arguments run again", async () => {
    const { business, call, callId } = await ongoingCall();
    const body = { name: "book_appointment", call, args: { start: "2030-02-01T09:00:00Z", customer_name: "Robin" } };
    const first = await toolCall("book_appointment", body);
    // The same arguments in another key order are the same call.
    const retry = await toolCall("book_appointment", { ...body, args: { customer_name: "Robin", start: "2030-02-01T09:00:00Z" } });
    expect(retry.body).toEqual(first.body);
    await toolCall("book_appointment", { ...body, args: { ...body.args, start: "2030-02-01T10:00:00Z" } });

    const rows = await invocations(callId);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ tool_name: "book_appointment", user_id: business.user.id, attempts: 1, result: first.body });
  });

  it("arguments at the root (args_at_root) are the same tool call", async () => {
    const { call, callId } = await ongoingCall();
    await toolCall("check_calendar_availability", { name: "check_calendar_availability", call, args: { preferred_date: "2030-03-03" } });
    await toolCall("check_calendar_availability", { name: "check_calendar_availability", call, preferred_date: "2030-03-03" });
    expect(await invocations(callId)).toHaveLength(1);
  });
});

describe("bad tool calls", () => {
  it("arguments the tool's schema refuses: 400 naming them, nothing run", async () => {
    const { call, callId } = await ongoingCall();
    const answer = await toolCall("book_appointment", { name: "book_appointment", call, args: { start: "next tuesday" } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe("invalid_arguments");
    expect(answer.body.error.message).toMatch(/start/);
    expect(answer.body.error.message).toMatch(/customer_name/);
    expect(await invocations(callId)).toHaveLength(0);
  });

  it("an unknown tool: 404", async () => {
    const { call } = await ongoingCall();
    const answer = await toolCall("transfer_money", { name: "transfer_money", call, args: {} });
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe("unknown_tool");
  });

  it("a URL and a body naming different tools: 400", async () => {
    const { call } = await ongoingCall();
    const answer = await toolCall("book_appointment", { name: "check_calendar_availability", call, args: {} });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe("tool_name_mismatch");
  });

  it("the tool named by the body alone works on the bare URL", async () => {
    const { call } = await ongoingCall();
    const answer = await postAsRetell("retell-tools", { name: "check_calendar_availability", call, args: {} });
    expect(answer.status).toBe(200);
  });
});
