import { withCors } from "../_shared/cors.ts";
import { handleSendEmails } from "./handler.ts";

Deno.serve(withCors(handleSendEmails));
