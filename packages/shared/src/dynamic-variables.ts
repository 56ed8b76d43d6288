// The dynamic variables our inbound webhook hands Retell for each call, which the master agent's
// prompt reads as {{business_name}}, {{calendar_enabled}}, ... Retell requires string values, so
// every key is always present as a string: missing data becomes "", booleans "true"/"false",
// fees "$89" (or "$89.50"). call_disposition is "blocked" for a caller on a block list (README,
// "Fair billing"): the master prompt ends such a call at once, without a word; "" otherwise.

export const DYNAMIC_VARIABLE_NAMES = [
  "business_name",
  "cal_com_link",
  "calendar_enabled",
  "transfer_number",
  "agent_tone",
  "schedule_summary",
  "standard_fee",
  "emergency_fee",
  "call_disposition",
] as const;

export type DynamicVariables = Record<(typeof DYNAMIC_VARIABLE_NAMES)[number], string>;

/** What the inbound lookup knows about the business a number belongs to. */
export type BusinessForCall = {
  business_name?: string | null;
  transfer_number?: string | null;
  agent_tone?: string | null;
  schedule_summary?: string | null;
  standard_fee?: number | string | null;
  emergency_fee?: number | string | null;
  /** Cal.com connection state (integrations.status), null when never connected. */
  calendar_status?: string | null;
  booking_url?: string | null;
};

/** A fee as the agent should say it: "$89", "$89.50"; "" when unknown or not a number. */
export function formatFee(fee: number | string | null | undefined): string {
  if (fee === null || fee === undefined || fee === "") return "";
  const amount = Number(fee);
  if (!Number.isFinite(amount) || amount < 0) return "";
  return `$${Number.isInteger(amount) ? amount.toString() : amount.toFixed(2)}`;
}

const text = (value: string | null | undefined) => (value ?? "").trim();

/**
 * The variables for a call to `business`. With `messageOnly` (the business may not take calls now:
 * subscription inactive or over its cap) the agent gets no calendar and no transfer number, so it can
 * only take the caller's details; with `blocked` (the caller is on a block list) it also gets
 * call_disposition = "blocked" and ends the call at once. Without a business (unknown number, database unreachable) every
 * variable is empty and the calendar off: the agent's generic, message-taking path.
 */
export function buildDynamicVariables(
  business: BusinessForCall | null,
  options: { messageOnly?: boolean; blocked?: boolean } = {},
): DynamicVariables {
  const calendarConnected = business?.calendar_status === "connected" && !options.messageOnly;
  return {
    business_name: text(business?.business_name),
    cal_com_link: calendarConnected ? text(business?.booking_url) : "",
    calendar_enabled: calendarConnected ? "true" : "false",
    transfer_number: options.messageOnly ? "" : text(business?.transfer_number),
    agent_tone: text(business?.agent_tone),
    schedule_summary: text(business?.schedule_summary),
    standard_fee: formatFee(business?.standard_fee),
    emergency_fee: formatFee(business?.emergency_fee),
    call_disposition: options.blocked ? "blocked" : "",
  };
}
