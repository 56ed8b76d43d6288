import { withCors } from "../_shared/cors.ts";
import { handleAdminAgents } from "./handler.ts";

Deno.serve(withCors(handleAdminAgents));
