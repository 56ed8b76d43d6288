import { handleAppointments } from "./handler.ts";

Deno.serve(handleAppointments);
