import { handleCalcomWebhook } from "./handler.ts";

Deno.serve(handleCalcomWebhook);
