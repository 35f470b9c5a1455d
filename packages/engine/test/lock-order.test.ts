/**
 * Lock order on PostgreSQL: the worker's statements that update many runs (completion, lease
 * renewal, metadata, release) run at the same time on different connections and over the same
 * attempts. Each must lock its rows in one global order (by run id), or two of them can each
 * hold a row the other needs and PostgreSQL aborts one with a deadlock (40P01). PGlite runs one
 * statement at a time, so this only applies to PostgreSQL.
 */
import { task } from "@mainspring/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, startEngine } from "../src/index.js";
import { claimRuns } from "../src/sql/claim.js";
import { completeAttempts } from "../src/sql/complete.js";
import { releaseAttempts, renewLeases } from "../src/sql/leases.js";
import { writeMetadata } from "../src/sql/runs.js";
import type { Db } from "../src/store/db.js";
import { postgresStore } from "./helpers.js";

const contended = task({ id: "lock-order", run: async () => undefined });

describe("lock order on postgres", () => {
  const store = postgresStore();
  let db: Db;
  let engine: Engine;

  beforeAll(async () => {
    db = await store.open();
    // No worker: the test claims runs itself and plays the worker's statements against them.
    engine = await startEngine({ db, worker: false, maintenance: false });
  });

  afterAll(async () => {
    await engine?.stop();
    await db?.close();
    await store.dispose();
  });

  /** Triggers `n` runs and claims them all, as a worker would. */
  async function executing(n: number) {
    await contended.batchTrigger(Array.from({ length: n }, (_, i) => ({ payload: { i } })));
    const claimed = [];
    while (claimed.length < n) {
      const rows = await claimRuns(db, {
        queues: ["task/lock-order"],
        taskIds: ["lock-order"],
        limit: n - claimed.length,
        workerId: "test-worker",
        leaseMs: 60_000,
      });
      claimed.push(...rows);
    }
    return claimed.map((r) => ({ id: r.id, attempt_id: r.attempt_id! }));
  }

  it("completion, renewal, metadata and release of the same attempts never deadlock", async () => {
    const rounds = 6;
    const n = 300;
    for (let round = 0; round < rounds; round++) {
      const attempts = await executing(n);
      // Opposite input orders: a statement that locks in input order would cross the other.
      const forward = attempts;
      const backward = [...attempts].reverse();
      const half = backward.slice(0, n / 2);
      const results = await Promise.allSettled([
        renewLeases(
          db,
          forward.map((a) => a.attempt_id),
          60_000,
        ),
        writeMetadata(
          db,
          backward.map((a) => ({ attempt_id: a.attempt_id, metadata: { round } })),
        ),
        completeAttempts(
          db,
          half.map((a) => ({ ...a, status: "COMPLETED" as const, output: null })),
        ),
        releaseAttempts(
          db,
          forward.slice(0, n / 2).map((a) => a.attempt_id),
        ),
      ]);
      const failures = results.filter((r) => r.status === "rejected").map((r) => String(r.reason));
      expect(failures).toEqual([]);
    }
    // Every run either completed or went back to the queue, and the counters agree.
    const { rows } = await db.query<{ status: string; n: number }>(
      "select status, count(*)::int as n from ms_runs group by status order by status",
    );
    expect(rows.reduce((sum, r) => sum + r.n, 0)).toBe(rounds * n);
    const keys = await db.query<{ running: number; queued: number }>(
      "select sum(running)::int as running, sum(queued)::int as queued from ms_queue_keys where queue = 'task/lock-order'",
    );
    const queued = rows.find((r) => r.status === "QUEUED")?.n ?? 0;
    const running = rows.find((r) => r.status === "EXECUTING")?.n ?? 0;
    expect(keys.rows[0]).toEqual({ running, queued });
  });
});
