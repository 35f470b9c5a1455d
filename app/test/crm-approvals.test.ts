/**
 * Human approvals (issue 7): `request-approval` + `completeApproval` on both stores (approve,
 * reject, timeout as rejection, double and concurrent decisions), and the HTTP routes
 * (`POST /api/v1/app/approvals/:id/approve|reject`): a token that can act for the approval's
 * workspace decides; a token of another workspace, a read-only token and a non-member approver
 * get 403; a second decision is 409.
 */
import { runs } from "@mainspring/sdk";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey } from "../../packages/server/src/auth/keys.js";
import { type RunningServer, startServer } from "../../packages/server/src/server.js";
import {
  type Approval,
  completeApproval,
  getApproval,
  listApprovals,
} from "../src/crm/approvals/approvals.js";
import { approvalRoutes } from "../src/crm/approvals/route.js";
import type { CrmDb } from "../src/db/store.js";
import { requestApprovalTask, scheduledAgentHealthCheckTask } from "../src/trigger/jobs.js";
import { finished, openCrm, STORES, waitFor, workspace } from "./helpers.js";

const tick = {
  type: "DECLARATIVE" as const,
  timestamp: new Date(),
  timezone: "UTC",
  scheduleId: "sched_test",
  upcoming: [],
};

async function pendingApproval(db: CrmDb, workspaceId: string, entityId: string): Promise<Approval> {
  return waitFor(async () => (await listApprovals(db, workspaceId, { entityId, status: "pending" }))[0], {
    what: `a pending approval for ${entityId}`,
  });
}

for (const makeStore of STORES) {
  const store = makeStore();
  describe(`approvals on ${store.name}`, () => {
    let db: CrmDb;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ db, close } = await openCrm(store));
    });
    afterAll(() => close?.());

    it("approve and reject resume the waiting run with the decision; a second decision is a conflict", async () => {
      const ws = await workspace(db, "professional");
      const request = (entityId: string) =>
        requestApprovalTask.trigger({
          workspaceId: ws.id,
          type: "campaign",
          entityId,
          title: "Review campaign before sending",
          description: "This will send to 5,000 recipients",
          requestedBy: "user-1",
          timeout: "24h",
        });
      const [a, b] = await Promise.all([request("campaign-a"), request("campaign-b")]);
      const approvalA = await pendingApproval(db, ws.id, "campaign-a");
      const approvalB = await pendingApproval(db, ws.id, "campaign-b");
      expect(approvalA).toMatchObject({
        type: "campaign",
        title: "Review campaign before sending",
        requestedBy: "user-1",
        runId: a.id,
      });
      // 24h from now, give or take the test's own duration
      expect(Math.abs(new Date(approvalA.expiresAt!).getTime() - Date.now() - 86_400_000)).toBeLessThan(
        60_000,
      );
      // the row exists before the run suspends on its token; then it waits, holding no worker
      await waitFor(async () => (await runs.retrieve(a.id)).status === "WAITING", {
        what: "the run to wait",
      });
      expect((await runs.retrieve(a.id)).metadata).toMatchObject({ approvalId: approvalA.id });

      await completeApproval(approvalA.id, { approved: true, approver: "user-2", comment: "looks good" });
      await completeApproval(approvalB.id, { approved: false, approver: "user-3", comment: "wrong list" });
      expect((await finished(a.id)).output).toEqual({
        approvalId: approvalA.id,
        approved: true,
        approver: "user-2",
        comment: "looks good",
      });
      expect((await finished(b.id)).output).toEqual({
        approvalId: approvalB.id,
        approved: false,
        approver: "user-3",
        comment: "wrong list",
      });
      expect(await getApproval(db, approvalA.id)).toMatchObject({
        status: "approved",
        decidedBy: "user-2",
        comment: "looks good",
      });
      expect(await getApproval(db, approvalB.id)).toMatchObject({ status: "rejected", decidedBy: "user-3" });

      // deciding again: a clear conflict naming the first decision, nothing changes
      await expect(
        completeApproval(approvalA.id, { approved: false, approver: "user-4" }),
      ).rejects.toMatchObject({
        code: "APPROVAL_CONFLICT",
        message: expect.stringContaining("already approved by user-2"),
      });
      expect(await getApproval(db, approvalA.id)).toMatchObject({ status: "approved", decidedBy: "user-2" });
      await expect(completeApproval("appr_nope", { approved: true, approver: "x" })).rejects.toMatchObject({
        code: "APPROVAL_NOT_FOUND",
      });
      // another workspace's approval is not found from a workspace-scoped call
      await expect(
        completeApproval(approvalB.id, { approved: true, approver: "x", workspaceId: "ws_other" }),
      ).rejects.toMatchObject({
        code: "APPROVAL_NOT_FOUND",
      });
    });

    it("two concurrent decisions: exactly one wins and the run resumes once", async () => {
      const ws = await workspace(db, "starter");
      const handle = await requestApprovalTask.trigger({
        workspaceId: ws.id,
        type: "agent-action",
        entityId: "ex-race",
        title: "Race",
      });
      const approval = await pendingApproval(db, ws.id, "ex-race");
      const results = await Promise.allSettled([
        completeApproval(approval.id, { approved: true, approver: "alice" }),
        completeApproval(approval.id, { approved: false, approver: "bob" }),
      ]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const loser = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      expect(loser.reason).toMatchObject({ code: "APPROVAL_CONFLICT" });
      const winner = (results.find((r) => r.status === "fulfilled") as PromiseFulfilledResult<Approval>)
        .value;
      const run = await finished(handle.id);
      expect(run.output).toMatchObject({
        approved: winner.status === "approved",
        approver: winner.decidedBy,
      });
      expect(run.attemptCount).toBe(1);
    });

    it("a decision committed by a process that died before resuming the run is completed by the hourly check", async () => {
      const ws = await workspace(db, "starter");
      const handle = await requestApprovalTask.trigger({
        workspaceId: ws.id,
        type: "campaign",
        entityId: "orphan",
        title: "Orphan",
      });
      const approval = await pendingApproval(db, ws.id, "orphan");
      await waitFor(async () => (await runs.retrieve(handle.id)).status === "WAITING", {
        what: "the run to wait",
      });
      // what completeApproval's transaction leaves behind when the process dies before completing the token
      await db.query(
        `update crm_approvals set status = 'approved', decided_by = 'user-1', comment = 'yes', decided_at = now() - interval '1 minute' where id = $1`,
        [approval.id],
      );
      expect((await runs.retrieve(handle.id)).status).toBe("WAITING");
      const check = await finished((await scheduledAgentHealthCheckTask.trigger(tick)).id);
      expect(check.output).toMatchObject({ resumedApprovals: 1 });
      expect((await finished(handle.id)).output).toMatchObject({
        approved: true,
        approver: "user-1",
        comment: "yes",
      });
    });

    it("an approval that expires counts as a rejection; deciding it afterwards is a conflict", async () => {
      const ws = await workspace(db, "free");
      const handle = await requestApprovalTask.trigger({
        workspaceId: ws.id,
        type: "campaign",
        entityId: "late",
        title: "Too late",
        timeout: "1s",
      });
      const run = await finished(handle.id);
      expect(run.output).toMatchObject({ approved: false, approver: null, comment: "expired" });
      const [approval] = await listApprovals(db, ws.id, { entityId: "late" });
      expect(approval).toMatchObject({ status: "expired" });
      await expect(
        completeApproval(approval!.id, { approved: true, approver: "user-1" }),
      ).rejects.toMatchObject({
        code: "APPROVAL_CONFLICT",
        message: expect.stringContaining("already expired"),
      });
    });
  });
}

describe("approvals over HTTP", () => {
  let crm: Awaited<ReturnType<typeof openCrm>>;
  let server: RunningServer;
  let key: string;
  const post = (path: string, token: string, body: unknown = {}) =>
    fetch(`${server.url}/api/v1/app${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    crm = await openCrm(STORES[1]!()); // PostgreSQL: opens in well under a second, PGlite in seconds
    server = await startServer({
      engine: crm.engine,
      port: 0,
      host: "127.0.0.1",
      logger: pino({ level: "silent" }),
      appRoutes: approvalRoutes,
    });
    key = (await createKey(crm.db, { name: "test" })).key;
  });
  afterAll(async () => {
    await server?.close();
    await crm?.close();
  });

  it("members' tokens decide their workspace's approvals; other workspaces, read-only tokens and outsiders get 403; twice is 409", async () => {
    const a = await workspace(crm.db, "professional");
    const b = await workspace(crm.db, "professional");
    await crm.db.query(
      `insert into crm_users (id, workspace_id, email, name) values ('u_a', $1, 'a@a.io', 'A'), ('u_b', $2, 'b@b.io', 'B')`,
      [a.id, b.id],
    );
    const tokenA = await server.context.tokens.sign({
      sub: "u_a",
      scopes: [`write:tags:workspace:${a.id}`, `read:tags:workspace:${a.id}`],
      expiresIn: "1h",
    });
    const readOnlyA = await server.context.tokens.sign({
      sub: "u_a",
      scopes: [`read:tags:workspace:${a.id}`],
      expiresIn: "1h",
    });
    const runA = await requestApprovalTask.trigger({
      workspaceId: a.id,
      type: "campaign",
      entityId: "c-a",
      title: "A's campaign",
    });
    const runB = await requestApprovalTask.trigger({
      workspaceId: b.id,
      type: "campaign",
      entityId: "c-b",
      title: "B's campaign",
    });
    const approvalA = await pendingApproval(crm.db, a.id, "c-a");
    const approvalB = await pendingApproval(crm.db, b.id, "c-b");

    // a token of workspace A cannot decide (or see) B's approval
    const cross = await post(`/approvals/${approvalB.id}/approve`, tokenA, { approver: "u_a" });
    expect(cross.status).toBe(403);
    expect(await cross.json()).toMatchObject({ code: "FORBIDDEN" });
    // a read-only token of A cannot decide A's approval
    expect((await post(`/approvals/${approvalA.id}/approve`, readOnlyA)).status).toBe(403);
    // the approver must be a member of the approval's workspace
    const outsider = await post(`/approvals/${approvalA.id}/approve`, tokenA, { approver: "u_b" });
    expect(outsider.status).toBe(403);
    expect((await getApproval(crm.db, approvalA.id))!.status).toBe("pending");

    const ok = await post(`/approvals/${approvalA.id}/approve`, tokenA, {
      approver: "u_a",
      comment: "ship it",
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      approval: { id: approvalA.id, status: "approved", decidedBy: "u_a", comment: "ship it" },
    });
    expect((await finished(runA.id)).output).toMatchObject({
      approved: true,
      approver: "u_a",
      comment: "ship it",
    });

    const again = await post(`/approvals/${approvalA.id}/reject`, tokenA, { approver: "u_a" });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({
      code: "APPROVAL_CONFLICT",
      error: expect.stringContaining("already approved by u_a"),
    });

    // a secret key may decide any workspace's approval
    const rejected = await post(`/approvals/${approvalB.id}/reject`, key, { comment: "no" });
    expect(rejected.status).toBe(200);
    expect((await finished(runB.id)).output).toMatchObject({
      approved: false,
      approver: "api",
      comment: "no",
    });
    expect((await post("/approvals/appr_missing/approve", key)).status).toBe(404);
    expect((await post("/approvals/appr_missing/approve", tokenA)).status).toBe(403);

    // listing: A's token lists A's approvals, not B's
    const list = await fetch(`${server.url}/api/v1/app/workspaces/${a.id}/approvals`, {
      headers: { authorization: `Bearer ${readOnlyA}` },
    });
    expect(((await list.json()) as { approvals: Approval[] }).approvals.map((x) => x.id)).toEqual([
      approvalA.id,
    ]);
    expect(
      (
        await fetch(`${server.url}/api/v1/app/workspaces/${b.id}/approvals`, {
          headers: { authorization: `Bearer ${readOnlyA}` },
        })
      ).status,
    ).toBe(403);
  });
});
