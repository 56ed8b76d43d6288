import { withCors } from "../_shared/cors.ts";
import { handleKick } from "./handler.ts";

Deno.serve(withCors(handleKick));
