-- ============================================================================
-- A row never points at another business's row. Row Level Security checks who owns a new row, not
-- who owns the rows it references, so an owner could start a tracking session on another business's
-- appointment (and a random id answered "Key is not present", telling the caller which ids exist).
-- Every foreign key between two owner tables now has a trigger that refuses a reference to a row of
-- another owner, before the foreign key itself is checked, with one error (23503, PostgREST: 409)
-- whether the row belongs to someone else or does not exist. A client's row must reference the
-- caller's own rows (the effective user, as the policies say); any other writer's, rows of the
-- same owner as the new row. supabase/tests/rls/same_owner_references.test.sql tries every such
-- foreign key, read from the catalog.
-- ============================================================================

create function private.refuse_reference_to_other_owner()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  fk record;
  expected_owner uuid := case when current_user = 'authenticated' then private.effective_user_id() else new.user_id end;
  same_owner boolean;
begin
  select a.attname as child_column, p.relname as parent, pa.attname as parent_column into fk
  from pg_catalog.pg_constraint c
  join pg_catalog.pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
  join pg_catalog.pg_class p on p.oid = c.confrelid
  join pg_catalog.pg_attribute pa on pa.attrelid = c.confrelid and pa.attnum = c.confkey[1]
  where c.conrelid = tg_relid and c.conname = tg_argv[0];

  execute format(
    'select ($1).%1$I is null or exists (select 1 from public.%2$I p where p.%3$I = ($1).%1$I and p.user_id is not distinct from $2)',
    fk.child_column, fk.parent, fk.parent_column)
  into same_owner using new, expected_owner;
  if not same_owner then
    raise exception '%.% must name one of this business''s % rows', tg_table_name, fk.child_column, fk.parent
      using errcode = '23503';
  end if;
  return new;
end
$$;
comment on function private.refuse_reference_to_other_owner() is 'Trigger (argument: the foreign key''s name): refuses a row whose foreign key names a row of another owner, or no row, with the same 23503.';
revoke execute on function private.refuse_reference_to_other_owner() from public;

-- ---------------------------------------------------------------------------
-- One trigger per foreign key between owner tables
-- ---------------------------------------------------------------------------

create trigger call_recordings_call_id_same_owner before insert or update of call_id, user_id on public.call_recordings
  for each row execute function private.refuse_reference_to_other_owner('call_recordings_call_id_fkey');
create trigger leads_call_id_same_owner before insert or update of call_id, user_id on public.leads
  for each row execute function private.refuse_reference_to_other_owner('leads_call_id_fkey');
create trigger leads_customer_id_same_owner before insert or update of customer_id, user_id on public.leads
  for each row execute function private.refuse_reference_to_other_owner('leads_customer_id_fkey');
create trigger sms_messages_conversation_id_same_owner before insert or update of conversation_id, user_id on public.sms_messages
  for each row execute function private.refuse_reference_to_other_owner('sms_messages_conversation_id_fkey');
create trigger appointments_call_id_same_owner before insert or update of call_id, user_id on public.appointments
  for each row execute function private.refuse_reference_to_other_owner('appointments_call_id_fkey');
create trigger webhook_deliveries_queue_id_same_owner before insert or update of queue_id, user_id on public.webhook_deliveries
  for each row execute function private.refuse_reference_to_other_owner('webhook_deliveries_queue_id_fkey');
create trigger webhook_deliveries_webhook_config_id_same_owner before insert or update of webhook_config_id, user_id on public.webhook_deliveries
  for each row execute function private.refuse_reference_to_other_owner('webhook_deliveries_webhook_config_id_fkey');
create trigger tracking_sessions_appointment_id_same_owner before insert or update of appointment_id, user_id on public.tracking_sessions
  for each row execute function private.refuse_reference_to_other_owner('tracking_sessions_appointment_id_fkey');
create trigger tracking_points_session_id_same_owner before insert or update of session_id, user_id on public.tracking_points
  for each row execute function private.refuse_reference_to_other_owner('tracking_points_session_id_fkey');
