import { withCors } from "../_shared/cors.ts";
import { handleToolCall } from "./handler.ts";

Deno.serve(withCors(handleToolCall));
