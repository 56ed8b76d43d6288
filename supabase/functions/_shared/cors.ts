// CORS for browser callers. On hosted Supabase the browser's preflight reaches the function itself,
// so every function's index.ts serves its handler through withCors: the preflight is answered before
// any auth, method or body check runs, and every other answer carries what a browser needs to read it.
const CORS_HEADERS = {
  "Access-Control-Allow-Origin": "*",
  // The request headers our functions read from browsers (supabase-js sends x-client-info and apikey).
  "Access-Control-Allow-Headers": "authorization, x-client-info, apikey, content-type, x-impersonation-session, x-admin-access-code, x-request-id, idempotency-key",
  "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
  "Access-Control-Expose-Headers": "x-request-id, retry-after",
};

export function withCors(handler: (request: Request) => Response | Promise<Response>): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method === "OPTIONS") return new Response(null, { status: 204, headers: CORS_HEADERS });
    const response = await handler(request);
    // A copy, since the headers of some responses (Response.redirect's, fetch's) cannot be changed.
    const answer = new Response(response.body, response);
    for (const [name, value] of Object.entries(CORS_HEADERS)) answer.headers.set(name, value);
    return answer;
  };
}
