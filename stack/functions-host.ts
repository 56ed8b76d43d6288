// One Edge Function in a Deno process of its own, started by stack/functions-router.ts with that
// function's own `--config=supabase/functions/<name>/deno.json`, as Supabase's edge runtime gives
// each function its own worker and import map. The function's unchanged `index.ts` calls Deno.serve
// once at import; we catch that handler and serve it on the Unix socket the router forwards to.
const [entry, socketPath] = Deno.args;
type Handler = (request: Request, info: Deno.ServeHandlerInfo<Deno.UnixAddr>) => Response | Promise<Response>;

const realServe = Deno.serve;
let caught: Handler | undefined;

// deno-lint-ignore no-explicit-any
(Deno as any).serve = (...args: any[]) => {
  caught = args.find((a) => typeof a === "function") ?? args.find((a) => a?.handler)?.handler;
  return { finished: new Promise(() => {}), shutdown: async () => {}, ref() {}, unref() {}, addr: {} };
};

/** Every request to a function that failed to load is answered with why. */
function bootFailure(message: string): Handler {
  console.error(JSON.stringify({ level: "error", msg: "function failed to load", error: message }));
  return () => Response.json({ error: { code: "function_boot_error", message } }, { status: 500 });
}

// Served before the import is done, which on a new machine first downloads the npm packages:
// requests wait for it, and the router knows at once that the process is up.
const handler: Promise<Handler> = import(new URL(`file://${entry}`).href).then(
  () => caught ?? bootFailure("index.ts did not call Deno.serve"),
  (error) => bootFailure(String(error)),
);

realServe({ path: socketPath, onListen: () => {} }, async (request, info) => {
  // Over a Unix socket Deno gives the URL an http+unix scheme; the function gets the http URL it was called at.
  const url = request.url.replace(/^http\+unix:/, "http:");
  return (await handler)(new Request(url, { method: request.method, headers: request.headers, body: request.body }), info);
});
