import { metadata, step, task, wait } from "@mainspring/sdk";
import { z } from "zod";
import { AgentInputError } from "../crm/agents/errors.js";
import {
  type ApprovalResult,
  completeApproval,
  expireApproval,
  getApproval,
  insertApproval,
  resultOf,
} from "../crm/approvals/approvals.js";
import { newId } from "../crm/ids.js";
import { getWorkspace } from "../crm/workspaces.js";
import { crmStore } from "../db/store.js";

export const requestApprovalPayload = z.object({
  workspaceId: z.string().min(1).max(128),
  type: z.string().min(1).max(64),
  entityId: z.string().min(1).max(256),
  title: z.string().min(1).max(500),
  description: z.string().max(10_000).optional(),
  requestedBy: z.string().max(256).optional(),
  /** A duration ("24h", "30m", "7d") or an ISO date; default 24h. Expiry counts as rejection. */
  timeout: z.string().min(1).max(64).default("24h"),
});
export type RequestApprovalPayload = z.input<typeof requestApprovalPayload>;

/**
 * `request-approval`: creates an approval row and a wait token, waits (durably: no worker and
 * no slot held, across restarts) until someone approves or rejects it, or it expires, and
 * returns `{ approved, approver, comment }`. An expiry returns `approved: false` with comment
 * "expired". The approval's id is in the run's metadata (`approvalId`) as soon as it waits.
 *
 * Trigger it and wait from another task (`requestApprovalTask.triggerAndWait(...)`), or trigger
 * it and decide through `completeApproval` / `POST /api/v1/app/approvals/:id/approve`.
 */
export const requestApprovalTask = task({
  id: "request-approval",
  retry: { maxAttempts: 3 },
  run: async (raw: RequestApprovalPayload, { ctx }): Promise<ApprovalResult & { approvalId: string }> => {
    const parsed = requestApprovalPayload.safeParse(raw);
    if (!parsed.success) {
      throw new AgentInputError(
        "INVALID_INPUT",
        `request-approval: ${parsed.error.issues[0]?.message}`,
        parsed.error.issues,
      );
    }
    const p = parsed.data;
    const db = await crmStore();
    await getWorkspace(db, p.workspaceId);
    const approvalId = await step.run("approval-id", async () => newId("appr"));
    const token = await wait.createToken({
      timeout: /^\d{4}-\d{2}-\d{2}/.test(p.timeout) ? new Date(p.timeout) : p.timeout,
      idempotencyKey: `crm-approval:${approvalId}`,
      tags: [`workspace:${p.workspaceId}`, `approval:${approvalId}`],
    });
    await step.run("insert-approval", async () => {
      const info = await wait.retrieveToken(token.id);
      await insertApproval(db, {
        id: approvalId,
        workspaceId: p.workspaceId,
        type: p.type,
        entityId: p.entityId,
        title: p.title,
        description: p.description,
        requestedBy: p.requestedBy,
        tokenId: token.id,
        expiresAt: info.timeoutAt ? new Date(info.timeoutAt) : null,
        runId: ctx.run.id,
      });
      return approvalId;
    });
    metadata.set("approvalId", approvalId);
    const result = await wait.forToken<ApprovalResult>(token.id);
    if (result.ok) {
      const { approved, approver, comment } = result.output;
      return { approvalId, approved, approver, comment };
    }
    // timed out: expire the row, unless a decision won the race (then its decision stands)
    if (await expireApproval(db, approvalId))
      return { approvalId, approved: false, approver: null, comment: "expired" };
    const row = await getApproval(db, approvalId);
    return { approvalId, ...resultOf(row!) };
  },
});

export type { ApprovalDecision, ApprovalResult } from "../crm/approvals/approvals.js";
export { completeApproval };
