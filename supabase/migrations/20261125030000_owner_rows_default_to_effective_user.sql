-- ============================================================================
-- Rows an owner creates default to the effective user, not auth.uid(): an admin impersonating a
-- user inserts exactly what the user would (without naming the owner) and the row is the user's.
-- With auth.uid() the row defaulted to the admin and the "Users ..." insert policy refused it.
-- ============================================================================

alter table public.webhook_configs alter column user_id set default private.effective_user_id();
alter table public.tracking_sessions alter column user_id set default private.effective_user_id();
alter table public.tracking_points alter column user_id set default private.effective_user_id();
-- Owners could only create appointments by naming themselves; now they need not.
alter table public.appointments alter column user_id set default private.effective_user_id();

comment on column public.webhook_configs.user_id is 'Owner; defaults to the effective user (the caller, or the user an admin impersonates).';
comment on column public.tracking_sessions.user_id is 'Owner; defaults to the effective user (the caller, or the user an admin impersonates).';
comment on column public.tracking_points.user_id is 'Owner; defaults to the effective user (the caller, or the user an admin impersonates).';
comment on column public.appointments.user_id is 'Owner; null only for unattributed Cal.com bookings. Defaults to the effective user for owner inserts.';
