-- ============================================================================
-- Owners act on a customer's consent to texts (and admins impersonating them): opt a customer out
-- (honoured at once, source 'owner' in the ledger) or record an opt-in the customer gave the
-- business directly. An owner never overrides the customer's own word: an opt-out by a keyword,
-- a revocation in their words or a carrier's refusal (21610) is lifted only by the customer's
-- START, YES or UNSTOP; an owner's opt-in lifts only an owner's opt-out. Audited.
-- ============================================================================

create function public.set_customer_sms_consent(customer_phone text, opted_out boolean)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  owner_id uuid := private.effective_user_id();
  sender text;
  consent public.sms_consents;
  cause text;
begin
  if owner_id is null then
    raise exception 'Sign in to change a customer''s consent' using errcode = '42501';
  end if;
  if set_customer_sms_consent.opted_out is null then
    raise exception 'opted_out must be true or false' using errcode = '22023';
  end if;
  if set_customer_sms_consent.customer_phone is null or set_customer_sms_consent.customer_phone !~ '^\+[1-9][0-9]{6,14}$' then
    raise exception 'customer_phone must be an E.164 number' using errcode = '22023';
  end if;
  if not exists (select 1 from public.customers c where c.user_id = owner_id and c.phone = set_customer_sms_consent.customer_phone)
     and not exists (select 1 from public.sms_conversations v where v.user_id = owner_id and v.customer_phone = set_customer_sms_consent.customer_phone) then
    raise exception 'No customer with phone %', set_customer_sms_consent.customer_phone using errcode = 'PT404';
  end if;
  select a.phone_number into sender from public.agents a where a.user_id = owner_id;
  if sender is null then
    raise exception 'The business has no number enabled for SMS yet' using errcode = 'PT409';
  end if;

  -- The pair's row lock orders this against a keyword arriving at the same moment.
  select * into consent from public.sms_consents c
  where c.business_number = sender and c.customer_phone = set_customer_sms_consent.customer_phone
  for update;
  if consent.opted_out then
    select e.source into cause from public.sms_consent_events e
    where e.consent_id = consent.id order by e.id desc limit 1;
  end if;

  if set_customer_sms_consent.opted_out and consent.opted_out then
    -- Already opted out: the cause stays the customer's, so an owner's opt-in cannot lift it later.
    return jsonb_build_object('customer_phone', set_customer_sms_consent.customer_phone, 'opted_out', true, 'changed', false, 'cause', cause);
  end if;
  if not set_customer_sms_consent.opted_out and consent.opted_out and cause <> 'owner' then
    raise exception 'The customer opted out themselves (%); only their own START, YES or UNSTOP opts them back in', cause
      using errcode = 'PT409';
  end if;

  perform private.set_sms_consent(owner_id, sender, set_customer_sms_consent.customer_phone, set_customer_sms_consent.opted_out, 'owner');
  perform private.write_audit(case when set_customer_sms_consent.opted_out then 'sms.customer_opted_out' else 'sms.customer_opted_in' end,
                              owner_id, jsonb_build_object('customer_phone', set_customer_sms_consent.customer_phone, 'business_number', sender),
                              'sms_consents', set_customer_sms_consent.customer_phone);
  return jsonb_build_object('customer_phone', set_customer_sms_consent.customer_phone, 'opted_out', set_customer_sms_consent.opted_out,
                            'changed', coalesce(consent.opted_out, false) is distinct from set_customer_sms_consent.opted_out, 'cause', 'owner');
end
$$;
comment on function public.set_customer_sms_consent(text, boolean) is 'The owner (or an impersonating admin) opts a customer out of the business''s texts (opted_out true, at once) or records an opt-in the customer gave directly; {customer_phone, opted_out, changed, cause}. PT409 when the opt-in would override the customer''s own opt-out (keyword, phrase, provider error) or the business has no SMS number; PT404 for a phone that is not a customer; 22023 for a bad phone. Audited.';

revoke execute on function public.set_customer_sms_consent(text, boolean) from public, anon, authenticated;
grant execute on function public.set_customer_sms_consent(text, boolean) to authenticated;
