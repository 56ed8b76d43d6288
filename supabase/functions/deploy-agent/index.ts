import { withCors } from "../_shared/cors.ts";
import { handleDeployAgent } from "./handler.ts";

Deno.serve(withCors(handleDeployAgent));
