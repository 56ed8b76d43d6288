-- ============================================================================
-- The frontend's SMS inbox: each conversation with its last message, how many of the customer's
-- texts the owner has not read yet, and whether the customer opted out; read under RLS (owners
-- their own, admins every one). Opening a conversation marks it read.
-- ============================================================================

alter table public.sms_conversations add column owner_read_at timestamptz;
comment on column public.sms_conversations.owner_read_at is 'When the owner last opened the conversation; the customer''s texts after it are unread.';

create view public.sms_conversation_summaries
with (security_invoker = true)
as
select
  v.id,
  v.user_id,
  v.customer_phone,
  v.business_number,
  v.last_message_at,
  last_message.body as last_message_body,
  last_message.direction as last_message_direction,
  last_message.status as last_message_status,
  (select count(*)::integer from public.sms_messages m
   where m.conversation_id = v.id and m.direction = 'inbound'
     and m.created_at > coalesce(v.owner_read_at, '-infinity'::timestamptz)) as unread_count,
  coalesce(c.opted_out, false) as opted_out
from public.sms_conversations v
left join lateral (
  select m.body, m.direction, m.status from public.sms_messages m
  where m.conversation_id = v.id
  order by m.created_at desc, m.id desc
  limit 1
) last_message on true
left join public.sms_consents c on c.business_number = v.business_number and c.customer_phone = v.customer_phone;
comment on view public.sms_conversation_summaries is 'The SMS inbox: a conversation per row with its last message, unread count (customer texts since owner_read_at) and opt-out state. security_invoker: the tables'' RLS decides who sees what.';

revoke all on public.sms_conversation_summaries from anon, authenticated, service_role;
grant select on public.sms_conversation_summaries to authenticated;

create function public.mark_sms_conversation_read(conversation_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.sms_conversations v
  set owner_read_at = now()
  where v.id = mark_sms_conversation_read.conversation_id and v.user_id = (select private.effective_user_id());
  if not found then
    raise exception 'No conversation %', mark_sms_conversation_read.conversation_id using errcode = 'PT404';
  end if;
end
$$;
comment on function public.mark_sms_conversation_read(uuid) is 'The owner (or an admin impersonating them) opened a conversation: its customer texts so far count as read. PT404 for a conversation of another business.';

revoke execute on function public.mark_sms_conversation_read(uuid) from public, anon, authenticated;
grant execute on function public.mark_sms_conversation_read(uuid) to authenticated;
