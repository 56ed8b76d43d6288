import { withCors } from "../_shared/cors.ts";
import { handleRollouts } from "./handler.ts";

Deno.serve(withCors(handleRollouts));
