// Admin quick onboard (the old POST /admin/quick-onboard): a new business for a customer an operator
// signed up by phone. The account is made by Supabase Auth (an invite through the admin API), never
// by SQL; the rest (profile, consent the admin confirms, an active subscription outside Stripe, usage
// limits, the deployment request for a dedicated agent, Model B) is one database transaction. The
// owner gets the invite link by email and signs in with it; the admin follows the deployment in the
// answer's user's agents row.
import { z } from "zod";
import { HttpError, jsonResponse, readJsonBody } from "../_shared/http.ts";
import { BusinessDetails, businessArguments, phoneNumber } from "../_shared/business-details.ts";
import { sendEmail } from "../_shared/email.ts";
import { quickOnboardInviteEmail } from "../_shared/email-templates.ts";
import { requireEnv } from "../_shared/env.ts";
import { log } from "../_shared/log.ts";
import { deploymentView } from "../_shared/provisioning.ts";
import { databaseFailure } from "../_shared/provisioning-request.ts";
import { adminClient, userClient } from "../_shared/supabase.ts";

const QuickOnboard = BusinessDetails.extend({
  email: z.email(),
  full_name: z.string().trim().min(1).max(200).nullish(),
  business_phone: phoneNumber.nullish(),
  time_zone: z.string().regex(/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/, "an IANA time zone, e.g. America/Chicago").nullish(),
  plan: z.string().regex(/^[a-z][a-z0-9_]*$/, "a plan id, e.g. pro"),
  consent_confirmed: z.literal(true, "confirm that the customer accepted the terms"),
});
type QuickOnboard = z.infer<typeof QuickOnboard>;

/** The account, invited through Auth: its id and the link that signs the owner in. */
async function invite(onboarding: QuickOnboard): Promise<{ userId: string; link: string }> {
  const { data, error } = await adminClient().auth.admin.generateLink({
    type: "invite",
    email: onboarding.email,
    options: { data: onboarding.full_name ? { full_name: onboarding.full_name } : {}, redirectTo: requireEnv("FRONTEND_URL") },
  });
  if (error?.code === "email_exists") throw new HttpError(409, "conflict", `a user with email ${onboarding.email} already exists`);
  if (error) throw new Error(`Auth did not invite the user: ${error.code ?? error.status} ${error.message}`);
  return { userId: data.user.id, link: data.properties.action_link };
}

export async function quickOnboard(request: Request): Promise<Response> {
  const onboarding = await readJsonBody(request, QuickOnboard);
  const db = userClient(request);
  const checked = await db.rpc("admin_check_quick_onboard", { email: onboarding.email, plan: onboarding.plan });
  if (checked.error) throw databaseFailure(checked.error);

  const { userId, link } = await invite(onboarding);
  const { data, error } = await db.rpc("admin_quick_onboard", {
    ...businessArguments(onboarding),
    target_user_id: userId,
    business_phone: onboarding.business_phone ?? null,
    time_zone: onboarding.time_zone ?? null,
    plan: onboarding.plan,
    consent_confirmed: onboarding.consent_confirmed,
  });
  if (error) {
    // Nothing of a refused onboarding stays behind, the account included.
    const removed = await adminClient().auth.admin.deleteUser(userId);
    if (removed.error) log("error", "invited account not removed", { user_id: userId, error: removed.error.message });
    throw databaseFailure(error);
  }

  const inviteSent = await sendEmail({
    to: onboarding.email,
    ...quickOnboardInviteEmail(link),
    idempotencyKey: `quick-onboard-invite:${userId}`,
  }).catch((failure) => {
    log("error", "quick onboard invite not sent", { user_id: userId, error: String(failure) });
    return false;
  });
  return jsonResponse(202, { deployment: deploymentView(data), invite_sent: inviteSent });
}
