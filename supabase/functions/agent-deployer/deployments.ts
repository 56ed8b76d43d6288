// The deployment record in Postgres, as the worker uses it: one RPC per step (see the migration
// 20261125000300_agents_and_deployment.sql). Every step after the claim presents the lease; a step
// refused because the lease was lost raises LeaseLostError and the worker stops.
import type { SupabaseClient } from "@supabase/supabase-js";

/** A claimed deployment: what provisioning needs, and the lease that lets it record progress. */
export type Deployment = {
  userId: string;
  lease: string;
  attempt: number;
  model: "shared" | "dedicated";
  industry: string;
  areaCode: string;
  businessName: string;
  retellLlmId: string | null;
  retellAgentId: string | null;
  retellAgentVersion: number | null;
  /** A purchase for this business may have reached Retell without us hearing back. */
  purchaseOutcomeUnknown: boolean;
};

export type Failure = { code: string; detail: string; retryable: boolean };

/** Another worker has taken over (our lease expired) or the deployment has moved on. */
export class LeaseLostError extends Error {}

export class Deployments {
  constructor(private readonly db: SupabaseClient) {}

  /** Takes the lease when the deployment is due; null when another worker has it or nothing is due. */
  async claim(userId: string): Promise<Deployment | null> {
    const rows = await this.call<Record<string, unknown>[]>("deployment_claim", { target_user: userId });
    const row = rows[0];
    if (!row) return null;
    return {
      userId,
      lease: row.lease_id as string,
      attempt: row.attempt as number,
      model: row.model as Deployment["model"],
      industry: row.industry as string,
      areaCode: row.area_code as string,
      businessName: row.business_name as string,
      retellLlmId: row.retell_llm_id as string | null,
      retellAgentId: row.retell_agent_id as string | null,
      retellAgentVersion: row.retell_agent_version as number | null,
      purchaseOutcomeUnknown: row.purchase_outcome_unknown as boolean,
    };
  }

  async saveRetellAgent(
    deployment: Deployment,
    ids: { llmId?: string; agentId?: string; agentVersion?: number },
  ): Promise<void> {
    await this.call("deployment_save_retell_agent", {
      target_user: deployment.userId,
      lease: deployment.lease,
      llm_id: ids.llmId ?? null,
      agent_id: ids.agentId ?? null,
      agent_version: ids.agentVersion ?? null,
    });
  }

  async beginPurchase(deployment: Deployment, areaCode: string): Promise<void> {
    await this.call("deployment_begin_purchase", { target_user: deployment.userId, lease: deployment.lease, area_code: areaCode });
  }

  async complete(
    deployment: Deployment,
    result: { phoneNumber: string; areaCode: string; agentId: string; agentVersion: number | null; adopted: boolean },
  ): Promise<void> {
    await this.call("deployment_complete", {
      target_user: deployment.userId,
      lease: deployment.lease,
      phone_number: result.phoneNumber,
      area_code: result.areaCode,
      agent_id: result.agentId,
      agent_version: result.agentVersion,
      adopted: result.adopted,
    });
  }

  /** Ends the attempt; returns the status it left (pending = a retry is scheduled, or failed). */
  async fail(deployment: Deployment, failure: Failure): Promise<string> {
    const row = await this.call<Record<string, unknown>>("deployment_fail", {
      target_user: deployment.userId,
      lease: deployment.lease,
      error_code: failure.code,
      error_detail: failure.detail,
      retryable: failure.retryable,
    });
    return row.deploy_status as string;
  }

  private async call<T = unknown>(fn: string, args: Record<string, unknown>): Promise<T> {
    const { data, error } = await this.db.rpc(fn, args);
    if (error?.code === "PT409") throw new LeaseLostError(error.message);
    if (error) throw new Error(`${fn} failed: ${error.code} ${error.message}`);
    return data as T;
  }
}
