import { queue } from "@mainspring/sdk";
import type { Tier } from "../crm/tiers.js";

/**
 * Per-tenant queues: the seed's table. Each limit applies per workspace, because every
 * workspace job is triggered with `concurrencyKey` = workspace id (buildWorkspaceQueueOptions):
 * a free workspace runs one job at a time, an enterprise workspace 20, whatever the others do.
 * Starter and professional share one queue (and so one limit per workspace: 5).
 */
export const freeTierQueue = queue({ name: "free-tier-queue", concurrencyLimit: 1 });
export const standardTierQueue = queue({ name: "standard-tier-queue", concurrencyLimit: 5 });
export const enterpriseTierQueue = queue({ name: "enterprise-tier-queue", concurrencyLimit: 20 });
/** Cross-workspace jobs (the schedules): 10 at once. */
export const systemJobsQueue = queue({ name: "system-jobs-queue", concurrencyLimit: 10 });

export type SubscriptionTier = Tier;

const BY_TIER = {
  free: freeTierQueue,
  starter: standardTierQueue,
  professional: standardTierQueue,
  enterprise: enterpriseTierQueue,
} as const;

export function getQueueForTier(tier: SubscriptionTier) {
  const q = BY_TIER[tier];
  if (!q) throw new Error(`Unknown subscription tier "${tier}"`);
  return q;
}

export interface WorkspaceQueueOptions {
  queue: string;
  concurrencyKey: string;
  tags: string[];
}

/**
 * Trigger options that put a workspace's job on its tier's queue, limited per workspace, with
 * the seed's tags. `type` adds `type:{type}` (e.g. "lead-score"); `extraTags` more (at most 10
 * tags in all on a run).
 *
 * @example
 * await scoreLeadTask.trigger({ prospectId, workspaceId }, buildWorkspaceQueueOptions(workspaceId, "professional"));
 */
export function buildWorkspaceQueueOptions(
  workspaceId: string,
  tier: SubscriptionTier,
  type?: string,
  extraTags: string[] = [],
): WorkspaceQueueOptions {
  return {
    queue: getQueueForTier(tier).name,
    concurrencyKey: workspaceId,
    tags: [`workspace:${workspaceId}`, `tier:${tier}`, ...(type ? [`type:${type}`] : []), ...extraTags],
  };
}
