-- ============================================================================
-- profiles.email follows the confirmed Auth email. The sign-up trigger copies the email once; this
-- trigger copies it again whenever Auth's email of the user changes or gets confirmed, so admin
-- lists and emails to owners never use a stale address. An email that is not confirmed yet (an
-- unconfirmed account whose address an admin changed) is not copied until it is: GoTrue keeps a
-- pending change in auth.users.email_change and writes auth.users.email only on confirmation.
-- ============================================================================

create function private.sync_profile_email()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.email_confirmed_at is not null then
    update public.profiles set email = new.email where id = new.id and email is distinct from new.email;
  end if;
  return new;
end
$$;
comment on function private.sync_profile_email() is 'Trigger on auth.users: copies a changed or newly confirmed email into the user''s profile.';

create trigger on_auth_user_email_changed
  after update of email, email_confirmed_at on auth.users
  for each row
  when (new.email is distinct from old.email or new.email_confirmed_at is distinct from old.email_confirmed_at)
  execute function private.sync_profile_email();
