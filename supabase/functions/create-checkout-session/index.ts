import { handleCreateCheckoutSession } from "./handler.ts";

Deno.serve(handleCreateCheckoutSession);
