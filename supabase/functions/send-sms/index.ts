import { withCors } from "../_shared/cors.ts";
import { handleSendSms } from "./handler.ts";

Deno.serve(withCors(handleSendSms));
