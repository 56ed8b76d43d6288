import { handleDemoCall } from "./handler.ts";

Deno.serve(handleDemoCall);
