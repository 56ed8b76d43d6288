import { handleCallEvent } from "./handler.ts";

Deno.serve(handleCallEvent);
