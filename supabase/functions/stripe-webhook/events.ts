// What stripe-webhook reads of Stripe's events (contracts.md section 2), with the bounds of where
// each value goes: ids as text, unix-second times an ISO string (and timestamptz) can hold, amounts
// an integer column holds, a currency code Intl can format. Lenient about everything else: Stripe
// adds fields, and the API version decides the rest of the shape.
import { z } from "zod";

const id = z.string().min(1).max(255);
/** Unix seconds up to 9999-12-31T23:59:59Z, the last instant an ISO string has four digits for. */
const unixSeconds = z.number().int().min(0).max(253_402_300_799);
const int32 = z.number().int().min(0).max(2_147_483_647);
const idOrObject = z.union([id, z.looseObject({ id })]);
const metadata = z.record(z.string(), z.string()).nullish();

export const stripeEvent = z.looseObject({
  id,
  type: z.string().min(1).max(255),
  created: unixSeconds,
  data: z.looseObject({ object: z.looseObject({}) }),
});
export type StripeEvent = z.infer<typeof stripeEvent>;

export const checkoutSession = z.looseObject({
  id,
  mode: z.string().nullish(),
  payment_status: z.string().nullish(),
  client_reference_id: z.string().max(255).nullish(),
  subscription: idOrObject.nullish(),
  metadata,
});

/** A Subscription as API version 2025-03-31.basil and later shape it: the period lives on the items. */
export const subscription = z.looseObject({
  id,
  customer: idOrObject.nullish(),
  status: z.string().min(1).max(50),
  metadata,
  cancel_at_period_end: z.boolean().nullish(),
  canceled_at: unixSeconds.nullish(),
  items: z.looseObject({
    data: z.array(z.looseObject({ price: z.looseObject({ id }), current_period_start: unixSeconds, current_period_end: unixSeconds })),
  }),
});
export type Subscription = z.infer<typeof subscription>;

/** An Invoice; since basil it names its subscription under `parent`. */
export const invoice = z.looseObject({
  id,
  customer: idOrObject.nullish(),
  amount_due: int32,
  currency: z.string().regex(/^[a-z]{3}$/i, "a three-letter ISO currency code"),
  attempt_count: int32.nullish(),
  next_payment_attempt: unixSeconds.nullish(),
  hosted_invoice_url: z.string().max(2000).nullish(),
  parent: z.looseObject({ subscription_details: z.looseObject({ subscription: idOrObject.nullish() }).nullish() }).nullish(),
});
export type Invoice = z.infer<typeof invoice>;
