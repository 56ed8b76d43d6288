-- ============================================================================
-- Admins read every owner table; technician tracking sessions and points were the two without an
-- "Admins read ..." policy, so support could not see a business's tracking links.
-- ============================================================================

create policy "Admins read every tracking session" on public.tracking_sessions for select to authenticated
  using ((select private.acting_as_admin()));
create policy "Admins read every tracking point" on public.tracking_points for select to authenticated
  using ((select private.acting_as_admin()));
