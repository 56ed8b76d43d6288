// Each Edge Function's own import map, `supabase/functions/<name>/deno.json`: exactly the bare
// specifiers its module graph imports, at the versions of the root package.json, which stays the one
// version list. `supabase functions deploy` resolves a function's imports from that file alone, and
// the local stack and `deno check` use nothing else, so a map that lacks an import fails locally too.
//
//   npx tsx stack/import-maps.ts   writes every function's deno.json and brings its deno.lock up to date
//
// tests/stack/import-maps.test.ts fails when a committed deno.json differs from what this derives.
// Deno writes lockfile v5; the Supabase Edge Runtime reads v5 by downgrading it to v4 on read
// (supabase/edge-runtime PR #673), so the locks deploy as Deno writes them.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { ROOT } from "./config.ts";
import { FUNCTIONS_DIR, functionNames } from "./functions.ts";

/** What every function's deno.json holds besides its imports. */
const DENO_OPTIONS = {
  compilerOptions: { strict: true },
  lint: { rules: { tags: ["recommended"] } },
  nodeModulesDir: "none",
};

export type DenoConfig = { imports: Record<string, string> } & typeof DENO_OPTIONS;

/**
 * The bare specifiers (`zod`, `@supabase/supabase-js`) imported anywhere in the graph of `entry`,
 * followed through relative imports (its own files, `_shared`, `packages/shared`). Type-only imports
 * count: `deno check` resolves them too. Specifiers with a scheme (`node:`, `npm:`) need no map.
 */
export function bareImports(entry: string): Set<string> {
  const visited = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string) => {
    if (visited.has(file)) return;
    visited.add(file);
    const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true);
    for (const { fileName: specifier } of importedFiles) {
      if (specifier.startsWith(".")) visit(path.resolve(path.dirname(file), specifier));
      else if (!specifier.includes(":")) bare.add(specifier);
    }
  };
  visit(entry);
  return bare;
}

function rootVersions(): Record<string, string> {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
  return { ...manifest.dependencies, ...manifest.devDependencies };
}

/** `zod` -> `npm:zod@4.6.7`; a subpath keeps its path: `zod/mini` -> `npm:zod@4.6.7/mini`. */
function npmSpecifier(specifier: string, versions: Record<string, string>, functionName: string): string {
  const parts = specifier.split("/");
  const name = parts.slice(0, specifier.startsWith("@") ? 2 : 1).join("/");
  const version = versions[name];
  if (!version) throw new Error(`${functionName} imports ${specifier}, but the root package.json does not list ${name}`);
  const subpath = specifier.slice(name.length);
  return `npm:${name}@${version}${subpath}`;
}

export function denoConfigFor(functionName: string): DenoConfig {
  const versions = rootVersions();
  const specifiers = [...bareImports(path.join(FUNCTIONS_DIR, functionName, "index.ts"))].sort();
  const imports = Object.fromEntries(specifiers.map((s) => [s, npmSpecifier(s, versions, functionName)]));
  return { imports, ...DENO_OPTIONS };
}

function writeImportMaps() {
  for (const name of functionNames()) {
    const dir = path.join(FUNCTIONS_DIR, name);
    const config = denoConfigFor(name);
    fs.writeFileSync(path.join(dir, "deno.json"), `${JSON.stringify(config, null, 2)}\n`);
    // Adds what the map gained to the deno.lock beside it and drops what it lost.
    const result = spawnSync(path.join(ROOT, "node_modules", ".bin", "deno"), ["install", "--config=deno.json", "--entrypoint", "index.ts"], {
      cwd: dir,
      stdio: "inherit",
      env: { ...process.env, DENO_NO_UPDATE_CHECK: "1" },
    });
    if (result.status !== 0) throw new Error(`updating ${name}/deno.lock failed`);
    console.log(`${name}: ${Object.keys(config.imports).join(", ") || "no bare imports"}`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.join(ROOT, "stack", "import-maps.ts")) writeImportMaps();
