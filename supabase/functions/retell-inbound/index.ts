import { handleInbound } from "./handler.ts";

Deno.serve(handleInbound);
