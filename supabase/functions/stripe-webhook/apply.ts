// What the event handlers share: calling the RPC that applies an event, and turning a Stripe
// Subscription into the snapshot public.stripe_apply_subscription takes.
import { z } from "zod";
import { adminClient } from "../_shared/supabase.ts";
import { isoTime, prices } from "../_shared/stripe.ts";
import { EventRejected, refusedByDatabase } from "../_shared/webhook-events.ts";
import type { StripeEvent, Subscription } from "./events.ts";

/** What an applying RPC answers (see the comments of public.stripe_apply_*). */
export type EventOutcome = {
  outcome: string;
  user_id?: string | null;
  notify_email?: string | null;
  business_name?: string | null;
};

/** Runs an applying RPC; the database refusing the event's values is a rejection, anything else a fault. */
export async function applyRpc(name: string, args: Record<string, unknown>): Promise<EventOutcome> {
  const { data, error, status } = await adminClient().rpc(name, args);
  if (error && refusedByDatabase(error, status)) throw new EventRejected("not_applied", `${name}: ${error.message}`);
  if (error) throw new Error(`${name} failed: ${error.code} ${error.message}`);
  return data as EventOutcome;
}

/** Our user id when `value` is one (a uuid we put in client_reference_id or metadata), else null. */
export function userIdFrom(value: string | null | undefined): string | null {
  return z.uuid().safeParse(value).success ? value! : null;
}

export const idOf = (value: string | { id: string } | null | undefined): string | null =>
  value == null ? null : typeof value === "string" ? value : value.id;

function subscriptionSnapshot(subscription: Subscription, userId: string | null) {
  const catalog = prices();
  const item = subscription.items.data.find((i) => catalog.planForPrice(i.price.id));
  if (!item) {
    // A configuration gap (a price no STRIPE_PRICE_ID_* names): recorded for an operator, who fixes
    // the configuration and resends the event from Stripe's dashboard.
    const priceIds = subscription.items.data.map((i) => i.price.id).join(", ");
    throw new EventRejected("unknown_price", `subscription ${subscription.id} bills prices ${priceIds || "(none)"}, none of which is a plan's`);
  }
  return {
    user_id: userId,
    stripe_customer_id: idOf(subscription.customer),
    stripe_subscription_id: subscription.id,
    plan: catalog.planForPrice(item.price.id),
    status: subscription.status,
    // Since API version 2025-03-31.basil the period lives on the items.
    current_period_start: isoTime(item.current_period_start),
    current_period_end: isoTime(item.current_period_end),
    cancel_at_period_end: subscription.cancel_at_period_end ?? false,
    canceled_at: isoTime(subscription.canceled_at),
  };
}

export function applySubscription(
  event: StripeEvent,
  subscription: Subscription,
  userId: string | null,
  requestDeployment: boolean,
): Promise<EventOutcome> {
  return applyRpc("stripe_apply_subscription", {
    event_id: event.id,
    event_type: event.type,
    event_created: isoTime(event.created),
    subscription: subscriptionSnapshot(subscription, userId),
    request_deployment: requestDeployment,
  });
}
