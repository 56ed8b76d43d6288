// `npm run simulate -- call --to +14155550003 --from +14155551234 [--minutes 3] [--book] [--call-id id]`
// plays a whole Retell call against the running local stack and prints what each step answered.
import { parseArgs } from "node:util";
import { simulateCall } from "./lib/call-simulator.ts";

const USAGE = "usage: npm run simulate -- call --to <business number> --from <caller> [--minutes 3] [--book] [--call-id <id>]";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    to: { type: "string" },
    from: { type: "string" },
    minutes: { type: "string", default: "2" },
    book: { type: "boolean", default: false },
    "call-id": { type: "string" },
  },
});

const minutes = Number(values.minutes);
if (positionals[0] !== "call" || !values.to || !values.from || !Number.isFinite(minutes) || minutes < 0) {
  console.error(USAGE);
  process.exit(2);
}

const { callId, steps } = await simulateCall({
  to: values.to,
  from: values.from,
  minutes,
  book: values.book,
  callId: values["call-id"],
  onStep: (step) => console.log(`${step.step.padEnd(28)} ${step.status} ${String(step.ms).padStart(5)} ms  ${JSON.stringify(step.body)}`),
});
const failed = steps.filter((step) => step.status >= 300);
console.log(failed.length === 0 ? `call ${callId}: every step answered 2xx` : `call ${callId}: ${failed.length} step(s) failed`);
process.exit(failed.length === 0 ? 0 : 1);
