// Safety of webhook targets (SSRF): what an owner may save through the Data API, what the
// dispatcher refuses at delivery time, and the loopback setting that only the local stack turns on.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../stack/config.ts";
import { FUNCTIONS_DIR } from "../../stack/functions.ts";
import { addressKind, loopbackTargetsAllowed, targetRefusal } from "../../packages/shared/src/webhooks.ts";
import { newEndpoint, newEvent, newUser, receiver, waitForDelivery } from "./fixtures.ts";

describe("the loopback setting", () => {
  it("is off unless set to true", () => {
    expect([undefined, "", "false", "1", "TRUE"].map(loopbackTargetsAllowed)).toEqual([false, false, false, false, false]);
    expect(loopbackTargetsAllowed("true")).toBe(true);
  });

  it("refuses plain http to 127.0.0.1 when off, and allows it when on", () => {
    const local = new URL(receiver.endpoint().url);
    expect(targetRefusal(local, false)).toBe("the URL must use https");
    expect(targetRefusal(local, false, ["127.0.0.1"])).toBe("the URL must use https");
    expect(targetRefusal(new URL("https://127.0.0.1:8443/h"), false, ["127.0.0.1"])).toMatch(/loopback/);
    expect(targetRefusal(local, true, ["127.0.0.1"])).toBeNull();
  });

  it("allows nothing else when on: private addresses, and names resolving to loopback, stay refused", () => {
    expect(targetRefusal(new URL("http://10.0.0.5/h"), true)).toBe("the URL must use https");
    expect(targetRefusal(new URL("https://10.0.0.5/h"), true)).toMatch(/private/);
    expect(targetRefusal(new URL("https://hooks.example.com/h"), true, ["127.0.0.1"])).toMatch(/non-public address \(127\.0\.0\.1\)/);
    expect(targetRefusal(new URL("http://localhost:8080/h"), true, ["127.0.0.1"])).toBe("the URL must use https");
  });
});

describe("targets checked at delivery time", () => {
  it("classifies addresses: loopback, private, link-local, multicast and IPv6 equivalents are not public", () => {
    const kinds = ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "224.0.0.1", "0.0.0.0",
      "::1", "fe80::1", "fd00::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:8.8.8.8", "::"].map(addressKind);
    expect(kinds).toEqual(["loopback", "non_public", "non_public", "non_public", "non_public", "non_public", "non_public", "non_public",
      "loopback", "non_public", "non_public", "non_public", "non_public", "non_public", "non_public"]);
    expect(["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e"].map(addressKind)).toEqual(["public", "public", "public", "public"]);
    expect(["1.2.3", "01.2.3.4", "hooks.example.com", "1::2::3"].map(addressKind)).toEqual(["invalid", "invalid", "invalid", "invalid"]);
  });

  it("dead-letters a delivery to the cloud metadata address and to private addresses without sending", async () => {
    const owner = await newUser("ssrf");
    const metadata = await newEndpoint(owner, undefined, { url: "https://169.254.169.254/latest/meta-data/" });
    const privateHost = await newEndpoint(owner, undefined, { url: "https://[fd00::1]/h" });
    const event = await newEvent(owner);
    for (const endpoint of [metadata, privateHost]) {
      const delivery = await waitForDelivery(event.id, endpoint.id, (d) => d.status === "dead");
      expect(delivery.dead_reason).toBe("unsafe_target");
      expect(delivery.last_error).toMatch(/private, loopback, link-local or reserved/);
    }
  });

  it("retries a host that does not resolve now rather than dropping it", async () => {
    const owner = await newUser("dns");
    const endpoint = await newEndpoint(owner, undefined, { url: "https://hooks.does-not-exist.invalid/h" });
    const event = await newEvent(owner);
    const delivery = await waitForDelivery(event.id, endpoint.id, (d) => d.attempts === 1);
    expect(delivery.status).toBe("pending");
    expect(delivery.last_error).toMatch(/resolve|no address/);
  });
});

describe("targets saved by an owner through the Data API", () => {
  it("refuses http, loopback and private addresses, and accepts a public https URL", async () => {
    const owner = await newUser("save");
    for (const url of [receiver.endpoint().url, "https://127.0.0.1/h", "https://192.168.1.10/h", "https://169.254.169.254/", "https://localhost/h"]) {
      const { error } = await owner.client.from("webhook_configs").insert({ url });
      expect(error?.code, url).toBe("23514");
    }
    const { error } = await owner.client.from("webhook_configs").insert({ url: "https://hooks.zapier.com/hooks/catch/1/abc" });
    expect(error).toBeNull();
  });
});

describe("the dispatcher's target check, run by Deno with and without the setting", () => {
  // The same module webhook-dispatcher imports, with the environment a deployment would give it.
  function checkTarget(url: string, setting: string | undefined): { ok: boolean; permanent?: boolean; reason?: string } {
    const env: Record<string, string | undefined> = { ...process.env, TARGET_URL: url, NO_COLOR: "1" };
    delete env.WEBHOOK_ALLOW_LOOPBACK_TARGETS;
    if (setting !== undefined) env.WEBHOOK_ALLOW_LOOPBACK_TARGETS = setting;
    const run = spawnSync(path.join(ROOT, "node_modules", ".bin", "deno"), [
      "eval", "--quiet", `--config=${path.join(FUNCTIONS_DIR, "webhook-dispatcher", "deno.json")}`,
      `import { checkTarget } from "${pathToFileURL(path.join(FUNCTIONS_DIR, "_shared", "webhook-target.ts")).href}";
       console.log(JSON.stringify(await checkTarget(Deno.env.get("TARGET_URL"))));`,
    ], { cwd: ROOT, encoding: "utf8", env, timeout: 30_000 });
    expect(run.stderr).toBe("");
    return JSON.parse(run.stdout);
  }

  it("refuses the local receiver when WEBHOOK_ALLOW_LOOPBACK_TARGETS is unset, and allows it when true", () => {
    const local = receiver.endpoint().url;
    expect(checkTarget(local, undefined)).toEqual({ ok: false, permanent: true, reason: "the URL must use https" });
    expect(checkTarget(local, "false")).toMatchObject({ ok: false, permanent: true });
    expect(checkTarget(local, "true")).toEqual({ ok: true });
    expect(checkTarget("https://169.254.169.254/latest/meta-data/", "true")).toMatchObject({ ok: false, permanent: true });
  });
});
