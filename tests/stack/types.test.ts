// The committed database types must match what the migrations produce.
import fs from "node:fs";
import { expect, it } from "vitest";
import { generateTypes, TYPES_FILE } from "../../stack/cli.ts";

it("packages/shared database types match the migrations (run `npm run gen:types` after a migration)", () => {
  expect(fs.readFileSync(TYPES_FILE, "utf8")).toBe(generateTypes());
});
