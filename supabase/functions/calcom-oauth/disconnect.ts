// Ends the connection: asks Cal.com to revoke the grant (best effort: Cal.com documents no
// revocation endpoint, and a dead token must not keep a business connected), then deletes the row
// and its tokens. Disconnecting twice is not an error.
import type { ActingUser } from "../_shared/calcom-request.ts";
import { log } from "../_shared/log.ts";
import { adminClient } from "../_shared/supabase.ts";
import { revokeToken } from "../_shared/calcom-client.ts";
import { loadConnection, openRefreshToken } from "../_shared/calcom-connection.ts";

export async function disconnect(_request: Request, { userId }: ActingUser) {
  const connection = await loadConnection(userId);
  if (!connection) return { disconnected: false, status: "not_connected" };

  let revoked = false;
  try {
    await revokeToken(await openRefreshToken(connection));
    revoked = true;
  } catch (error) {
    log("warn", "calcom revocation failed; deleting the connection anyway", { user_id: userId, error: String(error) });
  }
  const { error } = await adminClient().from("integrations").delete().eq("id", connection.id);
  if (error) throw new Error(`deleting the connection failed: ${error.message}`);
  log("info", "calcom disconnected", { user_id: userId, revoked });
  return { disconnected: true, revoked, status: "not_connected" };
}
