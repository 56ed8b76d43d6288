// The main job: plays the product's whole story on the local stack through its public interfaces
// (supabase-js under RLS as the frontend, the signed webhooks of Stripe, Retell and Cal.com), one
// line per step. `--json` prints one JSON object per step instead; the exit code is non-zero when
// any step did not do what it should.
import { randomUUID } from "node:crypto";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { decodeJwt, decodeProtectedHeader } from "jose";
import ws from "ws";
import { API_URL, DB_URL, PORTS, PUBLISHABLE_KEY, TEST_PASSWORD, fakeUrl } from "../stack/config.ts";
import { start, statusEnv } from "../stack/cli.ts";
import { signIn } from "../stack/auth.ts";
import { callFunction, userClient } from "../stack/clients.ts";
import { functionEnv } from "../stack/functions.ts";
import { redeliver, simulateCall, type CallScript, type Step } from "./lib/call-simulator.ts";
import { areaCodeInDaytime } from "./lib/callers-by-local-time.ts";
import { Webhook } from "standardwebhooks";
import { WebhookReceiver } from "../fakes/webhook-receiver.ts";

const JSON_MODE = process.argv.includes("--json");
const OWNER_EMAIL = "demo.owner@example.com";
const ADMIN_EMAIL = "admin@example.com";
const CALLER = "+13035550142";
// Fair billing's callers: a robocaller the owner blocks and a hang-up; the caller the call fails is
// in a zone where it is daytime (the text-back keeps the quiet hours of the caller's zone).
const ROBOCALLER = "+13035550111";
const SILENT_CALLER = "+13035550163";
// The requested area code has no numbers left in the demo inventory, so deployment falls back.
const REQUESTED_AREA_CODE = "303";

class StepFailed extends Error {}

function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new StepFailed(message);
}

type Facts = Record<string, unknown>;
const results: { step: string; ok: boolean }[] = [];

/** Runs one step and prints its line: the summary it returns, or why it failed. */
async function step(name: string, run: () => Promise<{ line: string; facts?: Facts }>): Promise<void> {
  const started = performance.now();
  try {
    const { line, facts } = await run();
    const ms = Math.round(performance.now() - started);
    results.push({ step: name, ok: true });
    if (JSON_MODE) console.log(JSON.stringify({ step: name, ok: true, ms, ...facts }));
    else console.log(`✔ ${name.padEnd(16)} ${line}`);
  } catch (error) {
    results.push({ step: name, ok: false });
    const message = error instanceof Error ? error.message : String(error);
    if (JSON_MODE) console.log(JSON.stringify({ step: name, ok: false, error: message }));
    else console.log(`✘ ${name.padEnd(16)} ${message}`);
    throw error;
  }
}

/** The data of a supabase-js answer; an error fails the step. */
async function rows(query: PromiseLike<{ data: unknown; error: { message: string } | null }>): Promise<any> {
  const { data, error } = await query;
  if (error) throw new StepFailed(error.message);
  return data;
}

async function poll<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new StepFailed(`${what} did not happen within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Everything the story's business owns, counted, to show that a redelivery changed nothing. */
async function snapshot(owner: SupabaseClient): Promise<Record<string, unknown>> {
  const count = async (table: string) => (await owner.from(table).select("*", { count: "exact", head: true })).count;
  const [usage] = await rows(owner.from("usage_limits").select("call_minutes_used, sms_used, calls_count, topup_call_minutes"));
  const [subscription] = await rows(owner.from("subscriptions").select("plan, status, current_period_end, last_event_at"));
  const [agent] = await rows(owner.from("agents").select("phone_number, deploy_status"));
  const retellNumbers = (await (await fetch(`${fakeUrl("retell")}/__control/state`)).json()).phoneNumbers.length;
  return {
    usage,
    subscription,
    agent,
    retell_numbers: retellNumbers,
    ...Object.fromEntries(
      await Promise.all(
        ["calls", "usage_calls", "call_recordings", "customers", "leads", "appointments", "webhook_queue"].map(async (t) => [t, await count(t)]),
      ),
    ),
  };
}

async function main() {
  const started = performance.now();
  await start();
  const env = functionEnv();

  // A fresh demo business each run: the previous one and everything it owned goes with its account.
  const { default: postgres } = await import("postgres");
  const sql = postgres(DB_URL, { max: 1, onnotice: () => {} });
  await sql`delete from auth.users where email = ${OWNER_EMAIL}`;
  await fetch(`${fakeUrl("retell")}/__control/inventory`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ areaCodes: { [REQUESTED_AREA_CODE]: 0 } }),
  });

  // The frontend's own supabase-js client, which keeps the session it signs in with.
  const frontend = createClient(API_URL, PUBLISHABLE_KEY, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: ws as unknown as typeof WebSocket },
    global: { headers: { "User-Agent": "demo-browser" } },
  });
  const owner = { id: "", accessToken: "" };

  // The business's own receiver (their CRM's hook) on this machine, registered once the owner has
  // signed up.
  const receiver = await WebhookReceiver.start();
  const hook = receiver.endpoint();
  let endpoint = { id: "" };
  let stripeDelivery: { payload: string; signature: string; eventId: string } | undefined;
  let phoneNumber = "";
  let callScript: CallScript | undefined;
  let callRequests: Step[] = [];

  await step("Sign-up", async () => {
    // Sign-up and sign-in through /auth/v1, as the frontend does them.
    const signedUp = await frontend.auth.signUp({ email: OWNER_EMAIL, password: TEST_PASSWORD });
    if (signedUp.error) throw new StepFailed(`sign-up failed: ${signedUp.error.message}`);
    await frontend.auth.signOut({ scope: "local" });
    const signedIn = await frontend.auth.signInWithPassword({ email: OWNER_EMAIL, password: TEST_PASSWORD });
    if (signedIn.error) throw new StepFailed(`sign-in failed: ${signedIn.error.message}`);
    owner.id = signedIn.data.user.id;
    owner.accessToken = signedIn.data.session.access_token;
    // The Data API takes https endpoints with public hosts only, so this plain-http local one is
    // saved as the functions save one (the local stack allows loopback targets); the owner then
    // reads its secret under RLS.
    [endpoint] = await sql<{ id: string }[]>`insert into public.webhook_configs (user_id, url, description)
                                             values (${owner.id}, ${hook.url}, 'Demo CRM') returning id`;
    await sql.end();
    const { alg, kid } = decodeProtectedHeader(owner.accessToken);
    const settings = await rows(frontend.rpc("public_settings"));
    await rows(
      frontend
        .from("profiles")
        .update({
          business_name: "Mile High Heating & Air",
          industry: "hvac",
          area_code: REQUESTED_AREA_CODE,
          time_zone: "America/Denver",
          business_hours: { mon: ["07:00", "18:00"], tue: ["07:00", "18:00"], wed: ["07:00", "18:00"], thu: ["07:00", "18:00"], fri: ["07:00", "18:00"] },
          schedule_summary: "Weekdays 7am to 6pm, emergencies around the clock",
          transfer_number: "+13035550199",
          agent_tone: "friendly",
          standard_fee: 89,
          emergency_fee: 189,
        })
        .eq("id", owner.id),
    );
    await rows(frontend.rpc("record_consent", { version: settings.consent_version }));
    const profile = await rows(frontend.from("profiles").select("business_name, industry, area_code, consent_version").single());
    expect(profile.consent_version === settings.consent_version, "consent was not recorded");
    return {
      line: `${OWNER_EMAIL} signed up and in through /auth/v1 (${alg} token, kid ${String(kid).slice(0, 8)}…); wizard saved "${profile.business_name}" (${profile.industry}, area code ${profile.area_code}, fees $89/$189, transfer +13035550199), consent ${profile.consent_version}`,
      facts: { user_id: owner.id, token_alg: alg, token_kid: kid, session_id: decodeJwt(owner.accessToken).session_id, ...profile },
    };
  });

  await step("Payment", async () => {
    const checkout = await callFunction("create-checkout-session", { token: owner.accessToken, body: { kind: "subscription", plan: "pro" } });
    expect(checkout.status === 200, `create-checkout-session answered ${checkout.status}: ${JSON.stringify(checkout.body)}`);
    // The owner pays on Stripe's page; Stripe then sends the signed event to our webhook.
    const paid = await (await fetch(`${fakeUrl("stripe")}/__control/checkout/${checkout.body.id}/complete`, { method: "POST" })).json();
    stripeDelivery = { payload: paid.payload, signature: paid.signature, eventId: paid.event.id };
    const delivered = await callFunction("stripe-webhook", { rawBody: paid.payload, headers: { "stripe-signature": paid.signature } });
    expect(delivered.status === 200, `stripe-webhook answered ${delivered.status}: ${JSON.stringify(delivered.body)}`);
    const [status] = await rows(frontend.rpc("subscription_status"));
    expect(status?.status === "active", "the subscription is not active");
    return {
      line: `checkout ${checkout.body.id} paid; signed ${paid.event.type} (${paid.event.id}) → plan ${status.plan_name} ${status.status}, ${status.call_minutes_allowance} call minutes and ${status.sms_allowance} SMS this period`,
      facts: { event_id: paid.event.id, plan: status.plan, status: status.status, call_minutes: status.call_minutes_allowance, sms: status.sms_allowance },
    };
  });

  await step("Deployment", async () => {
    const agent = await poll("the agent deployment", async () => {
      const [row] = await rows(frontend.from("agents").select("deploy_status, deploy_error_code, phone_number, area_code_requested, area_code_obtained, area_codes_tried"));
      if (row?.deploy_status === "failed") throw new StepFailed(`deployment failed: ${row.deploy_error_code}`);
      return row?.deploy_status === "active" ? row : undefined;
    });
    phoneNumber = agent.phone_number;
    const fellBack = agent.area_code_obtained !== agent.area_code_requested;
    return {
      line: `agent active by itself, number ${agent.phone_number}${fellBack ? ` (no numbers left in ${agent.area_code_requested}; fell back to ${agent.area_code_obtained} after trying ${agent.area_codes_tried.join(", ")})` : ""}`,
      facts: agent,
    };
  });

  await step("Cal.com", async () => {
    const start = await callFunction("calcom-oauth/authorize-url", { token: owner.accessToken });
    expect(start.status === 200, `authorize-url answered ${start.status}: ${JSON.stringify(start.body)}`);
    // The browser visits Cal.com, the owner approves, Cal.com redirects back to our callback.
    const consent = await fetch(start.body.url, { redirect: "manual" });
    const callback = consent.headers.get("location");
    expect(consent.status === 302 && callback, `Cal.com's authorize page answered ${consent.status}`);
    const back = await fetch(callback, { redirect: "manual" });
    const outcome = new URL(back.headers.get("location") ?? "http://invalid/").searchParams.get("calcom");
    expect(outcome === "connected", `the callback sent the browser back with calcom=${outcome}`);
    const status = await callFunction("calcom-oauth/status", { method: "GET", token: owner.accessToken });
    expect(status.body.connected === true, `status says ${JSON.stringify(status.body)}`);
    return {
      line: `connected Cal.com account ${status.body.username ?? status.body.account?.username} (${status.body.email ?? status.body.account?.email}), booking link ${status.body.booking_url ?? status.body.bookingUrl}`,
      facts: status.body,
    };
  });

  const callSteps: Record<string, any> = {};
  await step("Inbound call", async () => {
    callScript = {
      to: phoneNumber,
      from: CALLER,
      callId: `call_demo_${randomUUID().replaceAll("-", "").slice(0, 16)}`,
      minutes: 3,
      book: true,
      onStep: (s) => (callSteps[s.step] = s),
    };
    callRequests = (await simulateCall(callScript)).steps;
    const inbound = callSteps.call_inbound;
    expect(inbound.status === 200, `retell-inbound answered ${inbound.status}`);
    const variables = inbound.body.call_inbound.dynamic_variables;
    expect(variables.business_name === "Mile High Heating & Air", "the variables do not name the business");
    return {
      line: `${CALLER} rang ${phoneNumber}; signed inbound webhook answered in ${inbound.ms} ms with ${Object.entries(variables).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ")}`,
      facts: { call_id: callScript.callId, ms: inbound.ms, dynamic_variables: variables },
    };
  });

  await step("Booking", async () => {
    const availability = callSteps.check_calendar_availability;
    const booking = callSteps.book_appointment;
    expect(availability?.status === 200 && booking?.status === 200, "a tool call failed");
    const [appointment] = await rows(frontend.from("appointments").select("start_at, status, source, customer_name, calcom_booking_uid").eq("call_id", callScript!.callId));
    expect(appointment, "no appointment row for the call");
    const said = (answer: any) => (typeof answer.body === "string" ? answer.body : answer.body.result ?? JSON.stringify(answer.body));
    // The caller's confirmation text was queued with the booking and leaves after it.
    const confirmation = await poll("the booking confirmation text to leave", async () => {
      const [message] = await rows(frontend.from("sms_messages").select("status, body, to_number").like("idempotency_key", "booking-confirmation:%"));
      return message && message.status !== "queued" ? message : undefined;
    }, 15_000);
    expect(confirmation.status === "sent" && confirmation.to_number === CALLER, `the confirmation text is ${JSON.stringify(confirmation)}`);
    return {
      line: `agent checked the calendar ("${said(availability)}") and booked: "${said(booking)}" → appointment ${appointment.start_at} (${appointment.source}, Cal.com ${appointment.calcom_booking_uid}); texted ${CALLER} "${confirmation.body}"`,
      facts: { availability: said(availability), booking: said(booking), appointment, confirmation: { status: confirmation.status, body: confirmation.body } },
    };
  });

  await step("After the call", async () => {
    const [call] = await rows(frontend.from("calls").select("status, duration_ms").eq("call_id", callScript!.callId));
    const [usage] = await rows(frontend.from("usage_calls").select("billable_minutes").eq("call_id", callScript!.callId));
    const [recording] = await rows(frontend.from("call_recordings").select("recording_url, transcript, sentiment, summary").eq("call_id", callScript!.callId));
    const [lead] = await rows(frontend.from("leads").select("name, service_needed, urgency").eq("call_id", callScript!.callId));
    const [customer] = await rows(frontend.from("customers").select("phone, total_calls").eq("phone", CALLER));
    const [status] = await rows(frontend.rpc("subscription_status"));
    expect(call?.status === "ended" && usage && recording?.transcript && lead && customer, "the call's records are incomplete");
    return {
      line: `call ended: ${usage.billable_minutes} billable minutes, recording and transcript stored (${recording.sentiment}), lead ${lead.name} (${lead.service_needed}, ${lead.urgency}), customer ${customer.phone}; minutes left ${status.call_minutes_left} of ${status.call_minutes_allowance}`,
      facts: { billable_minutes: usage.billable_minutes, lead, customer, minutes_left: status.call_minutes_left },
    };
  });

  await step("SMS", async () => {
    // The caller texts the business's number through Twilio (signed as Twilio signs), the owner
    // answers from the dashboard, then the caller texts STOP and the owner's next text is refused.
    const text = async (body: string) => {
      const response = await fetch(`${fakeUrl("twilio")}/__control/inbound`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ url: `${API_URL}/functions/v1/sms-inbound`, From: CALLER, To: phoneNumber, Body: body }),
      });
      return (await response.json()) as { status: number; responseBody: string };
    };
    const send = (body: string) =>
      callFunction("send-sms", { token: owner.accessToken, body: { to: CALLER, body }, headers: { "idempotency-key": randomUUID() } });
    const asked = await text("Can you send me the address for the invoice?");
    expect(asked.status === 200, `sms-inbound answered ${asked.status}`);
    const reply = await send("Sure: 1200 Larimer St, Denver. Thanks for choosing us!");
    expect(reply.status === 201, `the owner's reply got ${reply.status} ${JSON.stringify(reply.body)}`);
    const stop = await text("STOP");
    expect(stop.status === 200 && stop.responseBody.includes("<Response/>"), "STOP was answered with a text of ours");
    const refused = await send("One more thing about your invoice");
    expect(refused.status === 409 && refused.body.error.code === "recipient_opted_out", `after STOP the send got ${refused.status}`);
    const messages = await rows(frontend.from("sms_messages").select("direction, body, status").order("created_at"));
    const [consent] = await rows(frontend.from("sms_consents").select("opted_out").eq("customer_phone", CALLER));
    expect(consent?.opted_out === true, "the consent ledger does not show the opt-out");
    return {
      line: `${CALLER} texted ${phoneNumber}; the owner replied from the business's number (${reply.body.message.segments} segment, ${reply.body.message.status}); ${CALLER} texted STOP and the next send was refused (recipient_opted_out); the conversation holds ${messages.length} messages`,
      facts: { messages: messages.length, reply_status: reply.body.message.status, after_stop: refused.body.error.code },
    };
  });

  await step("Webhooks", async () => {
    const [{ secret }] = await rows(frontend.from("webhook_configs").select("secret").eq("id", endpoint.id));
    const wanted = ["appointment_booked", "call_ended", "lead_created"];
    const received = await poll("the call's events to reach the business's receiver", async () => {
      const verified = hook.received.map((request) => new Webhook(secret).verify(request.body, request.headers) as { type: string });
      return wanted.every((type) => verified.some((e) => e.type === type)) ? verified : undefined;
    }, 15_000);
    const log = await rows(frontend.from("webhook_deliveries").select("status_code").eq("webhook_config_id", endpoint.id));
    expect(log.length === received.length && log.every((a: { status_code: number }) => a.status_code === 200),
      `the delivery log shows ${JSON.stringify(log)}`);
    return {
      line: `${received.length} signed events (${received.map((e) => e.type).sort().join(", ")}) reached the business's receiver at ${hook.url}; each Standard Webhooks signature verified with its whsec_ secret; the owner's delivery log shows ${log.length} attempts, all 200`,
      facts: { delivered: received.map((e) => e.type).sort(), verified: true, attempts: log.length },
    };
  });

  await step("Redelivery", async () => {
    const before = await snapshot(frontend);
    const again = await callFunction("stripe-webhook", { rawBody: stripeDelivery!.payload, headers: { "stripe-signature": stripeDelivery!.signature } });
    expect(again.status === 200, `the redelivered Stripe event got ${again.status}`);
    const answers = await redeliver(callRequests);
    expect(answers.every((a) => a.status === 200), `a redelivered call request was refused: ${answers.map((a) => a.status).join(", ")}`);
    const after = await snapshot(frontend);
    expect(JSON.stringify(before) === JSON.stringify(after), `state changed: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
    return {
      line: `Stripe event ${stripeDelivery!.eventId} and the call's ${callRequests.length} signed requests (${callRequests.map((r) => r.step).join(", ")}) delivered again: nothing changed (${Object.keys(after).length} records compared, still one number at Retell for this business)`,
      facts: { unchanged: true, compared: Object.keys(after) },
    };
  });

  await step("Reconciliation", async () => {
    const admin = await signIn(ADMIN_EMAIL);
    const asAdmin = userClient(admin.accessToken);
    const queued = await rows(asAdmin.rpc("admin_trigger_reconciliation"));
    expect(queued.status === "queued", `reconciliation run ${queued.id} is ${queued.status}, not queued`);
    // pg_cron's minute job completes it; the admin reads the outcome.
    const queuedAt = Date.now();
    const run = await poll("the minute job to complete the reconciliation run", async () => {
      const row = await rows(asAdmin.from("reconciliation_runs").select("*").eq("id", queued.id).single());
      return row.status === "queued" ? undefined : row;
    }, 75_000);
    expect(run.status === "completed", `reconciliation run ${run.id} is ${run.status}: ${run.note ?? ""}`);
    const ownChanges = (run.changes as { user_id: string }[]).filter((c) => c.user_id === owner.id);
    expect(ownChanges.length === 0, `reconciliation corrected the demo business: ${JSON.stringify(ownChanges)}`);
    return {
      line: `run #${run.id} queued by an admin, completed by the minute job ${Math.round((Date.now() - queuedAt) / 1000)} s later: checked ${run.users_checked} businesses, corrected ${run.users_corrected}; no drift for ${OWNER_EMAIL}`,
      facts: { run_id: run.id, users_checked: run.users_checked, users_corrected: run.users_corrected },
    };
  });

  await step("Dashboard", async () => {
    const stats = await rows(frontend.rpc("dashboard_stats"));
    expect(stats.calls === 1 && stats.appointments === 1 && stats.leads === 1, `unexpected dashboard ${JSON.stringify(stats)}`);
    return {
      line: `calls ${stats.calls} (answer rate ${stats.answer_rate}), minutes used ${stats.minutes_used}, minutes left ${stats.minutes_left}, SMS left ${stats.sms_left}, appointments ${stats.appointments}, leads ${stats.leads}`,
      facts: stats,
    };
  });

  const minutesLeft = async () => (await rows(frontend.rpc("subscription_status")))[0].call_minutes_left;

  await step("Blocked call", async () => {
    await rows(frontend.from("caller_blocks").insert({ phone: ROBOCALLER, note: "robocaller" }));
    const before = await minutesLeft();
    const inbound: Record<string, any> = {};
    const { callId } = await simulateCall({ to: phoneNumber, from: ROBOCALLER, minutes: 0.1, silent: true, onStep: (s) => (inbound[s.step] = s) });
    const variables = inbound.call_inbound.body.call_inbound.dynamic_variables;
    const [call] = await rows(frontend.from("calls").select("status, refusal_reason").eq("call_id", callId));
    const billed = await rows(frontend.from("usage_calls").select("call_id").eq("call_id", callId));
    const after = await minutesLeft();
    expect(variables.call_disposition === "blocked", `the inbound answer said call_disposition=${JSON.stringify(variables.call_disposition)}`);
    expect(call?.refusal_reason === "blocked" && billed.length === 0 && after === before, "the blocked call was billed");
    return {
      line: `the owner blocked ${ROBOCALLER}; its call was answered with call_disposition="blocked" (the agent hangs up at once), recorded ${call.status} (${call.refusal_reason}), not billed: minutes left ${after}`,
      facts: { call_disposition: variables.call_disposition, refusal_reason: call.refusal_reason, billed: billed.length > 0, minutes_left: after },
    };
  });

  await step("Empty call", async () => {
    const before = await minutesLeft();
    const { callId } = await simulateCall({ to: phoneNumber, from: SILENT_CALLER, minutes: 0.1, silent: true });
    const [usage] = await rows(frontend.from("usage_calls").select("duration_seconds, billable_minutes, unbilled_reason").eq("call_id", callId));
    const after = await minutesLeft();
    expect(usage?.unbilled_reason === "empty_call" && usage.billable_minutes === 0 && after === before, `the empty call was billed: ${JSON.stringify(usage)}`);
    return {
      line: `${SILENT_CALLER} hung up after ${usage.duration_seconds} s without a word: recorded with 0 minutes (${usage.unbilled_reason}), minutes left ${after}`,
      facts: { unbilled_reason: usage.unbilled_reason, billable_minutes: usage.billable_minutes, minutes_left: after },
    };
  });

  await step("Text-back", async () => {
    const analysis = { call_summary: "The caller's line dropped before a visit was booked.", user_sentiment: "Neutral", call_successful: false, in_voicemail: false, custom_analysis_data: {} };
    const lookup = postgres(DB_URL, { max: 1, onnotice: () => {} });
    const lostCaller = `+1${await areaCodeInDaytime(lookup)}5550177`;
    await lookup.end();
    const { callId } = await simulateCall({ to: phoneNumber, from: lostCaller, minutes: 1.5, analysis });
    const text = await poll("the text-back to be sent", async () => {
      const [message] = await rows(frontend.from("sms_messages").select("body, status, from_number").eq("to_number", lostCaller).eq("status", "sent"));
      return message;
    }, 15_000);
    const [textBack] = await rows(frontend.from("call_text_backs").select("reason").eq("call_id", callId));
    expect(text.from_number === phoneNumber && textBack, "the text-back did not come from the business's number");
    return {
      line: `${lostCaller}'s call ended unsuccessfully without a booking (${textBack.reason}); texted once from ${phoneNumber}: "${text.body}"`,
      facts: { reason: textBack.reason, from_business_number: true, body: text.body },
    };
  });

  await receiver.stop();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (JSON_MODE) {
    console.log(JSON.stringify({ step: "done", ok: true, seconds }));
    return;
  }
  const keys = statusEnv();
  const fresh = await signIn(OWNER_EMAIL, { userAgent: "demo-browser" });
  console.log(`
The story took ${seconds}s. The stack keeps serving in the background (stop it with: npm run stack -- stop).

  API            ${keys.API_URL}   (REST ${keys.REST_URL}, functions ${keys.FUNCTIONS_URL})
  Database       ${keys.DB_URL}
  Auth           ${keys.AUTH_URL}   (JWKS ${keys.JWKS_URL})
  publishable    ${keys.PUBLISHABLE_KEY}   (legacy anon key: npm run stack -- status)
  secret key     ${keys.SECRET_KEY}
  Demo owner     ${OWNER_EMAIL}, password ${TEST_PASSWORD}; an access token from Auth, valid 1 h:
                 export DEMO_TOKEN=${fresh.accessToken}
  Demo number    ${phoneNumber}   Fakes: Retell :${PORTS.retell}, Stripe :${PORTS.stripe}, Cal.com :${PORTS.calcom}

Try by hand (after the export above):
  1. Ring the business again:
       npm run simulate -- call --to ${phoneNumber} --from +13035550177 --minutes 2 --book
  2. Read its dashboard as the owner, with supabase-js under RLS:
       node --input-type=module -e "import { createClient } from '@supabase/supabase-js'; import ws from 'ws'; const c = createClient('${keys.API_URL}', '${keys.PUBLISHABLE_KEY}', { realtime: { transport: ws }, global: { headers: { Authorization: 'Bearer ' + process.env.DEMO_TOKEN } } }); console.log((await c.rpc('dashboard_stats')).data)"
  3. Look at the latest calls in SQL:
       psql ${keys.DB_URL} -c "select call_id, status, duration_ms, refusal_reason from calls order by created_at desc limit 5"
`);
}

main()
  .catch((error) => {
    if (!(error instanceof StepFailed) && !results.some((r) => !r.ok)) {
      console.error(JSON_MODE ? JSON.stringify({ step: "setup", ok: false, error: String(error) }) : `✘ ${String(error)}`);
    }
    process.exitCode = 1;
  })
  .finally(() => {
    const failed = results.filter((r) => !r.ok).length;
    if (failed || process.exitCode) process.exitCode = 1;
  });
