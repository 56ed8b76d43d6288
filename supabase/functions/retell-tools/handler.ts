// Custom functions the voice agent calls during a call (each tool's URL is /retell-tools/<name>,
// or the name comes from the body): verify the signature, validate the arguments with the tool's
// schema, then run the tool once per (call, tool, arguments). A retry by Retell gets the stored
// result of the first run; a run that fails gives its claim back, so the retry runs it again.
import { adminClient } from "../_shared/supabase.ts";
import { errorAnswer, HttpError, jsonResponse, requestIdOf } from "../_shared/http.ts";
import { log } from "../_shared/log.ts";
import { readRetellRequest } from "../_shared/retell-request.ts";
import { toE164 } from "../../../packages/shared/src/phone.ts";
import { toolArguments, toolCall } from "../../../packages/shared/src/retell-payloads.ts";
import { calendarTools } from "./calendar.ts";
import type { Tool, ToolResult } from "./tool.ts";

const tools: Record<string, Tool<unknown>> = { ...calendarTools };

// Spoken answers when the tool cannot run; the agent then takes the caller's details instead.
const TOOL_FAILED: ToolResult = {
  result: "Sorry, I couldn't do that just now. I'll take your details and the team will call you back.",
};
const TOOL_RUNNING: ToolResult = { result: "I'm still working on that. Give me a moment." };

type Claim =
  | { state: "claimed"; args_hash: string; user_id: string | null; time_zone: string }
  | { state: "done"; args_hash: string; result: ToolResult }
  | { state: "running"; args_hash: string };

/** The tool named by the URL (/retell-tools/<name>) or, failing that, by the body. */
function toolNameOf(request: Request, bodyName: string): string {
  const segments = new URL(request.url).pathname.split("/").filter(Boolean);
  const fromPath = segments[segments.indexOf("retell-tools") + 1];
  if (fromPath && fromPath !== bodyName) {
    throw new HttpError(400, "tool_name_mismatch", `The URL names tool ${fromPath} but the body names ${bodyName}`);
  }
  return bodyName;
}

export async function handleToolCall(request: Request): Promise<Response> {
  const requestId = requestIdOf(request);
  try {
    const payload = await readRetellRequest(request, toolCall);
    const name = toolNameOf(request, payload.name);
    const tool = tools[name];
    if (!tool) throw new HttpError(404, "unknown_tool", `No tool named ${name}`);
    const args = tool.args.safeParse(toolArguments(payload));
    if (!args.success) {
      const problems = args.error.issues.map((issue) => `${issue.path.join(".") || "args"}: ${issue.message}`);
      throw new HttpError(400, "invalid_arguments", problems.join("; "));
    }

    const call = payload.call;
    const outbound = call.direction === "outbound";
    const fields = { request_id: requestId, call_id: call.call_id, tool: name };
    const { data: claim, error: claimError } = await adminClient().rpc("claim_tool_invocation", {
      call_id: call.call_id,
      tool_name: name,
      args: args.data,
      business_number: toE164(outbound ? call.from_number : call.to_number),
    });
    if (claimError) {
      // Without the claim a retry could run the tool twice (book twice): do not run it.
      log("error", "tool call not claimed", { ...fields, error: claimError.message });
      return jsonResponse(200, TOOL_FAILED);
    }
    const claimed = claim as Claim;
    if (claimed.state === "done") {
      log("info", "tool call replayed", fields);
      return jsonResponse(200, claimed.result);
    }
    if (claimed.state === "running") return jsonResponse(200, TOOL_RUNNING);

    let result: ToolResult;
    try {
      result = await tool.run(
        {
          callId: call.call_id,
          userId: claimed.user_id,
          timeZone: claimed.time_zone,
          callerNumber: toE164(outbound ? call.to_number : call.from_number),
          requestId,
        },
        args.data,
      );
    } catch (error) {
      log("error", "tool failed", { ...fields, user_id: claimed.user_id, error: String(error) });
      const { error: releaseError } = await adminClient().rpc("release_tool_invocation", {
        call_id: call.call_id,
        tool_name: name,
        args_hash: claimed.args_hash,
      });
      if (releaseError) log("error", "tool claim not released", { ...fields, error: releaseError.message });
      return jsonResponse(200, TOOL_FAILED);
    }
    const { data: stored, error: storeError } = await adminClient().rpc("complete_tool_invocation", {
      call_id: call.call_id,
      tool_name: name,
      args_hash: claimed.args_hash,
      result,
    });
    if (storeError) log("error", "tool result not stored", { ...fields, error: storeError.message });
    log("info", "tool call answered", { ...fields, user_id: claimed.user_id });
    return jsonResponse(200, (stored as ToolResult | null) ?? result);
  } catch (error) {
    return errorAnswer(error, { function: "retell-tools", request_id: requestId });
  }
}

