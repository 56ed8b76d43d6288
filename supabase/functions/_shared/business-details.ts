// The business details an agent speaks from, as the wizard (deploy-agent) and operators
// (admin-agents quick-onboard) send them. Optional fields left out (or null) keep the saved value.
import { z } from "zod";
import { toE164 } from "../../../packages/shared/src/phone.ts";

const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "times are HH:MM (24 h)");
const openingHours = z.tuple([clock, clock]).refine(([opens, closes]) => opens < closes, "a day must open before it closes");
const fee = z.number().min(0).max(100_000);

/** A phone number in any common shape, normalised to E.164. */
export const phoneNumber = z.string().transform((value, context) => {
  const e164 = toE164(value);
  if (!e164) {
    context.addIssue({ code: "custom", message: "not a phone number" });
    return z.NEVER;
  }
  return e164;
});

export const BusinessDetails = z.object({
  business_name: z.string().trim().min(1).max(200),
  area_code: z.coerce.string().regex(/^[2-9]\d{2}$/, "a 3-digit US area code"),
  industry: z.enum(["hvac", "plumbing"]),
  business_hours: z.partialRecord(z.enum(WEEKDAYS), openingHours).nullish(),
  transfer_number: phoneNumber.nullish(),
  agent_tone: z.enum(["friendly", "professional", "calm", "energetic"]).nullish(),
  schedule_summary: z.string().trim().max(500).nullish(),
  standard_fee: fee.nullish(),
  emergency_fee: fee.nullish(),
});

export type BusinessDetails = z.infer<typeof BusinessDetails>;

/** The details as arguments of our SQL functions: absent optional fields become null (= keep). */
export function businessArguments(details: BusinessDetails) {
  return {
    business_name: details.business_name,
    area_code: details.area_code,
    industry: details.industry,
    business_hours: details.business_hours ?? null,
    transfer_number: details.transfer_number ?? null,
    agent_tone: details.agent_tone ?? null,
    schedule_summary: details.schedule_summary ?? null,
    standard_fee: details.standard_fee ?? null,
    emergency_fee: details.emergency_fee ?? null,
  };
}
