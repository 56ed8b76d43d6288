import { withCors } from "../_shared/cors.ts";
import { handleHealthCheck } from "./handler.ts";

Deno.serve(withCors(handleHealthCheck));
