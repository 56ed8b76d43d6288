import { withCors } from "../_shared/cors.ts";
import { handleSync } from "./handler.ts";

Deno.serve(withCors(handleSync));
