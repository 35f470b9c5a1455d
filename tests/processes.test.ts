/**
 * Several real processes on one PostgreSQL: limits across processes, a worker killed with
 * SIGKILL, graceful SIGTERM, and the embedded store's single-opener lock.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runs } from "@mainspring/sdk";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Engine, startEngine } from "../packages/engine/src/index.js";
import { completeAttempts } from "../packages/engine/src/sql/complete.js";
import type { Db } from "../packages/engine/src/store/db.js";
import { openPglite } from "../packages/engine/src/store/pglite.js";
import { postgresStore, TEST_DATABASE_URL, waitFor } from "../packages/engine/test/helpers.js";
import { limitedTask, sleeperTask } from "./fixtures/project/src/trigger/tasks.js";
import { postgresWorkers, type Spawned, spawnMainspring } from "./helpers/processes.js";

describe("worker processes on one PostgreSQL", () => {
  const store = postgresStore();
  let db: Db;
  let engine: Engine;
  const children: Spawned[] = [];

  const worker = postgresWorkers(() => store.schema!, children, TEST_DATABASE_URL);

  beforeAll(async () => {
    db = await store.open();
    // The test process triggers and rescues; it runs no worker of its own.
    engine = await startEngine({
      db,
      worker: false,
      maintenance: { intervalMs: 100, rescueIntervalMs: 200 },
    });
  });

  // Each test starts from no worker: a leftover one would take the next test's runs.
  afterEach(async () => {
    const left = children.splice(0);
    for (const c of left) c.child.kill("SIGKILL");
    await Promise.all(left.map((c) => c.exited));
  });

  afterAll(async () => {
    await engine?.stop();
    await db?.close();
    await store.dispose();
  });

  it("3 workers, limit 2 per key, 5 keys: never more than 2 EXECUTING per key", async () => {
    const ws = await Promise.all([worker(), worker(), worker()]);
    try {
      await checkLimits();
    } finally {
      for (const w of ws) w.child.kill("SIGTERM");
      await Promise.all(ws.map((w) => w.exited));
    }
  }, 60_000);

  async function checkLimits() {
    const items = [];
    for (let k = 0; k < 5; k++)
      for (let i = 0; i < 12; i++)
        items.push({ payload: { ms: 40 }, options: { concurrencyKey: `key-${k}` } });
    const batch = await limitedTask.batchTrigger(items);

    let maxPerKey = 0;
    let sawParallelKeys = 0;
    for (;;) {
      const { rows } = await db.query<{ key: string; n: number }>(
        "select concurrency_key as key, count(*)::int as n from ms_runs where task_id = 'mp-limited' and status = 'EXECUTING' group by 1",
      );
      for (const r of rows) maxPerKey = Math.max(maxPerKey, r.n);
      sawParallelKeys = Math.max(sawParallelKeys, rows.length);
      const left = await db.query<{ n: number }>(
        "select count(*)::int as n from ms_runs where task_id = 'mp-limited' and status <> 'COMPLETED'",
      );
      if (left.rows[0]!.n === 0) break;
    }
    expect(maxPerKey).toBeLessThanOrEqual(2);
    expect(maxPerKey).toBe(2);
    expect(sawParallelKeys).toBeGreaterThan(1);
    const pids = new Set<number>();
    for (const r of batch.runs) pids.add(((await runs.retrieve(r.id)).output as { pid: number }).pid);
    expect(pids.size).toBeGreaterThan(1); // the work really was spread over processes
    const { rows } = await db.query<{ running: number; queued: number }>(
      "select running, queued from ms_queue_keys where queue = 'mp-limited'",
    );
    expect(rows.every((r) => r.running === 0 && r.queued === 0)).toBe(true);
  }

  it("SIGKILL mid-attempt: the run is rescued and completes; the killed attempt's late result is rejected", async () => {
    const doomed = await worker({ MAINSPRING_LEASE_MS: "1500" });
    const handle = await sleeperTask.trigger({ ms: 2000 });
    const first = await waitFor(async () => {
      const { rows } = await db.query<{ attempt_id: string; status: string }>(
        "select attempt_id, status from ms_runs where id = $1",
        [handle.id],
      );
      return rows[0]?.status === "EXECUTING" ? rows[0] : undefined;
    });
    doomed.child.kill("SIGKILL");
    await doomed.exited;

    await worker({ MAINSPRING_LEASE_MS: "1500" });
    const run = await waitFor(async () => {
      const r = await runs.retrieve(handle.id);
      return r.isCompleted ? r : undefined;
    });
    expect(run.status).toBe("COMPLETED");
    expect(run.attemptCount).toBe(2);
    expect((run.output as { pid: number }).pid).not.toBe(doomed.child.pid);

    // The killed worker's attempt reports late (it was only partitioned, say): fenced out.
    const accepted = await completeAttempts(db, [
      { id: handle.id, attempt_id: first.attempt_id, status: "COMPLETED", output: '"stale"' },
    ]);
    expect(accepted.size).toBe(0);
    expect((await runs.retrieve(handle.id)).output).toEqual(run.output);
  }, 60_000);

  it("SIGTERM: a running attempt finishes; one past the grace period is released without burning an attempt", async () => {
    const graceful = await worker({ MAINSPRING_SHUTDOWN_GRACE_MS: "10000" });
    const quick = await sleeperTask.trigger({ ms: 1500 });
    await waitFor(async () => (await runs.retrieve(quick.id)).status === "EXECUTING");
    graceful.child.kill("SIGTERM");
    expect(await graceful.exited).toBe(0);
    const done = await runs.retrieve(quick.id);
    expect(done.status).toBe("COMPLETED");
    expect(done.attemptCount).toBe(1);

    const impatient = await worker({ MAINSPRING_SHUTDOWN_GRACE_MS: "300" });
    const long = await sleeperTask.trigger({ ms: 3000 });
    await waitFor(async () => (await runs.retrieve(long.id)).status === "EXECUTING");
    impatient.child.kill("SIGTERM");
    expect(await impatient.exited).toBe(0);
    const released = await runs.retrieve(long.id);
    expect(released.status).toBe("QUEUED");
    expect(released.attemptCount).toBe(0);

    await worker();
    const finished = await waitFor(async () => {
      const r = await runs.retrieve(long.id);
      return r.isCompleted ? r : undefined;
    });
    expect(finished.status).toBe("COMPLETED");
    expect(finished.attemptCount).toBe(1);
  }, 60_000);
});

describe("embedded store lock", () => {
  it("refuses a second opener of the same data folder, in this process or another", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mainspring-lock-"));
    const db = await openPglite({ dataDir: dir });
    try {
      await expect(openPglite({ dataDir: dir })).rejects.toMatchObject({ code: "STORE_LOCKED" });
      const second = await spawnMainspring(["start"], { MAINSPRING_DATA_DIR: dir, DATABASE_URL: "" }, null);
      expect(await second.exited).toBe(1);
      expect(second.output()).toContain("STORE_LOCKED");
      expect(second.output()).toContain(`in use by process ${process.pid}`);
    } finally {
      await db.close();
    }
    // Once the owner has closed it, the folder opens again (and a stale lock would be taken over).
    const again = await openPglite({ dataDir: dir });
    await again.close();
  }, 60_000);
});
