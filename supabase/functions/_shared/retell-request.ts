// Reading a request from Retell (inbound webhook, call event, tool call): the raw body read once,
// its x-retell-signature checked before anything else happens, then the JSON checked against its
// schema. Verification is never skipped: without RETELL_API_KEY nothing is accepted.
import type { z } from "zod";
import { requireEnv } from "./env.ts";
import { HttpError, parseJson } from "./http.ts";
import { verifyRetellSignature } from "./retell-signature.ts";

/** The raw body of a genuine Retell request; HttpError 405 or 401 otherwise. */
export async function readSignedRetellBody(request: Request): Promise<string> {
  if (request.method !== "POST") throw new HttpError(405, "method_not_allowed", "Retell requests are POSTs");
  const rawBody = await request.text();
  const signed = await verifyRetellSignature(rawBody, request.headers.get("x-retell-signature"), requireEnv("RETELL_API_KEY"));
  if (!signed) throw new HttpError(401, "invalid_signature", "Missing, stale or invalid x-retell-signature");
  return rawBody;
}

/** The body of a genuine Retell request, validated by `schema`; HttpError 405, 401 or 400 otherwise. */
export async function readRetellRequest<Schema extends z.ZodType>(request: Request, schema: Schema): Promise<z.infer<Schema>> {
  return parseJson(await readSignedRetellBody(request), schema);
}
