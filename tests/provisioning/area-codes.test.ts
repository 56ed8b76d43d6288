// Area-code fallback: the defined order of nearby codes (pure), and a deployment that falls back
// when the requested code has no numbers, or fails clearly when no nearby code has any.
// Area codes of this suite: 801, 385, 435 (Utah), 503, 971, 541, 458 (Oregon).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  areaCodesToTry,
  areaCodesWithFallback,
  isAreaCode,
  MAX_AREA_CODES_TRIED,
  nearbyAreaCodes,
} from "../../packages/shared/src/area-codes.ts";
import { sql } from "../helpers/stack.ts";
import {
  auditActions,
  newBusiness,
  numbersOf,
  requestDeploymentLikeStripe,
  setInventory,
  settled,
  waitForDeployment,
} from "./fixtures.ts";

describe("nearby area codes", () => {
  it("tries the requested code, its overlays, then the nearest groups of its region", () => {
    expect(areaCodesToTry("415")).toEqual(["415", "628", "650", "510", "341", "925", "408", "669"]);
    expect(areaCodesToTry("510")).toEqual(["510", "341", "650", "925", "415", "628", "408", "669"]);
    expect(nearbyAreaCodes("212")).toEqual(["646", "332", "917", "718", "347", "929", "516", "914", "631", "934"]);
    expect(nearbyAreaCodes("312")).toEqual(["872", "773", "708", "464", "847", "224", "630", "331", "815", "779"]);
    expect(nearbyAreaCodes("305").slice(0, 3)).toEqual(["786", "645", "954"]);
    expect(nearbyAreaCodes("512").slice(0, 2)).toEqual(["737", "254"]);
    expect(nearbyAreaCodes("617").slice(0, 3)).toEqual(["857", "781", "339"]);
    expect(nearbyAreaCodes("206").slice(0, 2)).toEqual(["425", "253"]);
    expect(nearbyAreaCodes("303").slice(0, 3)).toEqual(["720", "983", "719"]);
  });

  it("has no fallback for unknown codes and caps how many are tried", () => {
    expect(areaCodesToTry("907")).toEqual(["907"]);
    expect(nearbyAreaCodes("907")).toEqual([]);
    expect(areaCodesToTry("212")).toHaveLength(MAX_AREA_CODES_TRIED);
  });

  it("lists every code once, in one region only, as a valid area code", () => {
    const all = areaCodesWithFallback();
    expect(new Set(all).size).toBe(all.length);
    expect(all.every(isAreaCode)).toBe(true);
  });
});

describe("a deployment when the requested area code has no numbers", () => {
  beforeAll(async () => {
    await setInventory({ "801": 0, "385": 0, "435": 5, "503": 0, "971": 0, "541": 0, "458": 0 });
  });
  afterAll(async () => {
    await setInventory({ "801": 10, "385": 10, "435": 10, "503": 10, "971": 10, "541": 10, "458": 10 });
  });

  it("falls back to the nearest code that has one and records what it tried", async () => {
    const owner = await newBusiness({ areaCode: "801" });
    await requestDeploymentLikeStripe(owner.id);
    const deployment = await waitForDeployment(owner.id, settled);
    expect(deployment).toMatchObject({
      deploy_status: "active",
      area_code_requested: "801",
      area_code_obtained: "435",
      area_codes_tried: ["801", "385", "435"],
    });
    const numbers = await numbersOf(owner.id);
    expect(numbers).toHaveLength(1);
    expect(numbers[0].area_code).toBe(435);
  });

  it("fails with AREA_CODE_UNAVAILABLE and the codes tried when no nearby code has numbers", async () => {
    const owner = await newBusiness({ areaCode: "503" });
    await requestDeploymentLikeStripe(owner.id);
    const deployment = await waitForDeployment(owner.id, settled);
    expect(deployment).toMatchObject({
      deploy_status: "failed",
      deploy_error_code: "AREA_CODE_UNAVAILABLE",
      area_codes_tried: ["503", "971", "541", "458"],
      phone_number: null,
    });
    expect(deployment.deploy_error_detail).toContain("503, 971, 541, 458");
    expect(await numbersOf(owner.id)).toHaveLength(0);

    // What the owner's frontend shows, and what operators see.
    const { data: profile } = await owner.client.from("profiles").select("deploy_error").eq("id", owner.id).single();
    expect(profile?.deploy_error).toBe("AREA_CODE_UNAVAILABLE");
    const [alert] = await sql`select kind, details from public.ops_alerts
                              where user_id = ${owner.id} and resolved_at is null`;
    expect(alert).toMatchObject({ kind: "agent_deploy_failed", details: { code: "AREA_CODE_UNAVAILABLE" } });
    expect(await auditActions(owner.id)).toContain("agent.deploy_failed");

    // Numbers come back in stock; a new request (here: the owner deploys again) starts over and
    // clears the error and the alert.
    await setInventory({ "541": 3 });
    const again = await owner.client.rpc("deploy_my_agent", { business_name: "Rose City HVAC", area_code: "503", industry: "hvac" });
    expect(again.error).toBeNull();
    const retried = await waitForDeployment(owner.id, settled);
    expect(retried).toMatchObject({ deploy_status: "active", area_code_obtained: "541", deploy_error_code: null });
    const { data: cleared } = await owner.client.from("profiles").select("deploy_error").eq("id", owner.id).single();
    expect(cleared?.deploy_error).toBeNull();
    const open = await sql`select 1 from public.ops_alerts where user_id = ${owner.id} and resolved_at is null`;
    expect(open).toHaveLength(0);
  });
});
