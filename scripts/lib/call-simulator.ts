// Plays what Retell does during a phone call against the local stack, through the gateway and
// signed with the Retell API key exactly as Retell signs: the inbound webhook, call_started, the
// agent's tool calls, call_ended and call_analyzed. Used by `npm run simulate -- call`, by tests and
// by the demo story.
import Retell from "retell-sdk";
import { randomUUID } from "node:crypto";
import { API_URL } from "../../stack/config.ts";
import { functionEnv } from "../../stack/functions.ts";

/** The local stack's functions; SIMULATE_FUNCTIONS_URL points the simulator at another gateway. */
export const FUNCTIONS_URL = process.env.SIMULATE_FUNCTIONS_URL ?? `${API_URL}/functions/v1`;

export type Answer = { status: number; body: any; headers: Headers };
/** One request the simulator sent as Retell (where and what), and the answer it got. */
export type Step = Answer & { step: string; path: string; request: unknown; ms: number };

let apiKey: string | undefined;
/** The key Retell signs with: RETELL_API_KEY from the environment, else the functions' own. */
export function retellApiKey(): string {
  apiKey ??= process.env.RETELL_API_KEY ?? functionEnv().RETELL_API_KEY;
  if (!apiKey) throw new Error("RETELL_API_KEY is not set in supabase/functions/.env");
  return apiKey;
}

/**
 * POSTs `body` to a function as Retell would. `signature` overrides the header (null: no header) to
 * play a forged or unsigned request.
 */
export async function postAsRetell(path: string, body: unknown, options: { signature?: string | null } = {}): Promise<Answer> {
  const rawBody = typeof body === "string" ? body : JSON.stringify(body);
  const signature = options.signature === undefined ? await Retell.sign(rawBody, retellApiKey()) : options.signature;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (signature !== null) headers["x-retell-signature"] = signature;
  const response = await fetch(`${FUNCTIONS_URL}/${path}`, { method: "POST", headers, body: rawBody });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

export type CallScript = {
  /** The business's Retell number (to) and the caller (from), E.164. */
  to: string;
  from: string;
  callId?: string;
  /** Length of the connected call; billable minutes are its ceiling. */
  minutes?: number;
  /** Also book the first slot the agent offers (book_appointment), when the calendar offers one. */
  book?: boolean;
  /** The post-call analysis Retell sends with call_analyzed; default: a lead for an AC repair. */
  analysis?: Record<string, unknown>;
  /** The caller never speaks (a hang-up, a robocall, an agent ending a blocked call): no tool calls, only the agent in the transcript. */
  silent?: boolean;
  /** Called after each step, e.g. to print it. */
  onStep?: (step: Step) => void;
};

export const DEFAULT_ANALYSIS = {
  call_summary: "The caller's AC stopped cooling; they want a technician this week.",
  user_sentiment: "Positive",
  call_successful: true,
  in_voicemail: false,
  custom_analysis_data: { is_lead: true, customer_name: "Sam Caller", service_needed: "AC repair", urgency: "high" },
};

/** Retell's analysis of a call in which the caller said nothing: no lead. */
const SILENT_ANALYSIS = {
  call_summary: "The caller did not speak.",
  user_sentiment: "Unknown",
  call_successful: false,
  in_voicemail: false,
  custom_analysis_data: {},
};

/** The call object Retell sends at each stage (GET /v2/get-call shape). */
export function callObject(
  script: Pick<CallScript, "to" | "from" | "minutes" | "analysis" | "silent"> & { callId: string },
  stage: "started" | "ended" | "analyzed",
  extra: { agentId?: string; metadata?: Record<string, unknown>; variables?: Record<string, string>; endedAt?: number } = {},
): Record<string, unknown> {
  const durationMs = Math.round((script.minutes ?? 2) * 60_000);
  const endedAt = extra.endedAt ?? Date.now();
  const call: Record<string, unknown> = {
    call_id: script.callId,
    call_type: "phone_call",
    agent_id: extra.agentId ?? "agent_master_hvac",
    agent_version: 1,
    direction: "inbound",
    from_number: script.from,
    to_number: script.to,
    call_status: stage === "started" ? "ongoing" : "ended",
    start_timestamp: endedAt - durationMs,
    ...(extra.metadata ? { metadata: extra.metadata } : {}),
    ...(extra.variables ? { retell_llm_dynamic_variables: extra.variables } : {}),
  };
  if (stage === "started") return call;
  Object.assign(call, {
    end_timestamp: endedAt,
    duration_ms: durationMs,
    disconnection_reason: "user_hangup",
    recording_url: `https://recordings.example.com/${script.callId}.wav`,
    ...(script.silent
      ? {
        transcript: "Agent: Thanks for calling, how can I help?",
        transcript_object: [{ role: "agent", content: "Thanks for calling, how can I help?", words: [] }],
      }
      : {
        transcript: "Agent: Thanks for calling, how can I help?\nUser: My AC stopped cooling.",
        transcript_object: [
          { role: "agent", content: "Thanks for calling, how can I help?", words: [] },
          { role: "user", content: "My AC stopped cooling.", words: [] },
        ],
      }),
  });
  if (stage === "analyzed") call.call_analysis = script.analysis ?? (script.silent ? SILENT_ANALYSIS : DEFAULT_ANALYSIS);
  return call;
}

/** Tomorrow's date (UTC), the day the simulated caller asks about. */
function tomorrow(): string {
  return new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
}

/** Plays one whole call; returns its id and every step's answer. */
export async function simulateCall(script: CallScript): Promise<{ callId: string; steps: Step[] }> {
  const callId = script.callId ?? `call_sim_${randomUUID().replaceAll("-", "")}`;
  const steps: Step[] = [];
  const run = async (step: string, path: string, body: unknown) => {
    const started = performance.now();
    const answer = await postAsRetell(path, body);
    const done: Step = { step, path, request: body, ...answer, ms: Math.round(performance.now() - started) };
    steps.push(done);
    script.onStep?.(done);
    return done;
  };

  const inbound = await run("call_inbound", "retell-inbound", {
    event: "call_inbound",
    call_inbound: { from_number: script.from, to_number: script.to, call_id: callId },
  });
  const answer = inbound.body?.call_inbound ?? {};
  // The call connects once the inbound webhook has answered and lasts `minutes`, played faster than
  // real time; its events carry what the inbound answer set, as Retell's do.
  const endedAt = Date.now() + Math.round((script.minutes ?? 2) * 60_000);
  const extra = { agentId: answer.override_agent_id, metadata: answer.metadata, variables: answer.dynamic_variables, endedAt };
  const stage = (name: "started" | "ended" | "analyzed") => callObject({ ...script, callId }, name, extra);

  await run("call_started", "retell-webhook", { event: "call_started", call: stage("started") });
  // A silent caller asks for nothing.
  if (!script.silent) {
    const availability = await run("check_calendar_availability", "retell-tools/check_calendar_availability", {
      name: "check_calendar_availability",
      call: stage("started"),
      args: { preferred_date: tomorrow() },
    });
    // The caller takes the first slot the agent read out; with no calendar there is none to book.
    const firstSlot: string | undefined = availability.body?.slots?.[0]?.start;
    if (script.book && firstSlot) {
      await run("book_appointment", "retell-tools/book_appointment", {
        name: "book_appointment",
        call: stage("started"),
        args: { start: firstSlot, customer_name: "Sam Caller", customer_phone: script.from, service: "AC repair" },
      });
    }
  }
  await run("call_ended", "retell-webhook", { event: "call_ended", call: stage("ended") });
  await run("call_analyzed", "retell-webhook", { event: "call_analyzed", call: stage("analyzed") });
  return { callId, steps };
}

/** Delivers the very same requests again, as Retell does when it retries; returns the answers. */
export async function redeliver(steps: Step[]): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (const step of steps) answers.push(await postAsRetell(step.path, step.request));
  return answers;
}
