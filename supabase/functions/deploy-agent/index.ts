import { handleDeployAgent } from "./handler.ts";

Deno.serve(handleDeployAgent);
