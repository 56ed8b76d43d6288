import { withCors } from "../_shared/cors.ts";
import { handleInbound } from "./handler.ts";

Deno.serve(withCors(handleInbound));
