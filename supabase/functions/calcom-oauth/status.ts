// What the settings page shows about the Cal.com connection: the account, its default event type
// and booking link, read as the user under RLS (token columns are not even selectable), plus a live
// look at Cal.com that also keeps the tokens fresh. Never tokens.
import type { ActingUser } from "../_shared/calcom-request.ts";
import { log } from "../_shared/log.ts";
import { type CalcomConnection, CalcomNotConnected, requireConnection, withCalcom } from "../_shared/calcom-connection.ts";
import type { CalcomEventType } from "../_shared/calcom-client.ts";

const LIVE_CHECK_TIMEOUT_MS = 5_000;

/** What the owner may read of the connection: everything but ids and tokens. */
type Visible = Omit<CalcomConnection, "id" | "user_id" | "access_token_encrypted" | "refresh_token_encrypted" | "token_key_id" | "token_expires_at">;

/** The default event type as Cal.com describes it now, or why we could not ask. */
async function liveEventType(userId: string, eventTypeId: number | null) {
  try {
    const types = await withCalcom(await requireConnection(userId), (api) => api.eventTypes(), LIVE_CHECK_TIMEOUT_MS);
    const found: CalcomEventType | undefined = types.find((t) => t.id === eventTypeId);
    return { reachable: "ok" as const, eventType: found };
  } catch (error) {
    if (error instanceof CalcomNotConnected) return { reachable: "needs_reauth" as const };
    log("warn", "calcom status check failed", { user_id: userId, error: String(error) });
    return { reachable: "unreachable" as const };
  }
}

export async function connectionStatus(_request: Request, { userId, client }: ActingUser) {
  const { data, error } = await client
    .from("integrations")
    .select("status, external_user_id, external_username, external_email, time_zone, default_event_type_id, booking_url, connected_at")
    .eq("provider", "calcom")
    .eq("user_id", userId)
    .maybeSingle<Visible>();
  if (error) throw new Error(`reading the connection failed: ${error.message}`);
  if (!data) return { connected: false, status: "not_connected" };

  const live = data.status === "connected" ? await liveEventType(userId, data.default_event_type_id) : { reachable: "needs_reauth" as const };
  const status = live.reachable === "needs_reauth" ? "needs_reauth" : data.status;
  const eventType = "eventType" in live ? live.eventType : undefined;
  return {
    connected: status === "connected",
    status,
    calendar_reachable: live.reachable === "ok",
    account: {
      id: data.external_user_id,
      username: data.external_username,
      email: data.external_email,
      time_zone: data.time_zone,
    },
    default_event_type: data.default_event_type_id === null ? null : {
      id: data.default_event_type_id,
      title: eventType?.title ?? null,
      slug: eventType?.slug ?? null,
      length_in_minutes: eventType?.lengthInMinutes ?? null,
    },
    booking_url: data.booking_url,
    connected_at: data.connected_at,
  };
}
