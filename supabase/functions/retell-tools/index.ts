import { handleToolCall } from "./handler.ts";

Deno.serve(handleToolCall);
