// The main job as a test: `npm start`'s story in its machine-readable mode, every step as it should be.
import { spawnSync } from "node:child_process";
import { expect, it } from "vitest";
import { ROOT } from "../../stack/config.ts";

it("plays the whole story through the public interfaces", () => {
  const run = spawnSync(process.execPath, ["--import", "tsx", "scripts/story.ts", "--json"], { cwd: ROOT, encoding: "utf8", timeout: 150_000 });
  const steps = run.stdout.trim().split("\n").map((line) => JSON.parse(line));
  expect(steps.filter((s) => !s.ok)).toEqual([]);
  expect(run.status).toBe(0);
  expect(steps.map((s) => s.step)).toEqual([
    "Sign-up", "Payment", "Deployment", "Cal.com", "Inbound call", "Booking", "After the call", "SMS", "Webhooks", "Redelivery", "Reconciliation", "Dashboard",
    "Blocked call", "Empty call", "Text-back", "done",
  ]);
  const byStep = Object.fromEntries(steps.map((s) => [s.step, s]));
  expect(byStep.Deployment.area_code_obtained).not.toBe(byStep.Deployment.area_code_requested);
  expect(byStep["Inbound call"].dynamic_variables.business_name).toBe("Mile High Heating & Air");
  expect(byStep.Webhooks).toMatchObject({ delivered: ["appointment_booked", "call_ended", "lead_created"], verified: true });
  expect(byStep.Booking.confirmation).toMatchObject({ status: "sent", body: expect.stringMatching(/^Mile High Heating & Air: your appointment on .+ is confirmed\. Reschedule: .+\/reschedule\/.+ Cancel: .+\/booking\/.+\?cancel=true$/) });
  // The booking confirmation, the customer's text, the owner's reply, STOP.
  expect(byStep.SMS).toMatchObject({ messages: 4, reply_status: "sent", after_stop: "recipient_opted_out" });
  expect(byStep.Redelivery.unchanged).toBe(true);
  expect(byStep.Dashboard).toMatchObject({ calls: 1, appointments: 1, leads: 1, minutes_used: 3 });
  expect(byStep["Blocked call"]).toMatchObject({ call_disposition: "blocked", refusal_reason: "blocked", billed: false, minutes_left: 497 });
  expect(byStep["Empty call"]).toMatchObject({ unbilled_reason: "empty_call", billable_minutes: 0, minutes_left: 497 });
  expect(byStep["Text-back"]).toMatchObject({ reason: "unsuccessful", from_business_number: true });
}, 180_000); // the reconciliation step waits for pg_cron's next minute
