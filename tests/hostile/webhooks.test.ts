// The webhooks we receive, tried as a hostile sender would: for Retell's call events, its inbound
// webhook and the agent's tool calls, Stripe and Cal.com, inputs generated from one fixed seed
// (mutations of a genuine event, and bodies of another shape entirely) plus the concrete cases
// found by hand, each sent correctly signed and badly signed. A correctly signed event is answered
// 200 with its effect or with a rejection recorded for an operator, never a 5xx, within the
// sender's timeout; a badly signed one is refused and writes no row anywhere.
import { createHmac } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { callObject, postAsRetell, retellApiKey } from "../../scripts/lib/call-simulator.ts";
import { signCalcomPayload } from "../../fakes/calcom.ts";
import { signStripePayload } from "../../fakes/stripe.ts";
import { deliver as deliverStripe, env as stripeEnv, signedEvent } from "../billing/stripe.ts";
import { calBooking, deliverWebhook as deliverCalcom, env as calcomEnv, signedWebhook, uniqueCalUser } from "../calcom/calcom.ts";
import { newBusiness, uniquePhone, type Business } from "../calls/fixtures.ts";
import { newUser, type TestUser } from "../helpers/stack.ts";
import {
  type Answer,
  broken,
  countingWrites,
  DEEP_LEVELS,
  expectRejected,
  generated,
  mutationsOf,
  reportAfterAll,
  rowsIn,
  sendAll,
  strangeBodies,
  tally,
} from "./hostile.ts";

reportAfterAll("webhooks");

/** Retell, Stripe and Cal.com wait about 10 s for an answer before they count a delivery failed. */
const SENDER_TIMEOUT_MS = 10_000;
const GENERATED = 150;
const STRANGE = 50;
const BADLY_SIGNED = 100;

const is200 = (status: number) => status === 200;

/** An answer to a correctly signed event: applied, ignored, or rejected and recorded. */
function expectWebhookAnswers(sent: Awaited<ReturnType<typeof sendAll>>) {
  expect(broken(sent, { allowed: is200, budgetMs: SENDER_TIMEOUT_MS })).toEqual([]);
}

// ---------------------------------------------------------------------------
// Retell: call events
// ---------------------------------------------------------------------------

/** A Retell signature of `raw` made `now` with `key` (the SDK's scheme, contracts.md 1c). */
function retellSignature(raw: string, key: string, now = Date.now()): string {
  return `v=${now},d=${createHmac("sha256", key).update(raw + now).digest("hex")}`;
}

/** Missing, malformed, wrong-key, stale, future, and another body's signatures, in turn. */
function badRetellSignature(raw: string, index: number): string | null {
  const key = retellApiKey();
  const forms = [
    () => null,
    () => "",
    () => "v=1,d=00",
    () => `v=${Date.now()},d=${"0".repeat(64)}`,
    () => retellSignature(raw, "not-the-api-key"),
    () => retellSignature(raw, key, Date.now() - 6 * 60_000),
    () => retellSignature(raw, key, Date.now() + 6 * 60_000),
    () => retellSignature(raw + " ", key),
    () => retellSignature(raw, key).replace("d=", "d=f").slice(0, -1),
  ];
  return forms[index % forms.length]();
}

function retellBadlySigned(path: string) {
  return async (inputs: string[]) => {
    const { result: sent, written } = await countingWrites(() =>
      sendAll(inputs, (raw, i) => postAsRetell(path, raw, { signature: badRetellSignature(raw, i) }))
    );
    tally(path, "badly signed", sent, rowsIn(written));
    expect(broken(sent, { allowed: (s) => s === 401, budgetMs: SENDER_TIMEOUT_MS })).toEqual([]);
    expect(written).toEqual({});
  };
}

describe("retell-webhook", () => {
  let business: Business;
  beforeAll(async () => {
    business = await newBusiness({ minutesAllowance: 100_000 });
  });

  /** A genuine call_analyzed for the hostile business; CALL_ID is replaced by a fresh id per input. */
  const genuine = () => ({
    event: "call_analyzed",
    call: callObject({ to: business.number, from: uniquePhone(), callId: "CALL_ID", minutes: 2 }, "analyzed", { endedAt: 1_790_000_000_000 }),
  });
  const withFreshIds = (raws: string[], prefix: string) => raws.map((raw, i) => raw.replaceAll("CALL_ID", `call_hostile_${prefix}_${i}_${Date.now()}`));
  const send = (body: unknown) => postAsRetell("retell-webhook", typeof body === "string" ? body : JSON.stringify(body));

  it("rejects a call duration beyond the integer column (2^31 ms, 2^53-1 ms) for an operator instead of answering 500", async () => {
    for (const duration of [2147483648, 2 ** 53 - 1]) {
      const body = genuine();
      body.call.call_id = `call_hostile_duration_${duration}_${Date.now()}`;
      body.call.duration_ms = duration;
      const raw = JSON.stringify(body);
      await expectRejected(await send(raw), "retell", raw);
    }
  });

  it("rejects start and end timestamps no date can hold (1e20, 1e308, -1e20) for an operator instead of answering 500", async () => {
    for (const [field, value] of [["start_timestamp", 1e20], ["start_timestamp", 1e308], ["end_timestamp", -1e20]] as const) {
      const body = genuine();
      body.call.call_id = `call_hostile_${field}_${value}_${Date.now()}`;
      (body.call as Record<string, unknown>)[field] = value;
      const raw = JSON.stringify(body);
      await expectRejected(await send(raw), "retell", raw);
    }
  });

  it("rejects a NUL or a lone surrogate in call_id or transcript for an operator instead of answering 500", async () => {
    for (const [field, bad] of [["call_id", "\u0000"], ["call_id", "\ud800"], ["transcript", "\u0000"], ["transcript", "\ud800"]] as const) {
      const body = genuine();
      body.call.call_id = `call_hostile_text_${Date.now()}`;
      (body.call as Record<string, unknown>)[field] = `before${bad}after`;
      const raw = JSON.stringify(body);
      await expectRejected(await send(raw), "retell", raw);
    }
  });

  it("rejects an extra field nested 10,000 deep for an operator instead of answering 500", async () => {
    const body = genuine();
    body.call.call_id = `call_hostile_deep_${Date.now()}`;
    const raw = JSON.stringify(body).replace('"call":{', `"call":{"extra":${"[".repeat(DEEP_LEVELS)}${"]".repeat(DEEP_LEVELS)},`);
    await expectRejected(await send(raw), "retell", raw);
  });

  it("answers every correctly signed generated event 200, applied or rejected for an operator, within Retell's timeout", async () => {
    const inputs = [
      ...withFreshIds(generated(mutationsOf(genuine()), GENERATED, 1), "m"),
      ...generated(strangeBodies, STRANGE, 2),
    ];
    const { result: sent, written } = await countingWrites(() => sendAll(inputs, (raw) => send(raw)));
    tally("retell-webhook", "correctly signed", sent, rowsIn(written));
    expectWebhookAnswers(sent);
  });

  it("refuses every badly signed or unsigned generated event with 401 and writes no row anywhere", async () => {
    await retellBadlySigned("retell-webhook")(withFreshIds(generated(mutationsOf(genuine()), BADLY_SIGNED, 3), "bad"));
  });
});

// ---------------------------------------------------------------------------
// Retell: the inbound webhook (a call is ringing)
// ---------------------------------------------------------------------------

describe("retell-inbound", () => {
  let business: Business;
  beforeAll(async () => {
    business = await newBusiness();
  });
  const genuine = () => ({ event: "call_inbound", call_inbound: { from_number: uniquePhone(), to_number: business.number, call_id: "CALL_ID" } });
  const freshIds = (raws: string[]) => raws.map((raw, i) => raw.replaceAll("CALL_ID", `call_hostile_inbound_${i}_${Date.now()}`));

  it("answers a correctly signed inbound webhook it cannot read with the take-a-message variables and a recorded rejection", async () => {
    const raw = JSON.stringify({ event: "call_inbound", call_inbound: { from_number: "+14155551234", to_number: "\u0000" } });
    const answer = await postAsRetell("retell-inbound", raw);
    await expectRejected(answer, "retell", raw);
    expect(answer.body.call_inbound.dynamic_variables).toMatchObject({ business_name: "", calendar_enabled: "false" });
  });

  it("answers every correctly signed generated inbound webhook 200 with variables for the caller, within Retell's timeout", async () => {
    const inputs = [...freshIds(generated(mutationsOf(genuine()), GENERATED, 11)), ...generated(strangeBodies, STRANGE, 12)];
    const { result: sent, written } = await countingWrites(() => sendAll(inputs, (raw) => postAsRetell("retell-inbound", raw)));
    tally("retell-inbound", "correctly signed", sent, rowsIn(written));
    expectWebhookAnswers(sent);
    const withoutVariables = sent.filter((s) => typeof (s.body.call_inbound ?? s.body.chat_inbound)?.dynamic_variables !== "object");
    expect(withoutVariables.map((s) => s.input.slice(0, 200))).toEqual([]);
  });

  it("refuses every badly signed or unsigned generated inbound webhook with 401 and writes no row anywhere", async () => {
    await retellBadlySigned("retell-inbound")(freshIds(generated(mutationsOf(genuine()), BADLY_SIGNED, 13)));
  });
});

// ---------------------------------------------------------------------------
// Retell: the agent's tool calls (answered to the agent at once, so a bad one is a 4xx it reads)
// ---------------------------------------------------------------------------

describe("retell-tools", () => {
  let business: Business;
  beforeAll(async () => {
    business = await newBusiness();
  });
  const genuine = () => ({
    name: "check_calendar_availability",
    call: callObject({ to: business.number, from: uniquePhone(), callId: "CALL_ID" }, "started"),
    args: { preferred_date: "2031-03-04" },
  });
  const freshIds = (raws: string[]) => raws.map((raw, i) => raw.replaceAll("CALL_ID", `call_hostile_tool_${i}_${Date.now()}`));

  it("answers every correctly signed generated tool call with a result or a 4xx the agent can read, within Retell's timeout", async () => {
    const inputs = [...freshIds(generated(mutationsOf(genuine()), GENERATED, 21)), ...generated(strangeBodies, STRANGE, 22)];
    const { result: sent, written } = await countingWrites(() =>
      sendAll(inputs, (raw, i) => postAsRetell(i % 2 ? "retell-tools" : "retell-tools/check_calendar_availability", raw))
    );
    tally("retell-tools", "correctly signed", sent, rowsIn(written));
    expect(broken(sent, { allowed: (s) => s === 200 || (s >= 400 && s < 500), budgetMs: SENDER_TIMEOUT_MS })).toEqual([]);
  });

  it("refuses every badly signed or unsigned generated tool call with 401 and writes no row anywhere", async () => {
    await retellBadlySigned("retell-tools")(freshIds(generated(mutationsOf(genuine()), BADLY_SIGNED, 23)));
  });
});

// ---------------------------------------------------------------------------
// Stripe
// ---------------------------------------------------------------------------

describe("stripe-webhook", () => {
  let owner: TestUser;
  beforeAll(async () => {
    owner = await newUser("hostile-stripe");
  });

  /** Genuine events of each type we act on, for a user of ours, with ids EVT_ID replaced per input. */
  const genuineEvents = () => [
    {
      type: "checkout.session.completed",
      object: {
        id: "cs_test_hostile", object: "checkout.session", mode: "payment", payment_status: "paid", status: "complete",
        client_reference_id: owner.id, customer: "cus_hostile", subscription: null, metadata: { user_id: owner.id, product: "call_300" },
      },
    },
    {
      type: "checkout.session.completed",
      object: {
        id: "cs_test_hostile_sub", object: "checkout.session", mode: "subscription", payment_status: "paid", status: "complete",
        client_reference_id: owner.id, customer: "cus_hostile", subscription: "sub_hostile_unknown", metadata: { user_id: owner.id, plan: "pro" },
      },
    },
    {
      type: "customer.subscription.updated",
      object: {
        id: "sub_hostile_unknown", object: "subscription", status: "active", customer: "cus_hostile", metadata: { user_id: owner.id },
        cancel_at_period_end: false, canceled_at: null,
        items: { object: "list", data: [{ id: "si_1", price: { id: stripeEnv.STRIPE_PRICE_ID_PRO }, current_period_start: 1_790_000_000, current_period_end: 1_792_600_000 }] },
      },
    },
    {
      type: "invoice.payment_failed",
      object: {
        id: "in_hostile", object: "invoice", customer: "cus_hostile", status: "open", amount_due: 4900, currency: "usd", attempt_count: 1,
        next_payment_attempt: 1_790_100_000, hosted_invoice_url: "https://invoice.example.com/in_hostile",
        parent: { subscription_details: { subscription: "sub_hostile_unknown" } },
      },
    },
  ];

  async function signedBody(raw: string, index: number): Promise<{ payload: string; signature: string }> {
    const payload = raw.replaceAll("EVT_ID", `evt_hostile_${index}_${Date.now()}`);
    return { payload, signature: await signStripePayload(payload, stripeEnv.STRIPE_WEBHOOK_SECRET) };
  }
  const genuineBodies = async () => Promise.all(genuineEvents().map(async (e) => {
    const { event } = await signedEvent(e.type, e.object);
    return { ...event, id: "EVT_ID" };
  }));

  it("rejects a correctly signed body of null, data of \"x\" or null, or data.object of null for an operator instead of answering 500", async () => {
    const [checkout] = await genuineBodies();
    const bodies = [
      "null",
      JSON.stringify({ ...checkout, id: `evt_hostile_data_x_${Date.now()}`, data: "x" }),
      JSON.stringify({ ...checkout, id: `evt_hostile_data_null_${Date.now()}`, data: null }),
      JSON.stringify({ ...checkout, id: `evt_hostile_object_null_${Date.now()}`, data: { object: null } }),
    ];
    for (const payload of bodies) {
      const answer = await deliverStripe({ payload, signature: await signStripePayload(payload, stripeEnv.STRIPE_WEBHOOK_SECRET) });
      await expectRejected(answer, "stripe", payload);
    }
  });

  it("answers every correctly signed generated event 200, applied, ignored or rejected for an operator, within Stripe's patience", async () => {
    const bases = await genuineBodies();
    const inputs = [
      ...bases.flatMap((base, b) => generated(mutationsOf(base), GENERATED / bases.length, 31 + b)),
      // Stripe's SDK verifies no signature over an empty body (it says there is no payload): not a signed event.
      ...generated(strangeBodies, STRANGE, 35).filter((raw) => raw !== ""),
    ];
    const { result: sent, written } = await countingWrites(() =>
      sendAll(inputs, async (raw, i) => deliverStripe(await signedBody(raw, i)))
    );
    tally("stripe-webhook", "correctly signed", sent, rowsIn(written));
    expectWebhookAnswers(sent);
  });

  it("refuses every badly signed or unsigned generated event with 400 and writes no row anywhere", async () => {
    const bases = await genuineBodies();
    const raws = bases.flatMap((base, b) => generated(mutationsOf(base), BADLY_SIGNED / bases.length, 36 + b));
    const badlySigned = async (raw: string, index: number): Promise<Answer> => {
      const { payload, signature } = await signedBody(raw, index);
      const forms: (() => Promise<{ payload: string; signature?: string }>)[] = [
        async () => ({ payload }),
        async () => ({ payload, signature: "" }),
        async () => ({ payload, signature: "t=1,v1=00" }),
        async () => ({ payload, signature: await signStripePayload(payload, "whsec_not_the_secret") }),
        async () => ({ payload, signature: await signStripePayload(payload, stripeEnv.STRIPE_WEBHOOK_SECRET, Math.floor(Date.now() / 1000) - 600) }),
        async () => ({ payload: payload + " ", signature }),
        async () => ({ payload, signature: signature.replace(/v1=([0-9a-f])/, (_, c) => `v1=${c === "0" ? "1" : "0"}`) }),
      ];
      return deliverStripe(await forms[index % forms.length]());
    };
    const { result: sent, written } = await countingWrites(() => sendAll(raws, badlySigned));
    tally("stripe-webhook", "badly signed", sent, rowsIn(written));
    expect(broken(sent, { allowed: (s) => s === 400, budgetMs: SENDER_TIMEOUT_MS })).toEqual([]);
    expect(written).toEqual({});
  });
});

// ---------------------------------------------------------------------------
// Cal.com
// ---------------------------------------------------------------------------

describe("calcom-webhook", () => {
  const organizer = uniqueCalUser();
  const genuine = () => {
    const booking = calBooking(organizer, { uid: "BOOKING_UID" });
    return JSON.parse(signedWebhook("BOOKING_CREATED", booking, organizer).raw);
  };
  const signed = (raw: string, index: number) => {
    const payload = raw.replaceAll("BOOKING_UID", `uid_hostile_${index}_${Date.now()}`);
    return { payload, signature: signCalcomPayload(payload, calcomEnv.CALCOM_WEBHOOK_SECRET) };
  };

  it("rejects a NUL or a lone surrogate in payload.uid or organizer.username for an operator instead of answering 500", async () => {
    for (const [field, bad] of [["uid", "\u0000"], ["uid", "\ud800"], ["username", "\u0000"], ["username", "\ud800"]] as const) {
      const body = genuine();
      if (field === "uid") body.payload.uid = `uid_hostile${bad}${Date.now()}`;
      else body.payload.organizer.username = `owner${bad}`;
      const { payload, signature } = signed(JSON.stringify(body), 0);
      await expectRejected(await deliverCalcom(payload, signature), "calcom", payload);
    }
  });

  it("answers every correctly signed generated booking event 200, applied or rejected for an operator, within the sender's timeout", async () => {
    const inputs = [...generated(mutationsOf(genuine()), GENERATED, 41), ...generated(strangeBodies, STRANGE, 42)];
    const { result: sent, written } = await countingWrites(() =>
      sendAll(inputs, (raw, i) => {
        const { payload, signature } = signed(raw, i);
        return deliverCalcom(payload, signature);
      })
    );
    tally("calcom-webhook", "correctly signed", sent, rowsIn(written));
    expectWebhookAnswers(sent);
  });

  it("refuses every badly signed or unsigned generated booking event with 401 and writes no row anywhere", async () => {
    const raws = generated(mutationsOf(genuine()), BADLY_SIGNED, 43);
    const badlySigned = (raw: string, index: number) => {
      const { payload, signature } = signed(raw, index);
      const forms: [string, string | undefined][] = [
        [payload, undefined],
        [payload, ""],
        [payload, "no-secret-provided"],
        [payload, signCalcomPayload(payload, "not-the-secret")],
        [payload + " ", signature],
        [payload, (signature[0] === "0" ? "1" : "0") + signature.slice(1)],
        [payload, `sha256=${signature}`],
      ];
      const [body, header] = forms[index % forms.length];
      return deliverCalcom(body, header);
    };
    const { result: sent, written } = await countingWrites(() => sendAll(raws, badlySigned));
    tally("calcom-webhook", "badly signed", sent, rowsIn(written));
    expect(broken(sent, { allowed: (s) => s === 401, budgetMs: SENDER_TIMEOUT_MS })).toEqual([]);
    expect(written).toEqual({});
  });
});
