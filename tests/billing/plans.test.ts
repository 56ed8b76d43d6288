// The price catalog maps Stripe price ids from the environment to plans and top-up products,
// legacy per-industry prices included.
import { describe, expect, it } from "vitest";
import { checkoutRequestSchema, priceCatalog } from "../../packages/shared/src/plans.ts";

const env = {
  STRIPE_PRICE_ID_CORE: "price_core",
  STRIPE_PRICE_ID_PRO: "price_pro",
  STRIPE_PRICE_ID_HVAC: "price_hvac_legacy",
  STRIPE_PRICE_ID_PLUMBING: "price_plumbing_legacy",
  STRIPE_PRICE_ID_SCALE: "price_scale",
  STRIPE_TOPUP_CALL_300: "price_call_300",
  STRIPE_TOPUP_SMS_1000: "price_sms_1000",
};

describe("priceCatalog", () => {
  const catalog = priceCatalog(env);

  it("maps each plan's price, and the legacy HVAC and plumbing prices to Pro and Elite", () => {
    expect(catalog.planForPrice("price_core")).toBe("core");
    expect(catalog.planForPrice("price_pro")).toBe("pro");
    expect(catalog.planForPrice("price_hvac_legacy")).toBe("pro");
    expect(catalog.planForPrice("price_plumbing_legacy")).toBe("elite");
    expect(catalog.planForPrice("price_scale")).toBe("scale");
    expect(catalog.planForPrice("price_unknown")).toBeUndefined();
  });

  it("sells a plan at its own price, falling back to the legacy one", () => {
    expect(catalog.priceForPlan("pro")).toBe("price_pro");
    expect(catalog.priceForPlan("elite")).toBe("price_plumbing_legacy");
    expect(priceCatalog({}).priceForPlan("core")).toBeUndefined();
  });

  it("maps top-up prices both ways and leaves unset ones unsold", () => {
    expect(catalog.topupForPrice("price_call_300")).toBe("call_300");
    expect(catalog.priceForTopup("sms_1000")).toBe("price_sms_1000");
    expect(catalog.priceForTopup("call_800")).toBeUndefined();
    expect(catalog.topupForPrice("price_pro")).toBeUndefined();
  });

  it("ignores empty variables", () => {
    expect(priceCatalog({ STRIPE_PRICE_ID_PRO: "", STRIPE_PRICE_ID_HVAC: "price_hvac" }).priceForPlan("pro")).toBe("price_hvac");
  });
});

describe("checkoutRequestSchema", () => {
  it("accepts a plan subscription or a top-up product, and nothing else", () => {
    expect(checkoutRequestSchema.safeParse({ kind: "subscription", plan: "scale" }).success).toBe(true);
    expect(checkoutRequestSchema.safeParse({ kind: "topup", product: "sms_500" }).success).toBe(true);
    expect(checkoutRequestSchema.safeParse({ kind: "topup", plan: "pro" }).success).toBe(false);
    expect(checkoutRequestSchema.safeParse({ kind: "subscription", plan: "pro", user_id: "someone" }).success).toBe(false);
  });
});
