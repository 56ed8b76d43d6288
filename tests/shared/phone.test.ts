import { describe, expect, it } from "vitest";
import { isE164, northAmericanAreaCode, toE164 } from "../../packages/shared/src/phone.ts";

describe("toE164", () => {
  it.each([
    ["+1 (415) 555-0123", "+14155550123"],
    ["415.555.0123", "+14155550123"],
    ["1-415-555-0123", "+14155550123"],
    ["0044 20 7946 0958", "+442079460958"],
    ["+44 20 7946 0958", "+442079460958"],
  ])("normalises %s", (input, expected) => {
    expect(toE164(input)).toBe(expected);
  });

  it.each([[""], ["12345"], ["+0123456789"], ["call me"], ["055 555 0123"], [null]])("rejects %s", (input) => {
    expect(toE164(input)).toBeNull();
  });
});

it("tells E.164 and area codes", () => {
  expect(isE164("+14155550123")).toBe(true);
  expect(isE164("4155550123")).toBe(false);
  expect(northAmericanAreaCode("+14155550123")).toBe("415");
  expect(northAmericanAreaCode("+442079460958")).toBeNull();
});
