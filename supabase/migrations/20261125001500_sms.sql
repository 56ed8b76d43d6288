-- ============================================================================
-- SMS: conversations between a business and a customer's phone, and their messages. Written by the
-- SMS functions (service role); the owner reads.
-- ============================================================================

create table public.sms_conversations (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  customer_phone public.phone_e164 not null,
  business_number public.phone_e164 not null,
  last_message_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (user_id, customer_phone)
);
comment on table public.sms_conversations is 'One SMS thread per business and customer phone.';

create table public.sms_messages (
  id uuid primary key default gen_random_uuid(),
  conversation_id uuid not null references public.sms_conversations (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  direction text not null check (direction in ('inbound', 'outbound')),
  body text not null check (length(body) between 1 and 1600),
  from_number public.phone_e164 not null,
  to_number public.phone_e164 not null,
  provider text not null check (provider in ('twilio', 'retell')),
  provider_message_id text,
  status text not null default 'received'
    check (status in ('received', 'queued', 'sent', 'delivered', 'failed', 'refused')),
  error_code text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (provider, provider_message_id)
);
comment on table public.sms_messages is 'Every SMS received or sent for a business; provider ids make redelivery harmless.';
create index sms_messages_conversation_id_created_at_idx on public.sms_messages (conversation_id, created_at);
create index sms_messages_user_id_created_at_idx on public.sms_messages (user_id, created_at desc);

create trigger sms_conversations_set_updated_at before update on public.sms_conversations for each row execute function private.set_updated_at();
create trigger sms_messages_set_updated_at before update on public.sms_messages for each row execute function private.set_updated_at();

alter table public.sms_conversations enable row level security;
alter table public.sms_messages enable row level security;

create policy "Users read their own SMS conversations" on public.sms_conversations for select to authenticated
  using (user_id = (select private.effective_user_id()));
create policy "Admins read every SMS conversation" on public.sms_conversations for select to authenticated
  using ((select private.acting_as_admin()));
create policy "Users read their own SMS messages" on public.sms_messages for select to authenticated
  using (user_id = (select private.effective_user_id()));
create policy "Admins read every SMS message" on public.sms_messages for select to authenticated
  using ((select private.acting_as_admin()));

revoke insert, update, delete, truncate on public.sms_conversations, public.sms_messages from anon, authenticated;
