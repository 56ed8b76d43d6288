// What a tool the voice agent calls during a call looks like to retell-tools: a zod schema for its
// arguments and a function that answers with something the agent can say. The handler verifies the
// request, validates the arguments and makes every tool idempotent, so a tool never has to.
import type { z } from "zod";

/** Who and what a tool call is about, resolved by retell-tools before the tool runs. */
export type ToolContext = {
  /** Retell call id of the ongoing call. */
  callId: string;
  /** The business the call is for; null when the number belongs to no business. */
  userId: string | null;
  /** The business's IANA time zone (profiles.time_zone), for reading and phrasing times. */
  timeZone: string;
  /** The caller's number in E.164, when Retell knows it. */
  callerNumber: string | null;
  /** Request id of the gateway, for log lines. */
  requestId: string;
};

/**
 * What the tool answers. Retell hands the JSON body to the agent's LLM: `result` is the sentence the
 * agent should build its reply on; other keys are data the prompt may use. Must be plain JSON: it is
 * stored and replayed verbatim when Retell retries the same call.
 */
export type ToolResult = { result: string } & Record<string, unknown>;

export type Tool<Args = unknown> = {
  args: z.ZodType<Args>;
  run(context: ToolContext, args: Args): Promise<ToolResult>;
};

/** Keeps each tool's argument type tied to its schema when tools are gathered in a record. */
export function defineTool<Args>(tool: Tool<Args>): Tool<Args> {
  return tool;
}
