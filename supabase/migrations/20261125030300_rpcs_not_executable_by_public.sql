-- ============================================================================
-- Postgres grants EXECUTE to PUBLIC on every new function, and "alter default privileges in schema
-- public revoke execute on functions from public" cannot take that away (per-schema defaults only
-- add to the global ones). So every RPC of the data model was callable by anon, not only by the
-- roles it was granted to. Each checks its caller, but RPCs are meant to be granted role by role:
-- take PUBLIC's grant away and keep the explicit grants (anon keeps health_check, public_settings
-- and tracking_session_by_token).
-- ============================================================================

revoke execute on function
  public.health_check(),
  public.public_settings(),
  public.tracking_session_by_token(text),
  public.record_consent(text, text),
  public.my_sessions(),
  public.revoke_session(uuid),
  public.revoke_other_sessions(),
  public.customer_history(text),
  public.request_payout(text, text),
  public.admin_start_impersonation(uuid, text, integer),
  public.admin_end_impersonation(uuid),
  public.admin_list_users(text, integer, integer),
  public.admin_update_setting(text, jsonb),
  public.admin_set_access_code(text),
  public.admin_resolve_ops_alert(uuid),
  public.admin_decide_referral(uuid, text),
  public.admin_decide_payout(uuid, text)
from public;
