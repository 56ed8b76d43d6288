// One Edge Function in a Deno process of its own, started by stack/functions-router.ts with that
// function's own `--config=supabase/functions/<name>/deno.json`, as Supabase's edge runtime gives
// each function its own worker and import map. The function's unchanged `index.ts` calls Deno.serve
// once at import; we catch that handler and serve it on the Unix socket the router forwards to.
const [entry, socketPath] = Deno.args;
type Handler = (request: Request, info: Deno.ServeHandlerInfo<Deno.UnixAddr>) => Response | Promise<Response>;

const realServe = Deno.serve;
let handler: Handler | undefined;

// deno-lint-ignore no-explicit-any
(Deno as any).serve = (...args: any[]) => {
  handler = args.find((a) => typeof a === "function") ?? args.find((a) => a?.handler)?.handler;
  return { finished: new Promise(() => {}), shutdown: async () => {}, ref() {}, unref() {}, addr: {} };
};

// A function that fails to load is still served, so that every request to it says why.
let bootError = "index.ts did not call Deno.serve";
try {
  await import(new URL(`file://${entry}`).href);
} catch (error) {
  bootError = String(error);
  console.error(JSON.stringify({ level: "error", msg: "function failed to load", error: bootError }));
}

// After a reload (--watch) the socket of the previous run is still there.
try {
  Deno.removeSync(socketPath);
} catch {
  // first run
}
realServe({ path: socketPath, onListen: () => {} }, (request, info) => {
  if (!handler) return Response.json({ error: { code: "function_boot_error", message: bootError } }, { status: 500 });
  // Over a Unix socket Deno gives the URL an http+unix scheme; the function gets the http URL it was called at.
  const url = request.url.replace(/^http\+unix:/, "http:");
  return handler(new Request(url, { method: request.method, headers: request.headers, body: request.body }), info);
});
