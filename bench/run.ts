// `npm run bench -- <name>` runs bench/<name>.ts. Benchmarks print figures; they are not tests.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const available = fs.readdirSync(here).filter((f) => f.endsWith(".ts") && f !== "run.ts").map((f) => f.slice(0, -3));
const name = process.argv[2];
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <${available.join(" | ")}>`);
  process.exit(2);
}
await import(path.join(here, `${name}.ts`));
