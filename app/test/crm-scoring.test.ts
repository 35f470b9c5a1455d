/**
 * Lead scoring on both stores: one lead (score + history in one transaction), bad input,
 * set-based bulk scoring with progress, and the daily schedule's fan-out on tier queues.
 */
import { runs } from "@mainspring/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateProspects } from "../src/crm/demo/generate.js";
import { insertProspects } from "../src/crm/prospects.js";
import { SCORING_VERSION, scoreLead } from "../src/crm/scoring/score.js";
import { scoreWorkspace } from "../src/crm/scoring/store.js";
import type { CrmDb } from "../src/db/store.js";
import {
  batchProgressStream,
  bulkScoreLeadsTask,
  scheduledLeadScoringTask,
  scoreLeadTask,
} from "../src/trigger/jobs.js";
import { finished, openCrm, STORES, workspace } from "./helpers.js";

for (const makeStore of STORES) {
  const store = makeStore();
  describe(`lead scoring on ${store.name}`, () => {
    let db: CrmDb;
    let close: () => Promise<void>;

    beforeAll(async () => {
      ({ db, close } = await openCrm(store));
    });
    afterAll(() => close?.());

    it("score-lead stores the score, the breakdown and a history row, as the pure function says", async () => {
      const ws = await workspace(db, "professional");
      const [id] = await insertProspects(db, ws.id, [
        {
          email: "cto@acme.io",
          phone: "+1 555 010 0100",
          company: "Acme",
          jobTitle: "CTO",
          estimatedValue: 20_000,
          stage: "proposal",
          lastActivityAt: new Date(Date.now() - 2 * 86_400_000),
        },
      ]);
      const run = await finished((await scoreLeadTask.trigger({ prospectId: id!, workspaceId: ws.id })).id);
      expect(run.status).toBe("COMPLETED");
      // 25 + 10 + 10 + 15 + 15 + 30 + 10
      expect(run.output).toMatchObject({ score: 115, version: SCORING_VERSION, prospectId: id });
      const row = (
        await db.query<{
          score: number;
          score_breakdown: Array<{ factor: string; points: number }>;
          score_version: number;
        }>("select score, score_breakdown, score_version from crm_prospects where id = $1", [id])
      ).rows[0]!;
      expect(row.score).toBe(115);
      expect(row.score_version).toBe(SCORING_VERSION);
      expect(row.score_breakdown.find((f) => f.factor === "jobTitle")?.points).toBe(15);
      const history = await db.query<{ score: number; run_id: string }>(
        "select score, run_id from crm_score_history where prospect_id = $1",
        [id],
      );
      expect(history.rows).toEqual([{ score: 115, run_id: run.id }]);
    });

    it("an unknown prospect or workspace fails at once (no retry) with its code, writing nothing", async () => {
      const ws = await workspace(db, "free");
      const before = Number(
        (await db.query<{ n: string }>("select count(*) as n from crm_score_history")).rows[0]!.n,
      );
      const noLead = await finished(
        (await scoreLeadTask.trigger({ prospectId: "pr_missing", workspaceId: ws.id })).id,
      );
      expect(noLead.status).toBe("FAILED");
      expect(noLead.attemptCount).toBe(1);
      expect(noLead.error).toMatchObject({ code: "PROSPECT_NOT_FOUND" });
      const noWs = await finished((await bulkScoreLeadsTask.trigger({ workspaceId: "ws_missing" })).id);
      expect(noWs.status).toBe("FAILED");
      expect(noWs.error).toMatchObject({ code: "WORKSPACE_NOT_FOUND" });
      // Another workspace's lead is unknown here too.
      const other = await workspace(db, "free");
      const [foreign] = await insertProspects(db, other.id, [{ email: "x@y.com" }]);
      const cross = await finished(
        (await scoreLeadTask.trigger({ prospectId: foreign!, workspaceId: ws.id })).id,
      );
      expect(cross.error).toMatchObject({ code: "PROSPECT_NOT_FOUND" });
      const after = Number(
        (await db.query<{ n: string }>("select count(*) as n from crm_score_history")).rows[0]!.n,
      );
      expect(after).toBe(before);
    });

    it("bulk-score-leads scores a workspace in pages, matching the pure function, with progress; reruns score only what is unscored", async () => {
      const ws = await workspace(db, "enterprise");
      const other = await workspace(db, "starter");
      const now = new Date();
      await insertProspects(db, ws.id, generateProspects(1_234, 7, now));
      await insertProspects(db, other.id, generateProspects(10, 8, now));
      const run = await finished(
        (await bulkScoreLeadsTask.trigger({ workspaceId: ws.id, pageSize: 500 })).id,
      );
      expect(run.status).toBe("COMPLETED");
      expect(run.output).toMatchObject({ scored: 1_234, pages: 3 });
      expect(run.metadata?.progress).toMatchObject({ done: 1_234, total: 1_234, fraction: 1 });
      // batchProgressStream: one chunk before the first page and one after each page.
      const chunks: Array<{ done: number; total: number }> = [];
      for await (const chunk of await batchProgressStream.read(run.id, { timeoutInSeconds: 5 }))
        chunks.push(chunk);
      expect(chunks.map((c) => c.done)).toEqual([0, 500, 1_000, 1_234]);
      expect(chunks.every((c) => c.total === 1_234)).toBe(true);
      const counts = (
        await db.query<{ ws: string; scored: string; history: string }>(
          `select p.workspace_id as ws, count(p.score) as scored,
             (select count(*) from crm_score_history h where h.workspace_id = p.workspace_id) as history
           from crm_prospects p where p.workspace_id in ($1, $2) group by 1`,
          [ws.id, other.id],
        )
      ).rows;
      const byWs = Object.fromEntries(counts.map((c) => [c.ws, c]));
      expect(Number(byWs[ws.id]!.scored)).toBe(1_234);
      expect(Number(byWs[ws.id]!.history)).toBe(1_234);
      expect(Number(byWs[other.id]!.scored)).toBe(0); // another workspace is untouched

      // Every stored score is what the pure function gives for the stored facts at scored_at.
      const sample = await db.query<{
        email: string | null;
        phone: string | null;
        company: string | null;
        job_title: string | null;
        estimated_value: string | null;
        stage: string;
        last_activity_at: Date | null;
        scored_at: Date;
        score: number;
      }>("select * from crm_prospects where workspace_id = $1 order by random() limit 200", [ws.id]);
      for (const p of sample.rows) {
        const expected = scoreLead(
          {
            email: p.email,
            phone: p.phone,
            company: p.company,
            jobTitle: p.job_title,
            estimatedValue: p.estimated_value === null ? null : Number(p.estimated_value),
            stage: p.stage,
            lastActivityAt: p.last_activity_at ? new Date(p.last_activity_at) : null,
          },
          new Date(p.scored_at),
        );
        expect(p.score).toBe(expected.score);
      }

      await insertProspects(db, ws.id, generateProspects(5, 9, now));
      const again = await finished((await bulkScoreLeadsTask.trigger({ workspaceId: ws.id })).id);
      expect(again.output).toMatchObject({ scored: 5 });
      const all = await finished(
        (await bulkScoreLeadsTask.trigger({ workspaceId: ws.id, rescoreAll: true })).id,
      );
      expect(all.output).toMatchObject({ scored: 1_239 });
    });

    it("bulk scoring leaves the event loop free between pages (PGlite has no I/O to yield on)", async () => {
      // Without a macrotask turn per page, no timer fires until the whole run ends: the lease
      // heartbeat starves, and the rescuer may hand the attempt to a second one.
      const ws = await workspace(db, "enterprise");
      await insertProspects(db, ws.id, generateProspects(6_000, 11, new Date()));
      let ticks = 0;
      const timer = setInterval(() => ticks++, 1);
      try {
        const result = await scoreWorkspace(db, { workspaceId: ws.id, all: false, pageSize: 500 });
        expect(result.pages).toBe(12);
      } finally {
        clearInterval(timer);
      }
      expect(ticks).toBeGreaterThanOrEqual(11);
    });

    it("scheduled-lead-scoring triggers one bulk run per workspace on its tier's queue, keyed by workspace", async () => {
      const { rows } = await db.query<{ id: string; tier: string }>("select id, tier from crm_workspaces");
      const run = await finished(
        (
          await scheduledLeadScoringTask.trigger({
            type: "DECLARATIVE",
            timestamp: new Date("2026-01-01T02:00:00Z"),
            timezone: "UTC",
            scheduleId: "sched_test",
            upcoming: [],
          })
        ).id,
      );
      expect(run.status).toBe("COMPLETED");
      const output = run.output as { workspaces: number; runs: string[] };
      expect(output.workspaces).toBe(rows.length);
      const children = await Promise.all(output.runs.map((id) => runs.retrieve(id)));
      const expectedQueue: Record<string, string> = {
        free: "free-tier-queue",
        starter: "standard-tier-queue",
        professional: "standard-tier-queue",
        enterprise: "enterprise-tier-queue",
      };
      for (const ws of rows) {
        const child = children.find((c) => (c.payload as { workspaceId: string }).workspaceId === ws.id)!;
        expect(child.queue).toBe(expectedQueue[ws.tier]);
        expect(child.concurrencyKey).toBe(ws.id);
        expect(child.tags).toEqual(
          expect.arrayContaining([`workspace:${ws.id}`, `tier:${ws.tier}`, "type:lead-score"]),
        );
      }
      await Promise.all(output.runs.map((id) => finished(id)));
    });
  });
}
