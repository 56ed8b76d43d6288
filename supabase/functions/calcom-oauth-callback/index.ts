import { handleCalcomOAuthCallback } from "./handler.ts";

Deno.serve(handleCalcomOAuthCallback);
