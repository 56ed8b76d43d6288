import { withCors } from "../_shared/cors.ts";
import { handleSmsStatus } from "./handler.ts";

Deno.serve(withCors(handleSmsStatus));
