// The variables builder on its own: strings only, fees as spoken, message-only and generic modes.
import { describe, expect, it } from "vitest";
import { buildDynamicVariables, DYNAMIC_VARIABLE_NAMES, formatFee } from "../../packages/shared/src/dynamic-variables.ts";

describe("formatFee", () => {
  it.each([
    [89, "$89"], ["89.00", "$89"], [149.5, "$149.50"], ["0", "$0"], [null, ""], [undefined, ""], ["", ""], ["abc", ""], [-5, ""],
  ])("%s -> %s", (fee, spoken) => {
    expect(formatFee(fee as number | string | null | undefined)).toBe(spoken);
  });
});

describe("buildDynamicVariables", () => {
  const business = {
    business_name: "  Hank's Heating ", transfer_number: "+14155550903", agent_tone: "friendly",
    schedule_summary: "Weekdays", standard_fee: 89, emergency_fee: "189.00",
    calendar_status: "connected", booking_url: "https://cal.com/hank",
  };

  it("gives every variable, as a string, from the business", () => {
    const variables = buildDynamicVariables(business);
    expect(Object.keys(variables)).toEqual([...DYNAMIC_VARIABLE_NAMES]);
    expect(variables).toEqual({
      business_name: "Hank's Heating", cal_com_link: "https://cal.com/hank", calendar_enabled: "true",
      transfer_number: "+14155550903", agent_tone: "friendly", schedule_summary: "Weekdays",
      standard_fee: "$89", emergency_fee: "$189", call_disposition: "",
    });
  });

  it("message-only: no calendar and no transfer, the rest kept", () => {
    expect(buildDynamicVariables(business, { messageOnly: true })).toMatchObject({
      business_name: "Hank's Heating", cal_com_link: "", calendar_enabled: "false", transfer_number: "", standard_fee: "$89",
    });
  });

  it("blocked: message-only with call_disposition blocked, which the prompt ends the call on", () => {
    expect(buildDynamicVariables(business, { messageOnly: true, blocked: true })).toMatchObject({
      calendar_enabled: "false", transfer_number: "", call_disposition: "blocked",
    });
  });

  it("no business: every variable empty and the calendar off", () => {
    const variables = buildDynamicVariables(null);
    expect(Object.values(variables).every((value) => typeof value === "string")).toBe(true);
    expect(variables).toEqual(Object.fromEntries(DYNAMIC_VARIABLE_NAMES.map((name) => [name, name === "calendar_enabled" ? "false" : ""])));
  });

  it("a calendar that is not connected is off, whatever its link", () => {
    expect(buildDynamicVariables({ ...business, calendar_status: "needs_reauth" })).toMatchObject({ calendar_enabled: "false", cal_com_link: "" });
  });
});
