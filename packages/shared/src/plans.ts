// The plan catalog's ids, the checkout request a frontend sends, and the mapping between Stripe
// price ids and our plans and top-up products. Allowances and overage policy are data in
// `public.plans` / `public.topup_products`; price ids are deployment configuration, so the mapping
// is built from an environment record the caller passes in (Deno.env.toObject(), process.env...).
import { z } from "zod";

export const PLAN_IDS = ["core", "pro", "elite", "scale"] as const;
export type PlanId = (typeof PLAN_IDS)[number];

export const TOPUP_PRODUCT_IDS = ["call_300", "call_800", "sms_500", "sms_1000"] as const;
export type TopupProductId = (typeof TOPUP_PRODUCT_IDS)[number];

/** Body of `POST /functions/v1/create-checkout-session`. */
export const checkoutRequestSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("subscription"), plan: z.enum(PLAN_IDS) }).strict(),
  z.object({ kind: z.literal("topup"), product: z.enum(TOPUP_PRODUCT_IDS) }).strict(),
]);
export type CheckoutRequest = z.infer<typeof checkoutRequestSchema>;

/** Environment variables holding each plan's price id, the preferred one first. */
const PLAN_PRICE_VARIABLES: Record<PlanId, readonly string[]> = {
  core: ["STRIPE_PRICE_ID_CORE"],
  // The first tiers were sold per industry; their prices still bill existing subscriptions.
  pro: ["STRIPE_PRICE_ID_PRO", "STRIPE_PRICE_ID_HVAC"],
  elite: ["STRIPE_PRICE_ID_ELITE", "STRIPE_PRICE_ID_PLUMBING"],
  scale: ["STRIPE_PRICE_ID_SCALE"],
};

const TOPUP_PRICE_VARIABLES: Record<TopupProductId, string> = {
  call_300: "STRIPE_TOPUP_CALL_300",
  call_800: "STRIPE_TOPUP_CALL_800",
  sms_500: "STRIPE_TOPUP_SMS_500",
  sms_1000: "STRIPE_TOPUP_SMS_1000",
};

export type PriceEnvironment = Readonly<Record<string, string | undefined>>;

export type PriceCatalog = {
  /** The price a new subscription to `plan` is sold at, or undefined when the plan is not on sale. */
  priceForPlan(plan: PlanId): string | undefined;
  priceForTopup(product: TopupProductId): string | undefined;
  /** The plan a subscription price bills, including legacy prices. */
  planForPrice(priceId: string): PlanId | undefined;
  topupForPrice(priceId: string): TopupProductId | undefined;
};

export function priceCatalog(env: PriceEnvironment): PriceCatalog {
  const price = (variable: string) => env[variable] || undefined;
  const planByPrice = new Map<string, PlanId>();
  for (const plan of PLAN_IDS) {
    for (const variable of PLAN_PRICE_VARIABLES[plan]) {
      const id = price(variable);
      if (id) planByPrice.set(id, plan);
    }
  }
  const topupByPrice = new Map<string, TopupProductId>();
  for (const product of TOPUP_PRODUCT_IDS) {
    const id = price(TOPUP_PRICE_VARIABLES[product]);
    if (id) topupByPrice.set(id, product);
  }
  return {
    priceForPlan: (plan) => PLAN_PRICE_VARIABLES[plan].map(price).find((id) => id !== undefined),
    priceForTopup: (product) => price(TOPUP_PRICE_VARIABLES[product]),
    planForPrice: (priceId) => planByPrice.get(priceId),
    topupForPrice: (priceId) => topupByPrice.get(priceId),
  };
}
