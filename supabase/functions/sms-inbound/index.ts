import { withCors } from "../_shared/cors.ts";
import { handleSmsInbound } from "./handler.ts";

Deno.serve(withCors(handleSmsInbound));
