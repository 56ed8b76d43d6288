-- ============================================================================
-- The owner and admin billing RPCs are for signed-in users only. The API roles' default
-- privileges (Supabase's, re-applied by the local stack's base) also grant new functions in public
-- to anon, so revoking PUBLIC's grant was not enough: take anon's away explicitly.
-- ============================================================================

revoke execute on function
  public.subscription_status(),
  public.billing_customer(),
  public.admin_trigger_reconciliation()
from public, anon;
