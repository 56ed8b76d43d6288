import { handleAdminAgents } from "./handler.ts";

Deno.serve(handleAdminAgents);
