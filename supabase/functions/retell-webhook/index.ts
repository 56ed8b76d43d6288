import { withCors } from "../_shared/cors.ts";
import { handleCallEvent } from "./handler.ts";

Deno.serve(withCors(handleCallEvent));
