import { wait } from "@mainspring/sdk";
import { type CrmDb, type CrmQueryable, crmStore } from "../../db/store.js";
import { AgentInputError } from "../agents/errors.js";

export type ApprovalStatus = "pending" | "approved" | "rejected" | "expired";

export interface Approval {
  id: string;
  workspaceId: string;
  type: string;
  entityId: string;
  title: string;
  description: string | null;
  status: ApprovalStatus;
  requestedBy: string | null;
  tokenId: string | null;
  decidedBy: string | null;
  decidedAt: Date | null;
  comment: string | null;
  expiresAt: Date | null;
  runId: string | null;
  createdAt: Date;
}

/** What `request-approval` returns, and the data its wait token is completed with. */
export interface ApprovalResult {
  approved: boolean;
  approver: string | null;
  comment: string | null;
}

export interface ApprovalDecision {
  approved: boolean;
  /** Who decided (a user id, or "api" for a secret key). */
  approver: string;
  comment?: string | null;
  /** When set, an approval of another workspace is APPROVAL_NOT_FOUND. */
  workspaceId?: string;
}

const COLUMNS = `id, workspace_id as "workspaceId", type, entity_id as "entityId", title, description, status,
  requested_by as "requestedBy", token_id as "tokenId", decided_by as "decidedBy", decided_at as "decidedAt",
  comment, expires_at as "expiresAt", run_id as "runId", created_at as "createdAt"`;

export async function insertApproval(
  db: CrmQueryable,
  a: {
    id: string;
    workspaceId: string;
    type: string;
    entityId: string;
    title: string;
    description?: string | null;
    requestedBy?: string | null;
    tokenId: string;
    expiresAt: Date | null;
    runId: string | null;
  },
): Promise<Approval> {
  await db.query(
    `insert into crm_approvals (id, workspace_id, type, entity_id, title, description, requested_by, token_id, expires_at, run_id)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) on conflict (id) do nothing`,
    [
      a.id,
      a.workspaceId,
      a.type,
      a.entityId,
      a.title,
      a.description ?? null,
      a.requestedBy ?? null,
      a.tokenId,
      a.expiresAt?.toISOString() ?? null,
      a.runId,
    ],
  );
  return (await getApproval(db, a.id))!;
}

export async function getApproval(db: CrmQueryable, id: string): Promise<Approval | undefined> {
  const { rows } = await db.query<Approval>(`select ${COLUMNS} from crm_approvals where id = $1`, [id]);
  return rows[0];
}

export async function listApprovals(
  db: CrmQueryable,
  workspaceId: string,
  filter: { status?: ApprovalStatus; entityId?: string; limit?: number } = {},
): Promise<Approval[]> {
  const { rows } = await db.query<Approval>(
    `select ${COLUMNS} from crm_approvals where workspace_id = $1 and ($2::text is null or status = $2)
       and ($3::text is null or entity_id = $3) order by created_at desc, id limit $4`,
    [
      workspaceId,
      filter.status ?? null,
      filter.entityId ?? null,
      Math.min(Math.max(filter.limit ?? 50, 1), 200),
    ],
  );
  return rows;
}

/** Marks a pending approval expired (its token timed out). Returns false if it was decided first. */
export async function expireApproval(db: CrmQueryable, id: string): Promise<boolean> {
  const { rows } = await db.query(
    `update crm_approvals set status = 'expired', decided_at = now() where id = $1 and status = 'pending' returning id`,
    [id],
  );
  return rows.length === 1;
}

/**
 * Decides a pending approval and resumes the run waiting on it. The row is decided first, under
 * a row lock, so of two concurrent decisions exactly one wins; the loser (and any later call)
 * gets APPROVAL_CONFLICT naming the first decision, and the waiting run resumes once. An
 * approval past its expiry is expired here (a rejection), also APPROVAL_CONFLICT.
 *
 * If the process dies between the commit and the token completion, `resumeDecidedApprovals`
 * (run by the hourly health check) completes the token from the stored decision.
 */
export async function completeApproval(
  id: string,
  decision: ApprovalDecision,
  deps: { db?: CrmDb } = {},
): Promise<Approval> {
  const db = deps.db ?? (await crmStore());
  if (typeof decision?.approved !== "boolean" || !decision.approver) {
    throw new AgentInputError("INVALID_INPUT", "A decision needs approved (boolean) and approver");
  }
  const decided = await db.transaction(async (tx) => {
    const { rows } = await tx.query<Approval>(
      `select ${COLUMNS} from crm_approvals where id = $1 for update`,
      [id],
    );
    const row = rows[0];
    if (!row || (decision.workspaceId !== undefined && row.workspaceId !== decision.workspaceId)) {
      throw new AgentInputError("APPROVAL_NOT_FOUND", `Approval "${id}" does not exist`);
    }
    if (row.status === "pending" && row.expiresAt && new Date(row.expiresAt).getTime() <= Date.now()) {
      await tx.query(`update crm_approvals set status = 'expired', decided_at = now() where id = $1`, [id]);
      return {
        conflict: `Approval "${id}" expired at ${new Date(row.expiresAt).toISOString()} (an expired approval counts as rejected)`,
      };
    }
    if (row.status !== "pending") {
      const when = row.decidedAt ? ` at ${new Date(row.decidedAt).toISOString()}` : "";
      const by = row.decidedBy ? ` by ${row.decidedBy}` : "";
      return {
        conflict: `Approval "${id}" was already ${row.status}${by}${when}; a decision cannot be changed`,
      };
    }
    const { rows: updated } = await tx.query<Approval>(
      `update crm_approvals set status = $2, decided_by = $3, decided_at = now(), comment = $4 where id = $1 returning ${COLUMNS}`,
      [id, decision.approved ? "approved" : "rejected", decision.approver, decision.comment ?? null],
    );
    return { approval: updated[0]! };
  });
  if ("conflict" in decided) throw new AgentInputError("APPROVAL_CONFLICT", decided.conflict!);
  const approval = decided.approval;
  if (approval.tokenId) await wait.completeToken(approval.tokenId, tokenData(approval));
  return approval;
}

/**
 * What a waiting run receives: the result, plus `decidedBy` (the same as `approver`) for
 * waits that read that name (the campaign sender's own approval token does).
 */
function tokenData(approval: Approval): ApprovalResult & { decidedBy: string | null } {
  const result = resultOf(approval);
  return { ...result, decidedBy: result.approver };
}

export function resultOf(approval: Approval): ApprovalResult {
  return {
    approved: approval.status === "approved",
    approver: approval.decidedBy,
    comment: approval.status === "expired" ? "expired" : approval.comment,
  };
}

/**
 * Completes the tokens of approvals decided (more than 30 s and less than 25 h ago) whose token
 * still waits: the process that decided died between its commit and completing the token.
 */
export async function resumeDecidedApprovals(db: CrmDb): Promise<number> {
  const { rows } = await db.query<Approval>(
    `select ${COLUMNS} from crm_approvals where status in ('approved', 'rejected') and token_id is not null
       and decided_at > now() - interval '25 hours' and decided_at < now() - interval '30 seconds'`,
  );
  let resumed = 0;
  for (const approval of rows) {
    const token = await wait.retrieveToken(approval.tokenId!).catch(() => undefined);
    if (token?.status !== "WAITING") continue;
    await wait.completeToken(approval.tokenId!, tokenData(approval));
    resumed += 1;
  }
  return resumed;
}
