import { withCors } from "../_shared/cors.ts";
import { handleCalcomOAuthCallback } from "./handler.ts";

Deno.serve(withCors(handleCalcomOAuthCallback));
