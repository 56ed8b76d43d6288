// create-checkout-session through the gateway, against the Stripe fake: what the session carries,
// bad input, who may call it, and when a subscription or a top-up may be bought.
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { fakeUrl } from "../../stack/config.ts";
import { ANON_KEY, callFunction, newUser } from "../helpers/stack.ts";
import { env, startCheckout, subscribe } from "./stripe.ts";

const { port } = new URL(fakeUrl("stripe"));
const stripe = new Stripe(env.STRIPE_SECRET_KEY, { host: "127.0.0.1", port: Number(port), protocol: "http", maxNetworkRetries: 0 });

describe("create-checkout-session", () => {
  it("starts a subscription checkout that names the user, the plan's price and the frontend's URLs", async () => {
    const user = await newUser("buyer");
    const response = await startCheckout(user, { kind: "subscription", plan: "pro" });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ id: expect.stringMatching(/^cs_test_/), url: expect.stringContaining(response.body.id) });

    const session = await stripe.checkout.sessions.retrieve(response.body.id);
    expect(session).toMatchObject({
      mode: "subscription",
      status: "open",
      client_reference_id: user.id,
      customer_email: user.email,
      metadata: { user_id: user.id, plan: "pro" },
    });
    expect(session.success_url).toBe(`${env.FRONTEND_URL}/billing?checkout=success&session_id={CHECKOUT_SESSION_ID}`);
    expect(session.cancel_url).toBe(`${env.FRONTEND_URL}/billing?checkout=canceled`);
    const requests = (await (await fetch(`${fakeUrl("stripe")}/__control/requests`)).json()) as any[];
    const created = requests.find((r) => r.path === "/v1/checkout/sessions" && r.body.client_reference_id === user.id);
    expect(created.body).toMatchObject({
      "line_items[0][price]": env.STRIPE_PRICE_ID_PRO,
      "line_items[0][quantity]": "1",
      "subscription_data[metadata][user_id]": user.id,
    });
  });

  it("sells top-ups to a subscribed business on its existing Stripe customer", async () => {
    const user = await newUser("refill");
    const { event } = await subscribe(user, "core");
    const response = await startCheckout(user, { kind: "topup", product: "sms_1000" });
    expect(response.status).toBe(200);
    const session = await stripe.checkout.sessions.retrieve(response.body.id);
    expect(session).toMatchObject({ mode: "payment", customer: event.data.object.customer, metadata: { user_id: user.id, product: "sms_1000" } });
  });

  it("refuses a second subscription and a top-up without one (409)", async () => {
    const subscribed = await newUser("twice");
    await subscribe(subscribed, "pro");
    const second = await startCheckout(subscribed, { kind: "subscription", plan: "elite" });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe("already_subscribed");

    const newcomer = await newUser("newcomer");
    const topup = await startCheckout(newcomer, { kind: "topup", product: "call_300" });
    expect(topup.status).toBe(409);
    expect(topup.body.error.code).toBe("subscription_required");
  });

  it.each([
    [{ kind: "subscription", plan: "gold" }, /plan/],
    [{ kind: "topup", product: "call_9000" }, /product/],
    [{ kind: "lifetime" }, /kind/],
    [{ kind: "subscription", plan: "pro", price: "price_free" }, /price/],
    [[], /body|kind/],
  ])("answers 400 naming the problem in %j", async (body, problem) => {
    const user = await newUser("bad-input");
    const response = await startCheckout(user, body);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("invalid_payload");
    expect(response.body.error.message).toMatch(problem);
  });

  it("answers 400 to a body that is not JSON", async () => {
    const user = await newUser("not-json");
    const response = await callFunction("create-checkout-session", { rawBody: "plan=pro", token: user.accessToken });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("invalid_json");
  });

  it("answers 401 without a signed-in user", async () => {
    const body = { kind: "subscription", plan: "pro" };
    const anonymous = await callFunction("create-checkout-session", { body });
    expect(anonymous.status).toBe(401);
    const withAnonKey = await callFunction("create-checkout-session", { body, token: ANON_KEY });
    expect(withAnonKey.status).toBe(401);
    expect(withAnonKey.body.error.code).toBe("not_signed_in");
  });
});
