import { handleKick } from "./handler.ts";

Deno.serve(handleKick);
