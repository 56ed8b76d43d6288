// Shapes of what Retell sends us (contracts.md section 1): the inbound webhook for calls and SMS,
// call event webhooks and custom-function (tool) calls, and what we answer to the inbound webhook.
// Schemas are lenient about fields we do not use (Retell adds fields over time) and strict about the
// ones we act on, with bounds the columns they land in can hold. Numbers are left as sent: callers
// normalise them with toE164. Text Postgres cannot store and deep nesting are refused before any
// schema runs (json-limits.ts, through parseJson).
import { z } from "zod";
import type { DynamicVariables } from "./dynamic-variables.ts";

const phoneText = z.string().max(40);

/**
 * Retell's timestamps: whole milliseconds since the epoch. Within 2000..2100, the window
 * private.epoch_ms takes: a value outside it is not a time a call happened (or is in seconds).
 */
export const RETELL_TIMESTAMP_RANGE_MS = { min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) - 1 } as const;
const epochMs = z.number().int().min(RETELL_TIMESTAMP_RANGE_MS.min).max(RETELL_TIMESTAMP_RANGE_MS.max);

/**
 * The longest call duration we take. Retell ends a call at its agent's max_call_duration_ms, at most
 * 2 hours; a day leaves room for a change there and fits calls.duration_ms (an integer) many times.
 */
export const MAX_CALL_DURATION_MS = 86_400_000;

/** POST to the number's inbound_webhook_url before a call connects. */
export const callInboundEvent = z.object({
  event: z.literal("call_inbound"),
  call_inbound: z.looseObject({
    to_number: phoneText,
    from_number: phoneText.nullish(),
    agent_id: z.string().nullish(),
    agent_version: z.number().int().nullish(),
    /** Present in recent deliveries only, for deduplication across retries. */
    call_id: z.string().min(1).max(200).nullish(),
  }),
});

/**
 * POST to the number's inbound_sms_webhook_url when an SMS starts a chat. Retell documents the
 * numbers and chat_id; the text fields are read when present (unconfirmed in Retell's docs).
 */
export const chatInboundEvent = z.object({
  event: z.literal("chat_inbound"),
  chat_inbound: z.looseObject({
    to_number: phoneText,
    from_number: phoneText,
    chat_id: z.string().min(1).max(200),
    agent_id: z.string().nullish(),
    agent_version: z.number().int().nullish(),
    message: z.string().nullish(),
    body: z.string().nullish(),
    text: z.string().nullish(),
  }),
});

export const inboundEvent = z.discriminatedUnion("event", [callInboundEvent, chatInboundEvent]);
export type InboundEvent = z.infer<typeof inboundEvent>;

export const callAnalysis = z.looseObject({
  call_summary: z.string().nullish(),
  user_sentiment: z.string().nullish(),
  call_successful: z.boolean().nullish(),
  in_voicemail: z.boolean().nullish(),
  custom_analysis_data: z.record(z.string(), z.unknown()).nullish(),
});

/** The call object of call events and tool calls (GET /v2/get-call shape; more fields as the call goes on). */
export const retellCall = z.looseObject({
  call_id: z.string().min(1).max(200),
  call_type: z.string().nullish(),
  agent_id: z.string().nullish(),
  agent_version: z.number().int().nullish(),
  direction: z.enum(["inbound", "outbound"]).nullish(),
  from_number: phoneText.nullish(),
  to_number: phoneText.nullish(),
  call_status: z.string().nullish(),
  start_timestamp: epochMs.nullish(),
  end_timestamp: epochMs.nullish(),
  duration_ms: z.number().int().min(0).max(MAX_CALL_DURATION_MS).nullish(),
  transcript: z.string().nullish(),
  transcript_object: z.array(z.unknown()).nullish(),
  recording_url: z.string().nullish(),
  disconnection_reason: z.string().nullish(),
  call_analysis: callAnalysis.nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
});
export type RetellCall = z.infer<typeof retellCall>;

/** Call lifecycle events we act on; others (e.g. transcript_updated) are acknowledged and ignored. */
export const CALL_EVENTS = [
  "call_started",
  "call_ended",
  "call_analyzed",
  "transfer_started",
  "transfer_bridged",
  "transfer_cancelled",
  "transfer_ended",
] as const;
export type CallEventName = (typeof CALL_EVENTS)[number];

export const callEvent = z.object({ event: z.string().min(1).max(100), call: retellCall });
export type CallEvent = z.infer<typeof callEvent>;

/** Custom-function call: `{name, call, args}`, or the arguments at the top level when `args_at_root`. */
export const toolCall = z.looseObject({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  call: retellCall,
  args: z.record(z.string(), z.unknown()).optional(),
});
export type ToolCall = z.infer<typeof toolCall>;

/** The arguments of a tool call, wherever Retell put them. */
export function toolArguments(call: ToolCall): Record<string, unknown> {
  if (call.args) return call.args;
  const { name: _name, call: _call, ...atRoot } = call;
  return atRoot;
}

/** Our answer to the inbound webhook (all optional for Retell; we always send the variables). */
export type InboundAnswer = {
  dynamic_variables: DynamicVariables;
  override_agent_id?: string;
  override_agent_version?: number;
  metadata?: Record<string, unknown>;
  /** Per-call settings over the agent's own (contract 1a); we set only the Retell LLM's prompt. */
  agent_override?: { retell_llm: { general_prompt: string; begin_message?: string } };
};
export type CallInboundResponse = { call_inbound: InboundAnswer };
export type ChatInboundResponse = { chat_inbound: InboundAnswer };
