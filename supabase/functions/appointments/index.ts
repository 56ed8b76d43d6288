import { withCors } from "../_shared/cors.ts";
import { handleAppointments } from "./handler.ts";

Deno.serve(withCors(handleAppointments));
