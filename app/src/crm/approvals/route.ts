import type { AppRoute, AppRouteRequest } from "@mainspring/sdk";
import { crmStore } from "../../db/store.js";
import { AgentInputError } from "../agents/errors.js";
import { type Approval, completeApproval, getApproval, listApprovals } from "./approvals.js";

const ERRORS = {
  FORBIDDEN: 403,
  INVALID_INPUT: 400,
  APPROVAL_NOT_FOUND: 404,
  APPROVAL_CONFLICT: 409,
  CRM_NOT_READY: 503,
};

/**
 * Who may decide: a secret key, or a public access token that can act for the approval's
 * workspace (`write:tags:workspace:<id>`, e.g. minted by the CRM's web app for a signed-in
 * member). A read-only token (`read:tags:…`) sees approvals but cannot decide them.
 */
function forbid(message: string): never {
  throw Object.assign(new AgentInputError("FORBIDDEN", message), { code: "FORBIDDEN" });
}

async function approvalFor(req: AppRouteRequest, action: "read" | "write"): Promise<Approval> {
  const db = await crmStore();
  const approval = await getApproval(db, req.params.id!);
  // an approval the caller may not see is forbidden, whether it exists or not (no probing)
  if (!approval) {
    if (req.auth.kind === "secret")
      throw new AgentInputError("APPROVAL_NOT_FOUND", `Approval "${req.params.id}" does not exist`);
    forbid(`This access token cannot ${action === "write" ? "decide" : "read"} approval "${req.params.id}"`);
  }
  if (!req.auth.can(action, "tags", `workspace:${approval.workspaceId}`)) {
    forbid(
      `This access token cannot ${action === "write" ? "decide" : "read"} approvals of workspace "${approval.workspaceId}"`,
    );
  }
  return approval;
}

function decide(approved: boolean): AppRoute["handler"] {
  return async (req) => {
    const approval = await approvalFor(req, "write");
    const body = (req.body ?? {}) as { approver?: unknown; comment?: unknown };
    if (body.comment !== undefined && body.comment !== null && typeof body.comment !== "string") {
      throw new AgentInputError("INVALID_INPUT", "comment must be a string");
    }
    let approver = req.auth.kind === "secret" ? "api" : "token";
    if (body.approver !== undefined) {
      if (typeof body.approver !== "string" || !body.approver)
        throw new AgentInputError("INVALID_INPUT", "approver must be a user id");
      // the approver named must be a member of the approval's workspace
      const db = await crmStore();
      const { rows } = await db.query("select 1 from crm_users where id = $1 and workspace_id = $2", [
        body.approver,
        approval.workspaceId,
      ]);
      if (rows.length === 0)
        forbid(`User "${body.approver}" is not a member of workspace "${approval.workspaceId}"`);
      approver = body.approver;
    }
    const decided = await completeApproval(approval.id, {
      approved,
      approver,
      comment: (body.comment as string | undefined) ?? null,
      workspaceId: approval.workspaceId,
    });
    return { approval: decided };
  };
}

/** `POST /api/v1/app/approvals/:id/approve` (and the seed's `/api/approvals/:id/approve`), body `{ approver?, comment? }`. */
export const approveRoute: AppRoute = {
  method: "POST",
  path: "/approvals/:id/approve",
  aliases: ["/api/approvals/:id/approve"],
  errors: ERRORS,
  handler: decide(true),
};
/** `POST /api/v1/app/approvals/:id/reject` (and the seed's `/api/approvals/:id/reject`), body `{ approver?, comment? }`. */
export const rejectRoute: AppRoute = {
  method: "POST",
  path: "/approvals/:id/reject",
  aliases: ["/api/approvals/:id/reject"],
  errors: ERRORS,
  handler: decide(false),
};

/** `GET /api/v1/app/approvals/:id`. */
export const getApprovalRoute: AppRoute = {
  method: "GET",
  path: "/approvals/:id",
  errors: ERRORS,
  handler: async (req) => ({ approval: await approvalFor(req, "read") }),
};

/** `GET /api/v1/app/workspaces/:workspaceId/approvals?status=pending`. */
export const listApprovalsRoute: AppRoute = {
  method: "GET",
  path: "/workspaces/:workspaceId/approvals",
  errors: ERRORS,
  handler: async ({ params, query, auth }) => {
    const workspaceId = params.workspaceId!;
    if (!auth.can("read", "tags", `workspace:${workspaceId}`))
      forbid(`This access token cannot read workspace "${workspaceId}"`);
    const status = query.status as "pending" | "approved" | "rejected" | "expired" | undefined;
    if (status && !["pending", "approved", "rejected", "expired"].includes(status)) {
      throw new AgentInputError("INVALID_INPUT", "status must be pending, approved, rejected or expired");
    }
    const approvals = await listApprovals(await crmStore(), workspaceId, {
      status,
      limit: query.limit ? Number(query.limit) : undefined,
    });
    return { approvals };
  },
};

export const approvalRoutes: AppRoute[] = [approveRoute, rejectRoute, getApprovalRoute, listApprovalsRoute];
