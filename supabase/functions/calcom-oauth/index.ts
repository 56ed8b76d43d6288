import { handleCalcomOAuth } from "./handler.ts";

Deno.serve(handleCalcomOAuth);
