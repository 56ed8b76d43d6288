-- ============================================================================
-- The admin dialer queue can be written: admins add, update (status, notes, outcome, when to call)
-- and remove entries through RPCs, each checked by private.assert_admin() and audited. Table
-- writes stay closed to every API role; admins still read the queue through their policy.
-- ============================================================================

alter table public.dialer_queue
  add column outcome text check (outcome in ('interested', 'not_interested', 'callback', 'no_answer', 'voicemail', 'wrong_number', 'signed_up')),
  add column last_called_at timestamptz,
  add constraint dialer_queue_contact_name_length check (length(contact_name) <= 200),
  add constraint dialer_queue_business_name_length check (length(business_name) <= 200),
  add constraint dialer_queue_notes_length check (length(notes) <= 2000);
comment on column public.dialer_queue.outcome is 'What the last call came to: interested, not_interested, callback, no_answer, voicemail, wrong_number, signed_up.';
comment on column public.dialer_queue.last_called_at is 'When the entry last moved to calling.';

create function public.admin_add_dialer_entry(phone text, contact_name text default null, business_name text default null, notes text default null, scheduled_at timestamptz default null)
returns public.dialer_queue
language plpgsql
security definer
set search_path = ''
as $$
declare
  added public.dialer_queue;
begin
  perform private.assert_admin();
  if phone is null or phone !~ '^\+[1-9][0-9]{6,14}$' then
    raise exception 'phone must be in E.164 form, e.g. +14155550123' using errcode = '22023';
  end if;
  insert into public.dialer_queue (phone, contact_name, business_name, notes, scheduled_at, created_by)
  values (phone, nullif(trim(contact_name), ''), nullif(trim(business_name), ''), nullif(trim(notes), ''),
          coalesce(scheduled_at, now()), auth.uid())
  returning * into added;
  perform private.write_audit('dialer.add', null, jsonb_build_object('phone', added.phone, 'business_name', added.business_name),
    'dialer_queue', added.id::text);
  return added;
end
$$;
comment on function public.admin_add_dialer_entry(text, text, text, text, timestamptz) is 'Adds a number (E.164) to the operators'' outbound call list; audited.';

create function public.admin_update_dialer_entry(entry_id uuid, status text default null, notes text default null, outcome text default null, scheduled_at timestamptz default null)
returns public.dialer_queue
language plpgsql
security definer
set search_path = ''
as $$
declare
  before public.dialer_queue;
  after public.dialer_queue;
begin
  perform private.assert_admin();
  if status is not null and status not in ('queued', 'calling', 'done', 'failed', 'skipped') then
    raise exception 'status must be queued, calling, done, failed or skipped' using errcode = '22023';
  end if;
  select * into before from public.dialer_queue q where q.id = entry_id for update;
  if before.id is null then
    raise exception 'no dialer queue entry %', entry_id using errcode = 'PT404';
  end if;
  -- Null keeps a value; each move to calling counts as an attempt.
  update public.dialer_queue q
  set status = coalesce(admin_update_dialer_entry.status, q.status),
      notes = coalesce(admin_update_dialer_entry.notes, q.notes),
      outcome = coalesce(admin_update_dialer_entry.outcome, q.outcome),
      scheduled_at = coalesce(admin_update_dialer_entry.scheduled_at, q.scheduled_at),
      attempts = q.attempts + case when admin_update_dialer_entry.status = 'calling' then 1 else 0 end,
      last_called_at = case when admin_update_dialer_entry.status = 'calling' then now() else q.last_called_at end
  where q.id = entry_id
  returning * into after;
  perform private.write_audit('dialer.update', null,
    jsonb_build_object('before', jsonb_build_object('status', before.status, 'outcome', before.outcome, 'notes', before.notes, 'scheduled_at', before.scheduled_at),
                       'after', jsonb_build_object('status', after.status, 'outcome', after.outcome, 'notes', after.notes, 'scheduled_at', after.scheduled_at)),
    'dialer_queue', entry_id::text);
  return after;
end
$$;
comment on function public.admin_update_dialer_entry(uuid, text, text, text, timestamptz) is 'Changes a dialer queue entry''s status, notes, outcome or time to call (null keeps a value; calling counts an attempt); audited with before and after.';

create function public.admin_remove_dialer_entry(entry_id uuid)
returns public.dialer_queue
language plpgsql
security definer
set search_path = ''
as $$
declare
  removed public.dialer_queue;
begin
  perform private.assert_admin();
  delete from public.dialer_queue q where q.id = entry_id returning * into removed;
  if removed.id is null then
    raise exception 'no dialer queue entry %', entry_id using errcode = 'PT404';
  end if;
  perform private.write_audit('dialer.remove', null, to_jsonb(removed), 'dialer_queue', entry_id::text);
  return removed;
end
$$;
comment on function public.admin_remove_dialer_entry(uuid) is 'Removes an entry from the dialer queue; the audit row keeps what it held.';

revoke all on function
  public.admin_add_dialer_entry(text, text, text, text, timestamptz),
  public.admin_update_dialer_entry(uuid, text, text, text, timestamptz),
  public.admin_remove_dialer_entry(uuid)
from public, anon, authenticated;
grant execute on function
  public.admin_add_dialer_entry(text, text, text, text, timestamptz),
  public.admin_update_dialer_entry(uuid, text, text, text, timestamptz),
  public.admin_remove_dialer_entry(uuid)
to authenticated;
