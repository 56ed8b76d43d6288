// Request plumbing of the provisioning functions (deploy-agent, admin-agents, agent-deployer):
// database errors turned into HTTP answers (who is calling is in auth.ts).
import type { PostgrestError } from "@supabase/supabase-js";
import { HttpError } from "./http.ts";
import { log } from "./log.ts";

/** The HTTP answer for an error raised by one of our SQL functions (by its SQLSTATE). */
export function databaseFailure(error: PostgrestError): HttpError {
  // PGRST30x: PostgREST refused the token (the function verifies it first, so only if it expired since).
  if (error.code?.startsWith("PGRST30")) return new HttpError(401, "not_signed_in", error.message);
  switch (error.code) {
    case "42501":
      return new HttpError(403, "forbidden", error.message);
    case "PT404":
      return new HttpError(404, "not_found", error.message);
    // Wizard maintenance mode (private.assert_wizard_open): the frontend shows its maintenance notice.
    case "PT423":
      return new HttpError(423, "maintenance_mode", error.message);
    case "23505":
    case "PT409":
      return new HttpError(409, "conflict", error.message);
    case "22023":
    case "22P02":
    case "23502":
    case "23503":
    case "23514":
      return new HttpError(400, "invalid_input", error.message);
    default:
      log("error", "database error", { code: error.code, error: error.message });
      return new HttpError(500, "internal_error", "Something went wrong on our side; try again");
  }
}
