// Serves every Edge Function from its unchanged source in one Deno process, as Supabase's edge
// runtime does: each `supabase/functions/<name>/index.ts` calls Deno.serve once at import; we catch
// that handler and route `/<name>/...` to it. Run by the local stack only.
const [functionsDir, portText, ...names] = Deno.args;
type Handler = (request: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>;

const handlers = new Map<string, Handler>();
const importErrors = new Map<string, string>();
const realServe = Deno.serve;
let registering = "";

// deno-lint-ignore no-explicit-any
(Deno as any).serve = (...args: any[]) => {
  const handler = args.find((a) => typeof a === "function") ?? args.find((a) => a?.handler)?.handler;
  handlers.set(registering, handler);
  return { finished: new Promise(() => {}), shutdown: async () => {}, ref() {}, unref() {}, addr: {} };
};

// Imports run one at a time: `registering` tells the patched Deno.serve whose handler it receives.
let importQueue: Promise<void> = Promise.resolve();
function load(name: string): Promise<void> {
  importQueue = importQueue.then(() => importFunction(name));
  return importQueue;
}

async function importFunction(name: string) {
  if (handlers.has(name)) return;
  registering = name;
  try {
    await import(new URL(`file://${functionsDir}/${name}/index.ts`).href);
    importErrors.delete(name);
  } catch (error) {
    importErrors.set(name, String(error));
    console.error(JSON.stringify({ level: "error", msg: "function failed to load", function: name, error: String(error) }));
  }
}

for (const name of names) await load(name);

/** A function created after start-up is loaded on its first request, as `supabase functions serve` does. */
async function loadLate(name: string): Promise<boolean> {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name)) return false;
  try {
    await Deno.stat(`${functionsDir}/${name}/index.ts`);
  } catch {
    return false;
  }
  await load(name);
  return handlers.has(name);
}

const errorResponse = (status: number, code: string, message: string) =>
  Response.json({ error: { code, message } }, { status });

realServe({ port: Number(portText), hostname: "127.0.0.1", onListen: () => console.log(`functions ready: ${names.join(", ")}`) }, async (request, info) => {
  const name = new URL(request.url).pathname.split("/")[1] ?? "";
  if (!handlers.has(name) && !importErrors.has(name)) await loadLate(name);
  const handler = handlers.get(name);
  if (handler) return handler(request, info);
  if (importErrors.has(name)) return errorResponse(500, "function_boot_error", importErrors.get(name)!);
  return errorResponse(404, "function_not_found", `No function named ${name}`);
});
