// Local fake of the slice of the Stripe API the backend uses: Checkout Sessions, Customers and
// Subscriptions, in the shapes of API version 2026-10-28.endive (basil layout: subscription
// periods live on the items, invoices name their subscription under `parent`). Stripe cannot
// send webhooks here, so control routes play the part of the customer and of Stripe's billing
// engine and hand back the Event they would have caused, already signed.
import type http from "node:http";
import Stripe from "stripe";
import { addControlRoutes, createServer, json, newFaults, type Reply, type Request } from "./lib/http.ts";
import { bearerToken, LoggingRouter, randomId } from "./lib/common.ts";

export const STRIPE_API_VERSION = "2026-10-28.endive";

type Metadata = Record<string, string>;

export type StripeEvent = {
  id: string;
  object: "event";
  api_version: string;
  created: number;
  livemode: false;
  pending_webhooks: number;
  type: string;
  data: { object: unknown; previous_attributes?: object };
  request: { id: null; idempotency_key: null };
};

type LineItem = { price: string; quantity: number };

type Session = {
  id: string;
  object: "checkout.session";
  mode: "subscription" | "payment";
  status: "open" | "complete" | "expired";
  payment_status: "paid" | "unpaid";
  url: string | null;
  success_url: string | null;
  cancel_url: string | null;
  client_reference_id: string | null;
  customer: string | null;
  customer_email: string | null;
  customer_details: { email: string | null; name: null; phone: null } | null;
  subscription: string | null;
  metadata: Metadata;
  created: number;
  expires_at: number;
  livemode: false;
  currency: string;
  amount_subtotal: null;
  amount_total: null;
};

/** A session with the creation parameters Stripe keeps for later but does not return. */
type StoredSession = { session: Session; lineItems: LineItem[]; subscriptionMetadata: Metadata };

type Customer = {
  id: string;
  object: "customer";
  email: string | null;
  name: string | null;
  metadata: Metadata;
  created: number;
  livemode: false;
};

type SubscriptionItem = {
  id: string;
  object: "subscription_item";
  price: ReturnType<typeof priceObject>;
  quantity: number;
  current_period_start: number;
  current_period_end: number;
  subscription: string;
  created: number;
  metadata: Metadata;
};

type SubscriptionStatus =
  | "incomplete" | "incomplete_expired" | "trialing" | "active" | "past_due" | "canceled" | "unpaid" | "paused";

type Subscription = {
  id: string;
  object: "subscription";
  status: SubscriptionStatus;
  customer: string;
  metadata: Metadata;
  items: { object: "list"; data: SubscriptionItem[]; has_more: false; total_count: number; url: string };
  cancel_at_period_end: boolean;
  cancel_at: number | null;
  canceled_at: number | null;
  ended_at: number | null;
  cancellation_details: { comment: null; feedback: null; reason: string | null };
  billing_cycle_anchor: number;
  collection_method: "charge_automatically";
  currency: string;
  created: number;
  start_date: number;
  latest_invoice: string | null;
  livemode: false;
};

/** What a control route or `POST /v1/subscriptions/:id` may change on a subscription. */
export type SubscriptionChanges = {
  status?: SubscriptionStatus;
  cancel_at_period_end?: boolean;
  price?: string;
  metadata?: Metadata;
};

export type InvoiceOverrides = { amount_due?: number; attempt_count?: number; next_payment_attempt?: number | null };

const now = () => Math.floor(Date.now() / 1000);

function plusOneMonth(unixSeconds: number): number {
  const date = new Date(unixSeconds * 1000);
  date.setUTCMonth(date.getUTCMonth() + 1);
  return Math.floor(date.getTime() / 1000);
}

/** Wraps an object in an Event exactly as Stripe delivers it to a webhook endpoint. */
export function buildEvent(type: string, object: unknown, previousAttributes?: object): StripeEvent {
  return {
    id: randomId("evt_", 24),
    object: "event",
    api_version: STRIPE_API_VERSION,
    created: now(),
    livemode: false,
    pending_webhooks: 1,
    type,
    data: previousAttributes ? { object, previous_attributes: previousAttributes } : { object },
    request: { id: null, idempotency_key: null },
  };
}

// The key only satisfies the constructor; signing uses the secret passed per call.
const signer = new Stripe("sk_test_fake_signer");

/** The `Stripe-Signature` header value for `payload`, made by the official SDK's test helper. */
export async function signStripePayload(payload: string, secret: string, timestamp?: number): Promise<string> {
  return signer.webhooks.generateTestHeaderStringAsync({ payload, secret, timestamp });
}

/**
 * Parses Stripe's form encoding, where nesting is spelled with brackets:
 * `line_items[0][price]=p&metadata[plan]=pro` becomes `{line_items:[{price:"p"}], metadata:{plan:"pro"}}`.
 */
export function parseStripeForm(raw: string): Record<string, any> {
  const root: Record<string, any> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    const path = key.replace(/\]/g, "").split("[");
    let node = root;
    path.forEach((segment, i) => {
      // `expand[]=a` appends, the same as an explicit next index.
      const name = segment === "" ? String(Object.keys(node).length) : segment;
      if (i === path.length - 1) node[name] = value;
      else node = node[name] ??= {};
    });
  }
  return arrayify(root);
}

/** Objects whose keys are all indices came from `a[0]`, `a[1]`... and become arrays. */
function arrayify(node: unknown): any {
  if (typeof node !== "object" || node === null) return node;
  const entries = Object.entries(node).map(([key, value]) => [key, arrayify(value)] as const);
  const isList = entries.length > 0 && entries.every(([key]) => /^\d+$/.test(key));
  // Integer-like keys enumerate in ascending order, so the entries are already in index order.
  return isList ? entries.map(([, value]) => value) : Object.fromEntries(entries);
}

function errorBody(status: number, message: string, extra: { code?: string; param?: string } = {}) {
  return { error: { type: status >= 500 ? "api_error" : "invalid_request_error", message, ...extra } };
}

function stripeError(status: number, message: string, extra: { code?: string; param?: string } = {}): Reply {
  return json(status, errorBody(status, message, extra));
}

const missingParam = (param: string) =>
  stripeError(400, `Missing required param: ${param}.`, { code: "parameter_missing", param });

const noSuch = (resource: string, id: string, param = "id") =>
  stripeError(404, `No such ${resource}: '${id}'`, { code: "resource_missing", param });

/**
 * The fake knows no price catalogue: any price id is taken for a monthly recurring USD price
 * whose amount is unknown (null), so callers can use their real plan price ids.
 */
function priceObject(id: string) {
  return {
    id,
    object: "price" as const,
    active: true,
    currency: "usd",
    product: "prod_fake",
    recurring: { interval: "month" as const, interval_count: 1, usage_type: "licensed" as const },
    type: "recurring" as const,
    unit_amount: null,
    livemode: false as const,
    metadata: {},
  };
}

function parseBoolean(value: unknown): boolean | undefined {
  return value === undefined ? undefined : value === true || value === "true";
}

export function createStripeFake(o: { secretKey: string; webhookSecret: string }): {
  server: http.Server;
  reset(): void;
  state: {
    sessions: Map<string, StoredSession>;
    customers: Map<string, Customer>;
    subscriptions: Map<string, Subscription>;
  };
} {
  const state = {
    sessions: new Map<string, StoredSession>(),
    customers: new Map<string, Customer>(),
    subscriptions: new Map<string, Subscription>(),
  };
  const faults = newFaults();
  const router = new LoggingRouter();

  function reset() {
    state.sessions.clear();
    state.customers.clear();
    state.subscriptions.clear();
    router.requests.length = 0;
  }

  /** Runs `handler` only for requests carrying the fake's secret key, as Stripe does. */
  const authed = (handler: (req: Request) => Reply | Promise<Reply>) => (req: Request) => {
    const key = bearerToken(req.headers);
    if (!key) {
      return stripeError(401, "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').");
    }
    if (key !== o.secretKey) return stripeError(401, "Invalid API Key provided");
    return handler(req);
  };

  /** Stripe's answer to a webhook-triggering change, plus the header to deliver it with. */
  async function signedEvent(event: StripeEvent) {
    const payload = JSON.stringify(event);
    return json(200, { event, payload, signature: await signStripePayload(payload, o.webhookSecret) });
  }

  function createCustomer(fields: { email?: string | null; name?: string | null; metadata?: Metadata }): Customer {
    const customer: Customer = {
      id: randomId("cus_", 14),
      object: "customer",
      email: fields.email ?? null,
      name: fields.name ?? null,
      metadata: fields.metadata ?? {},
      created: now(),
      livemode: false,
    };
    state.customers.set(customer.id, customer);
    return customer;
  }

  function createSubscription(customer: string, item: LineItem, metadata: Metadata): Subscription {
    const id = randomId("sub_", 24);
    const start = now();
    const subscription: Subscription = {
      id,
      object: "subscription",
      status: "active",
      customer,
      metadata,
      items: {
        object: "list",
        data: [
          {
            id: randomId("si_", 14),
            object: "subscription_item",
            price: priceObject(item.price),
            quantity: item.quantity,
            current_period_start: start,
            current_period_end: plusOneMonth(start),
            subscription: id,
            created: start,
            metadata: {},
          },
        ],
        has_more: false,
        total_count: 1,
        url: `/v1/subscription_items?subscription=${id}`,
      },
      cancel_at_period_end: false,
      cancel_at: null,
      canceled_at: null,
      ended_at: null,
      cancellation_details: { comment: null, feedback: null, reason: null },
      billing_cycle_anchor: start,
      collection_method: "charge_automatically",
      currency: "usd",
      created: start,
      start_date: start,
      latest_invoice: null,
      livemode: false,
    };
    state.subscriptions.set(id, subscription);
    return subscription;
  }

  /**
   * Applies `changes` and returns the previous values of what changed, which is what Stripe puts
   * in `data.previous_attributes` of `customer.subscription.updated`. The fake's subscriptions
   * have a single item, so a new price replaces that item's price.
   */
  function applyChanges(subscription: Subscription, changes: SubscriptionChanges): Record<string, unknown> {
    const previous: Record<string, unknown> = {};
    if (changes.status !== undefined && changes.status !== subscription.status) {
      previous.status = subscription.status;
      subscription.status = changes.status;
    }
    if (changes.cancel_at_period_end !== undefined && changes.cancel_at_period_end !== subscription.cancel_at_period_end) {
      previous.cancel_at_period_end = subscription.cancel_at_period_end;
      previous.cancel_at = subscription.cancel_at;
      previous.canceled_at = subscription.canceled_at;
      subscription.cancel_at_period_end = changes.cancel_at_period_end;
      subscription.cancel_at = changes.cancel_at_period_end ? subscription.items.data[0].current_period_end : null;
      subscription.canceled_at = changes.cancel_at_period_end ? now() : null;
    }
    if (changes.price !== undefined && changes.price !== subscription.items.data[0].price.id) {
      previous.items = structuredClone(subscription.items);
      subscription.items.data[0].price = priceObject(changes.price);
    }
    if (changes.metadata !== undefined) {
      previous.metadata = { ...subscription.metadata };
      // Stripe merges metadata and deletes keys set to the empty string.
      for (const [key, value] of Object.entries(changes.metadata)) {
        if (value === "") delete subscription.metadata[key];
        else subscription.metadata[key] = value;
      }
    }
    return previous;
  }

  function cancelNow(subscription: Subscription) {
    const at = now();
    subscription.status = "canceled";
    subscription.canceled_at ??= at;
    subscription.ended_at = at;
    subscription.cancellation_details.reason = "cancellation_requested";
  }

  router.on(
    "POST /v1/checkout/sessions",
    authed((req) => {
      const p = parseStripeForm(req.rawBody);
      if (!p.mode) return missingParam("mode");
      if (p.mode !== "subscription" && p.mode !== "payment") {
        return stripeError(400, `Invalid mode: must be one of payment, setup, or subscription`, { param: "mode" });
      }
      if (p.customer && p.customer_email) {
        return stripeError(400, "You may only specify one of these parameters: customer, customer_email.", { param: "customer" });
      }
      if (p.customer && !state.customers.has(p.customer)) return noSuch("customer", p.customer, "customer");
      const rawItems: any[] = p.line_items ?? [];
      if (rawItems.length === 0) return missingParam("line_items");
      const lineItems: LineItem[] = [];
      for (const [i, item] of rawItems.entries()) {
        if (!item.price) return missingParam(`line_items[${i}][price]`);
        if (!item.quantity) {
          return stripeError(400, `Quantity is required. Add \`quantity\` to \`line_items[${i}]\``, { param: `line_items[${i}][quantity]` });
        }
        lineItems.push({ price: item.price, quantity: Number(item.quantity) });
      }

      const id = randomId("cs_test_", 58);
      const created = now();
      const session: Session = {
        id,
        object: "checkout.session",
        mode: p.mode,
        status: "open",
        payment_status: "unpaid",
        url: `http://${req.headers.host}/checkout/${id}`,
        success_url: p.success_url ?? null,
        cancel_url: p.cancel_url ?? null,
        client_reference_id: p.client_reference_id ?? null,
        customer: p.customer ?? null,
        customer_email: p.customer_email ?? null,
        customer_details: null,
        subscription: null,
        metadata: p.metadata ?? {},
        created,
        expires_at: created + 24 * 3600,
        livemode: false,
        currency: "usd",
        amount_subtotal: null,
        amount_total: null,
      };
      state.sessions.set(id, { session, lineItems, subscriptionMetadata: p.subscription_data?.metadata ?? {} });
      return json(200, session);
    }),
  );

  router.on(
    "GET /v1/checkout/sessions/:id",
    authed((req) => {
      const stored = state.sessions.get(req.params.id);
      return stored ? json(200, stored.session) : noSuch("checkout.session", req.params.id, "session");
    }),
  );

  router.on(
    "POST /v1/customers",
    authed((req) => {
      const p = parseStripeForm(req.rawBody);
      return json(200, createCustomer({ email: p.email, name: p.name, metadata: p.metadata }));
    }),
  );

  router.on(
    "GET /v1/customers/:id",
    authed((req) => {
      const customer = state.customers.get(req.params.id);
      return customer ? json(200, customer) : noSuch("customer", req.params.id);
    }),
  );

  router.on(
    "GET /v1/subscriptions/:id",
    authed((req) => {
      const subscription = state.subscriptions.get(req.params.id);
      return subscription ? json(200, subscription) : noSuch("subscription", req.params.id);
    }),
  );

  router.on(
    "POST /v1/subscriptions/:id",
    authed((req) => {
      const subscription = state.subscriptions.get(req.params.id);
      if (!subscription) return noSuch("subscription", req.params.id);
      const p = parseStripeForm(req.rawBody);
      if (subscription.status === "canceled") {
        return stripeError(400, "A canceled subscription can only update its cancellation_details and metadata.");
      }
      applyChanges(subscription, {
        cancel_at_period_end: parseBoolean(p.cancel_at_period_end),
        price: p.items?.[0]?.price,
        metadata: p.metadata,
      });
      return json(200, subscription);
    }),
  );

  router.on(
    "DELETE /v1/subscriptions/:id",
    authed((req) => {
      const subscription = state.subscriptions.get(req.params.id);
      if (!subscription) return noSuch("subscription", req.params.id);
      if (subscription.status === "canceled") return stripeError(400, "This subscription has already been canceled.");
      cancelNow(subscription);
      return json(200, subscription);
    }),
  );

  // The customer pays on the hosted Checkout page: the session completes and, in subscription
  // mode, Stripe creates the customer (when the session had none) and an active subscription.
  // Only `subscription_data.metadata` reaches the subscription; session metadata stays on the
  // session, as in Stripe.
  router.on("POST /__control/checkout/:id/complete", async (req) => {
    const stored = state.sessions.get(req.params.id);
    if (!stored) return noSuch("checkout.session", req.params.id, "session");
    const { session } = stored;
    if (session.status !== "open") return stripeError(400, `This Checkout Session is ${session.status}.`);
    const customer = session.customer
      ? state.customers.get(session.customer)!
      : createCustomer({ email: session.customer_email });
    session.customer = customer.id;
    session.customer_details = { email: customer.email, name: null, phone: null };
    if (session.mode === "subscription") {
      session.subscription = createSubscription(customer.id, stored.lineItems[0], { ...stored.subscriptionMetadata }).id;
    }
    session.status = "complete";
    session.payment_status = "paid";
    return signedEvent(buildEvent("checkout.session.completed", session));
  });

  // Stripe's billing engine acts on a subscription: the event type picks what happens.
  router.on("POST /__control/subscriptions/:id/event", async (req) => {
    const subscription = state.subscriptions.get(req.params.id);
    if (!subscription) return noSuch("subscription", req.params.id);
    const { type, changes = {} } = (req.body ?? {}) as { type?: string; changes?: any };
    switch (type) {
      case "customer.subscription.updated": {
        const previous = applyChanges(subscription, changes as SubscriptionChanges);
        return signedEvent(buildEvent(type, subscription, previous));
      }
      case "customer.subscription.deleted":
        cancelNow(subscription);
        return signedEvent(buildEvent(type, subscription));
      case "invoice.payment_failed":
        return signedEvent(buildEvent(type, failedInvoice(subscription, changes as InvoiceOverrides, req.headers.host)));
      default:
        return stripeError(400, `Unsupported event type for the fake: ${type}`, { param: "type" });
    }
  });

  addControlRoutes(router, faults, reset);

  const server = createServer(router, faults, errorBody);
  return { server, reset, state };
}

/** A renewal invoice whose charge failed, in the basil shape (`parent.subscription_details`). */
function failedInvoice(subscription: Subscription, overrides: InvoiceOverrides, host: string | undefined) {
  const id = randomId("in_", 24);
  const item = subscription.items.data[0];
  const amountDue = overrides.amount_due ?? 0;
  return {
    id,
    object: "invoice",
    customer: subscription.customer,
    status: "open",
    billing_reason: "subscription_cycle",
    collection_method: "charge_automatically",
    currency: subscription.currency,
    amount_due: amountDue,
    amount_paid: 0,
    amount_remaining: amountDue,
    attempted: true,
    attempt_count: overrides.attempt_count ?? 1,
    // Stripe's default smart retries try again days later; null means it has given up.
    next_payment_attempt:
      overrides.next_payment_attempt === undefined ? now() + 3 * 24 * 3600 : overrides.next_payment_attempt,
    hosted_invoice_url: `http://${host}/invoice/${id}`,
    parent: {
      type: "subscription_details",
      quote_details: null,
      subscription_details: { metadata: { ...subscription.metadata }, subscription: subscription.id },
    },
    period_start: item.current_period_start,
    period_end: item.current_period_end,
    created: now(),
    livemode: false,
    metadata: {},
  };
}
