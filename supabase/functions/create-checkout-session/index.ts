import { withCors } from "../_shared/cors.ts";
import { handleCreateCheckoutSession } from "./handler.ts";

Deno.serve(withCors(handleCreateCheckoutSession));
