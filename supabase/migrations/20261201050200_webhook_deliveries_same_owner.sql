-- ============================================================================
-- The delivery engine's foreign keys between owner tables keep to one business, like every other
-- (20261201020300): a delivery names an event and an endpoint of its own business, and an attempt
-- a delivery of its own business.
-- ============================================================================

create trigger webhook_endpoint_deliveries_event_id_same_owner before insert or update of event_id, user_id on public.webhook_endpoint_deliveries
  for each row execute function private.refuse_reference_to_other_owner('webhook_endpoint_deliveries_event_id_fkey');
create trigger webhook_endpoint_deliveries_webhook_config_id_same_owner before insert or update of webhook_config_id, user_id on public.webhook_endpoint_deliveries
  for each row execute function private.refuse_reference_to_other_owner('webhook_endpoint_deliveries_webhook_config_id_fkey');
create trigger webhook_deliveries_delivery_id_same_owner before insert or update of delivery_id, user_id on public.webhook_deliveries
  for each row execute function private.refuse_reference_to_other_owner('webhook_deliveries_delivery_id_fkey');
