-- ============================================================================
-- Every write an impersonating admin can make is audited for both the admin and the user. The
-- tables below were writable by owners (or, for payout requests, through request_payout()) but had
-- no audit trigger, so writes made while impersonating went unrecorded.
-- ============================================================================

create trigger black_box_events_audit_impersonated_write after insert on public.black_box_events
  for each row execute function private.audit_impersonated_write();
create trigger tracking_sessions_audit_impersonated_write after insert or update on public.tracking_sessions
  for each row execute function private.audit_impersonated_write();
create trigger tracking_points_audit_impersonated_write after insert on public.tracking_points
  for each row execute function private.audit_impersonated_write();
create trigger payout_requests_audit_impersonated_write after insert on public.payout_requests
  for each row execute function private.audit_impersonated_write();
