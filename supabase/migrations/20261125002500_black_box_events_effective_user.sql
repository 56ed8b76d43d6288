-- Black-box events follow the effective user like every other owner table, so an impersonating
-- admin sees the user's events, and admins read them all.
drop policy "Users read their own black-box events" on public.black_box_events;
drop policy "Users record their own black-box events" on public.black_box_events;

alter table public.black_box_events alter column user_id set default private.effective_user_id();

create policy "Users read their own black-box events" on public.black_box_events for select to authenticated
  using (user_id = (select private.effective_user_id()));
create policy "Users record their own black-box events" on public.black_box_events for insert to authenticated
  with check (user_id = (select private.effective_user_id()));
create policy "Admins read every black-box event" on public.black_box_events for select to authenticated
  using ((select private.acting_as_admin()));
