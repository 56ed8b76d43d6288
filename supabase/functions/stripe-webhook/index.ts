import { withCors } from "../_shared/cors.ts";
import { handleStripeWebhook } from "./handler.ts";

Deno.serve(withCors(handleStripeWebhook));
