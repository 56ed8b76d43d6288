import { withCors } from "../_shared/cors.ts";
import { handleDemoCall } from "./handler.ts";

Deno.serve(withCors(handleDemoCall));
