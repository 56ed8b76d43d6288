// Stripe for functions: the API client (pointed at STRIPE_API_BASE when it is set, e.g. the local
// fake; Stripe's own API otherwise), webhook signature verification, and the price catalog read
// from the environment.
import Stripe from "stripe";
import { type PriceCatalog, priceCatalog } from "../../../packages/shared/src/plans.ts";
import { optionalEnv, requireEnv } from "./env.ts";
import { HttpError } from "./http.ts";

let client: Stripe | undefined;
let catalog: PriceCatalog | undefined;
const cryptoProvider = Stripe.createSubtleCryptoProvider();

/** host/port/protocol options for a non-default API base such as `http://127.0.0.1:54342`. */
function apiBaseOptions(base: string | undefined): Stripe.StripeConfig {
  if (!base) return {};
  const url = new URL(base);
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    protocol: url.protocol === "http:" ? "http" : "https",
  };
}

export function stripeClient(): Stripe {
  client ??= new Stripe(requireEnv("STRIPE_SECRET_KEY"), {
    ...apiBaseOptions(optionalEnv("STRIPE_API_BASE")),
    httpClient: Stripe.createFetchHttpClient(),
    // A webhook must answer Stripe quickly; a slow API read fails the delivery, which Stripe retries.
    timeout: 10_000,
    maxNetworkRetries: 1,
  });
  return client;
}

export function prices(): PriceCatalog {
  catalog ??= priceCatalog(Deno.env.toObject());
  return catalog;
}

/**
 * Reads the raw body once and returns it when its Stripe-Signature verifies against
 * STRIPE_WEBHOOK_SECRET (required: without it nothing is accepted). A missing, wrong or too old
 * signature is a 400 and nothing more is read; what the verified body says is the caller's to check.
 */
export async function verifiedStripePayload(request: Request): Promise<string> {
  const secret = requireEnv("STRIPE_WEBHOOK_SECRET");
  const signature = request.headers.get("stripe-signature");
  if (!signature) throw new HttpError(400, "missing_signature", "The Stripe-Signature header is missing");
  const payload = await request.text();
  try {
    await stripeClient().webhooks.constructEventAsync(payload, signature, secret, undefined, cryptoProvider);
  } catch (error) {
    if (error instanceof Stripe.errors.StripeSignatureVerificationError) {
      throw new HttpError(400, "invalid_signature", "The Stripe-Signature header does not match the payload, or is too old");
    }
    // The signature was verified before the body was parsed: a signed body that is not JSON.
  }
  return payload;
}

/** Stripe's unix-seconds timestamps as ISO strings for SQL. */
export function isoTime(unixSeconds: number | null | undefined): string | null {
  return unixSeconds == null ? null : new Date(unixSeconds * 1000).toISOString();
}
