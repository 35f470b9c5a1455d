/**
 * The per-tenant limits, checked from the database under load: while an enterprise workspace
 * runs 20 jobs at once, a free workspace never has two executing; a starter workspace five.
 */
import { task } from "@mainspring/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CrmDb } from "../src/db/store.js";
import {
  buildWorkspaceQueueOptions,
  getQueueForTier,
  type SubscriptionTier,
  standardTierQueue,
} from "../src/trigger/jobs.js";
import { finished, openCrm, STORES, waitFor, workspace } from "./helpers.js";

let release: () => void = () => {};
let gate = new Promise<void>((r) => {
  release = r;
});

/** Holds its slot until the test opens the gate: slots stay taken while the test samples. */
const holdTask = task({
  id: "test-tenant-hold",
  queue: standardTierQueue,
  run: async (payload: { workspaceId: string }) => {
    await gate;
    return payload.workspaceId;
  },
});

describe("tier queues", () => {
  it("follow the seed's table", () => {
    const limits = (["free", "starter", "professional", "enterprise"] as SubscriptionTier[]).map((t) => [
      t,
      getQueueForTier(t).name,
      getQueueForTier(t).concurrencyLimit,
    ]);
    expect(limits).toEqual([
      ["free", "free-tier-queue", 1],
      ["starter", "standard-tier-queue", 5],
      ["professional", "standard-tier-queue", 5],
      ["enterprise", "enterprise-tier-queue", 20],
    ]);
    expect(buildWorkspaceQueueOptions("ws_1", "free", "lead-score")).toEqual({
      queue: "free-tier-queue",
      concurrencyKey: "ws_1",
      tags: ["workspace:ws_1", "tier:free", "type:lead-score"],
    });
  });
});

for (const makeStore of STORES) {
  const store = makeStore();
  describe(`per-tenant concurrency on ${store.name}`, () => {
    let db: CrmDb;
    let close: () => Promise<void>;

    beforeAll(async () => {
      // More worker slots than all limits together: only the queues can hold runs back.
      ({ db, close } = await openCrm(store, { concurrency: 60 }));
    });
    afterAll(() => close?.());

    it("free never runs two at once while enterprise runs 20 and starter 5", async () => {
      gate = new Promise<void>((r) => {
        release = r;
      });
      const free = await workspace(db, "free");
      const starter = await workspace(db, "starter");
      const enterprise = await workspace(db, "enterprise");
      const load: Array<[string, SubscriptionTier, number]> = [
        [free.id, "free", 8],
        [starter.id, "starter", 12],
        [enterprise.id, "enterprise", 45],
      ];
      const ids: string[] = [];
      for (const [id, tier, n] of load) {
        const batch = await holdTask.batchTrigger(
          Array.from({ length: n }, () => ({
            payload: { workspaceId: id },
            options: buildWorkspaceQueueOptions(id, tier, "test"),
          })),
        );
        ids.push(...batch.runs.map((r) => r.id));
      }
      const executing = async () => {
        const { rows } = await db.query<{ key: string; n: string }>(
          `select concurrency_key as key, count(*) as n from ms_runs
           where task_id = 'test-tenant-hold' and status = 'EXECUTING' group by 1`,
        );
        const m = new Map(rows.map((r) => [r.key, Number(r.n)]));
        return {
          free: m.get(free.id) ?? 0,
          starter: m.get(starter.id) ?? 0,
          enterprise: m.get(enterprise.id) ?? 0,
        };
      };
      const max = { free: 0, starter: 0, enterprise: 0 };
      let samples = 0;
      const sample = async () => {
        const now = await executing();
        samples++;
        for (const k of ["free", "starter", "enterprise"] as const) max[k] = Math.max(max[k], now[k]);
        return now;
      };
      // Fill: every workspace reaches its limit, and no more, while the gate is closed.
      const full = await waitFor(
        async () => {
          const now = await sample();
          return now.free === 1 && now.starter === 5 && now.enterprise === 20 ? now : undefined;
        },
        { what: "every workspace at its limit", intervalMs: 10 },
      );
      expect(full).toEqual({ free: 1, starter: 5, enterprise: 20 });
      // Drain: release, keep sampling until every run finished.
      const sampler = (async () => {
        let done = false;
        while (!done) {
          await sample();
          const { rows } = await db.query<{ n: string }>(
            "select count(*) as n from ms_runs where task_id = 'test-tenant-hold' and status in ('QUEUED', 'EXECUTING')",
          );
          done = Number(rows[0]!.n) === 0;
          // PGlite answers without I/O: yield to timers, or this loop would starve the worker.
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      release();
      await Promise.all(ids.map((id) => finished(id, 60_000)));
      await sampler;
      expect(samples).toBeGreaterThan(3);
      expect(max).toEqual({ free: 1, starter: 5, enterprise: 20 });
      const statuses = await db.query<{ status: string; n: string }>(
        "select status, count(*) as n from ms_runs where task_id = 'test-tenant-hold' group by 1",
      );
      expect(statuses.rows.map((r) => [r.status, Number(r.n)])).toEqual([["COMPLETED", 65]]);
    });
  });
}
