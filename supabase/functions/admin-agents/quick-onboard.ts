// Admin quick onboard (the old POST /admin/quick-onboard): a new business in one database
// transaction (user, profile, consent the admin confirms, an active subscription outside Stripe,
// usage limits), then a dedicated agent built from the master's template and its number (Model B),
// provisioned by the worker. The admin follows the deployment in the answer's user's agents row.
import { z } from "zod";
import { jsonResponse, readJsonBody } from "../_shared/http.ts";
import { BusinessDetails, businessArguments, phoneNumber } from "../_shared/business-details.ts";
import { deploymentView } from "../_shared/provisioning.ts";
import { databaseFailure } from "../_shared/provisioning-request.ts";
import { userClient } from "../_shared/supabase.ts";

const QuickOnboard = BusinessDetails.extend({
  email: z.email(),
  full_name: z.string().trim().min(1).max(200).nullish(),
  business_phone: phoneNumber.nullish(),
  time_zone: z.string().regex(/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/, "an IANA time zone, e.g. America/Chicago").nullish(),
  plan: z.string().regex(/^[a-z][a-z0-9_]*$/, "a plan id, e.g. pro"),
  consent_confirmed: z.literal(true, "confirm that the customer accepted the terms"),
});

export async function quickOnboard(request: Request): Promise<Response> {
  const onboarding = await readJsonBody(request, QuickOnboard);
  const { data, error } = await userClient(request).rpc("admin_quick_onboard", {
    ...businessArguments(onboarding),
    email: onboarding.email,
    full_name: onboarding.full_name ?? null,
    business_phone: onboarding.business_phone ?? null,
    time_zone: onboarding.time_zone ?? null,
    plan: onboarding.plan,
    consent_confirmed: onboarding.consent_confirmed,
  });
  if (error) throw databaseFailure(error);
  return jsonResponse(202, { deployment: deploymentView(data) });
}
