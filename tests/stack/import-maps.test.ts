// Each function deploys with its own import map (supabase/functions/<name>/deno.json) and nothing
// else, so it must map every bare import its module graph has, at the root package.json's version,
// and nothing it does not import. stack/import-maps.ts derives the expected map.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FUNCTIONS_DIR, functionNames } from "../../stack/functions.ts";
import { denoConfigFor } from "../../stack/import-maps.ts";

describe("per-function import maps", () => {
  it.each(functionNames())("%s/deno.json maps exactly its module graph's bare imports, at package.json's versions", (name) => {
    const committed = JSON.parse(fs.readFileSync(path.join(FUNCTIONS_DIR, name, "deno.json"), "utf8"));
    expect(committed, "run `npx tsx stack/import-maps.ts`").toEqual(denoConfigFor(name));
  });

  it("leaves no shared import map or lock file a function could fall back to", () => {
    for (const file of ["deno.json", "deno.jsonc", "deno.lock", "import_map.json"]) {
      expect(fs.existsSync(path.join(FUNCTIONS_DIR, file)), `supabase/functions/${file}`).toBe(false);
    }
    const config = fs.readFileSync(path.join(FUNCTIONS_DIR, "..", "config.toml"), "utf8");
    expect(config, "config.toml sets an import_map").not.toMatch(/^\s*import_map\s*=/m);
  });
});
