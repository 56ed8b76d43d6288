// Wizard maintenance mode: with the setting on, a non-admin's wizard requests (deploy through the
// RPC or deploy-agent, a first checkout) are refused with 423 / PT423 and write nothing; an admin's
// deploy goes through. The setting is restored after each test, so other suites see it off.
// Area codes of this suite: 606.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { callFunction, sql } from "../helpers/stack.ts";
import { startCheckout } from "../billing/stripe.ts";
import { deploymentOf, newAdmin, newBusiness, setInventory, settled, waitForDeployment } from "./fixtures.ts";

const wizardPayload = { business_name: "Closed For Works HVAC", area_code: "606", industry: "hvac" };

async function setMaintenance(on: boolean): Promise<void> {
  await sql`update public.app_settings set value = ${on}::text::jsonb where key = 'wizard_maintenance_mode'`;
}

beforeAll(async () => {
  await setInventory({ "606": 20 });
});

afterEach(async () => {
  await setMaintenance(false);
});

describe("wizard maintenance mode", () => {
  it("refuses a non-admin's deploy with PT423 / 423 maintenance_mode and writes nothing", async () => {
    const owner = await newBusiness({ areaCode: "606" });
    await setMaintenance(true);

    const rpc = await owner.client.rpc("deploy_my_agent", wizardPayload);
    expect(rpc.error).toMatchObject({ code: "PT423", hint: "maintenance_mode" });
    const answer = await callFunction("deploy-agent", { token: owner.accessToken, body: wizardPayload });
    expect(answer.status).toBe(423);
    expect(answer.body.error.code).toBe("maintenance_mode");
    expect(await deploymentOf(owner.id)).toBeUndefined();
    const [profile] = await sql`select business_name from public.profiles where id = ${owner.id}`;
    expect(profile.business_name).toBe("Test Heating & Air");

    // The same owner once maintenance is over: the deploy goes through.
    await setMaintenance(false);
    const reopened = await callFunction("deploy-agent", { token: owner.accessToken, body: wizardPayload });
    expect(reopened.status).toBe(202);
  });

  it("refuses a non-admin's first checkout with 423 maintenance_mode", async () => {
    const newcomer = await newBusiness({ areaCode: "606", paid: false });
    await setMaintenance(true);
    const checkout = await startCheckout(newcomer, { kind: "subscription", plan: "pro" });
    expect(checkout.status).toBe(423);
    expect(checkout.body.error.code).toBe("maintenance_mode");
  });

  it("lets an admin deploy while maintenance mode is on", async () => {
    const admin = await newAdmin();
    await sql`update public.profiles set business_name = 'Ops', industry = 'hvac', area_code = '507' where id = ${admin.id}`;
    expect((await admin.client.rpc("record_consent", { version: "v1" })).error).toBeNull();
    await sql`insert into public.subscriptions (user_id, plan, status, current_period_start, current_period_end)
              values (${admin.id}, 'pro', 'active', now(), now() + interval '1 month')`;
    await setMaintenance(true);

    const answer = await callFunction("deploy-agent", { token: admin.accessToken, body: wizardPayload });
    expect(answer.status).toBe(202);
    expect((await waitForDeployment(admin.id, settled)).deploy_status).toBe("active");
  });

  it("shows the setting to the frontend through public_settings()", async () => {
    const owner = await newBusiness({ areaCode: "606", paid: false });
    await setMaintenance(true);
    const { data } = await owner.client.rpc("public_settings");
    expect(data).toMatchObject({ wizard_maintenance_mode: true, is_admin: false });
  });
});
