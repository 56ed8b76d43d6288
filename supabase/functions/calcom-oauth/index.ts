import { withCors } from "../_shared/cors.ts";
import { handleCalcomOAuth } from "./handler.ts";

Deno.serve(withCors(handleCalcomOAuth));
