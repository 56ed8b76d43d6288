import { withCors } from "../_shared/cors.ts";
import { handleHealth } from "./handler.ts";

Deno.serve(withCors(handleHealth));
