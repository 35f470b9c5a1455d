import { schedules, schemaTask } from "@mainspring/sdk";
import { z } from "zod";
import { reportBatchProgress } from "../crm/progress.js";
import { scoreProspect, scoreWorkspace } from "../crm/scoring/store.js";
import { listWorkspaces } from "../crm/workspaces.js";
import { crmStore } from "../db/store.js";
import { buildWorkspaceQueueOptions, standardTierQueue, systemJobsQueue } from "./queues.js";

const id = z.string().min(1).max(128);

/**
 * Scores one lead. Trigger it with buildWorkspaceQueueOptions(workspaceId, tier) so the
 * workspace's tier limit applies; without options it runs on the standard queue.
 */
export const scoreLeadTask = schemaTask({
  id: "score-lead",
  schema: z.object({ prospectId: id, workspaceId: id }),
  queue: standardTierQueue,
  run: async (payload, { ctx }) => scoreProspect(await crmStore(), { ...payload, runId: ctx.run.id }),
});

/**
 * Scores a workspace's unscored leads (or all with `rescoreAll`) in pages, one statement per
 * page, not one run per lead. Progress goes to the run's `progress` (see crm/progress.ts).
 */
export const bulkScoreLeadsTask = schemaTask({
  id: "bulk-score-leads",
  schema: z.object({
    workspaceId: id,
    rescoreAll: z.boolean().default(false),
    pageSize: z.number().int().min(1).max(10_000).optional(),
  }),
  queue: standardTierQueue,
  run: async (payload, { ctx }) =>
    scoreWorkspace(await crmStore(), {
      workspaceId: payload.workspaceId,
      all: payload.rescoreAll,
      pageSize: payload.pageSize,
      runId: ctx.run.id,
      onProgress: (p) =>
        reportBatchProgress({
          operation: "score-leads",
          workspaceId: payload.workspaceId,
          done: p.scored,
          total: p.total,
        }),
    }),
});

/**
 * Daily at 02:00 UTC: one bulk-score-leads run per workspace on its tier's queue, rescoring
 * every lead (recent-activity points decay with time). The idempotency key per workspace and
 * slot makes a replay of this run trigger nothing twice.
 */
export const scheduledLeadScoringTask = schedules.task({
  id: "scheduled-lead-scoring",
  cron: "0 2 * * *",
  queue: systemJobsQueue,
  run: async (payload) => {
    const workspaces = await listWorkspaces(await crmStore());
    const slot = payload.timestamp.toISOString();
    const triggered: string[] = [];
    for (let i = 0; i < workspaces.length; i += 1_000) {
      const items = workspaces.slice(i, i + 1_000).map((ws) => ({
        payload: { workspaceId: ws.id, rescoreAll: true },
        options: {
          ...buildWorkspaceQueueOptions(ws.id, ws.tier, "lead-score", ["source:schedule"]),
          idempotencyKey: `scheduled-lead-scoring:${ws.id}:${slot}`,
        },
      }));
      if (items.length === 0) break;
      const batch = await bulkScoreLeadsTask.batchTrigger(items);
      triggered.push(...batch.runs.map((r) => r.id));
    }
    return { workspaces: workspaces.length, runs: triggered };
  },
});
