import { withCors } from "../_shared/cors.ts";
import { handleCalcomWebhook } from "./handler.ts";

Deno.serve(withCors(handleCalcomWebhook));
