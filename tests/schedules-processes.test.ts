/**
 * Two `mainspring start` processes on one PostgreSQL with a per-second schedule: every slot
 * fires exactly once, and a process killed mid-way does not make a slot fire twice or skip.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../packages/engine/src/store/db.js";
import { postgresStore, sleep, TEST_DATABASE_URL, waitFor } from "../packages/engine/test/helpers.js";

const CONFIG = fileURLToPath(new URL("./fixtures/scheduled/mainspring.config.ts", import.meta.url));
const BIN = fileURLToPath(new URL("../packages/cli/bin/mainspring.js", import.meta.url));

function start(schema: string) {
  const child = spawn(process.execPath, [BIN, "--config", CONFIG, "start"], {
    env: { ...process.env, PORT: "0", DATABASE_URL: TEST_DATABASE_URL, MAINSPRING_DB_SCHEMA: schema },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  child.stderr.on("data", (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  return { child, exited, output: () => out };
}

describe("schedules across processes", () => {
  const store = postgresStore();
  let db: Db;

  beforeAll(async () => {
    db = await store.open();
  });

  afterAll(async () => {
    await db?.close();
    await store.dispose();
  });

  it("two processes (one killed part-way): each per-second slot fires once", async () => {
    const a = start(store.schema!);
    const b = start(store.schema!);
    const slotCount = async () =>
      (await db.query<{ n: number }>("select count(*)::int as n from ms_schedule_slots")).rows[0]?.n ?? 0;
    try {
      await waitFor(() => a.output().includes("ready") && b.output().includes("ready"), {
        timeoutMs: 30_000,
      });
      await waitFor(async () => (await slotCount()) >= 3, { timeoutMs: 15_000, what: "slots to fire" });
      b.child.kill("SIGKILL"); // the scheduler in b dies at some tick; a carries on
      const before = await slotCount();
      await waitFor(async () => (await slotCount()) >= before + 3, {
        timeoutMs: 15_000,
        what: "slots after the kill",
      });
      a.child.kill("SIGTERM");
      expect(await a.exited).toBe(0);
    } finally {
      a.child.kill("SIGKILL");
      b.child.kill("SIGKILL");
    }
    await sleep(100);
    const slots = (
      await db.query<{ slot_at: Date; run_id: string }>(
        "select slot_at, run_id from ms_schedule_slots order by slot_at",
      )
    ).rows;
    const runs = (
      await db.query<{ id: string; payload: string }>(
        "select id, payload from ms_runs where task_id = 'mp-every-second'",
      )
    ).rows;
    // one run per slot, one slot per second, no second twice
    expect(runs).toHaveLength(slots.length);
    expect(new Set(slots.map((s) => s.run_id)).size).toBe(slots.length);
    const timestamps = runs.map((r) => JSON.parse(r.payload).timestamp as string);
    expect(new Set(timestamps).size).toBe(timestamps.length);
    for (let i = 1; i < slots.length; i++) {
      const gap = slots[i]!.slot_at.getTime() - slots[i - 1]!.slot_at.getTime();
      expect(gap % 1000).toBe(0);
      expect(gap).toBeGreaterThanOrEqual(1000);
    }
  }, 90_000);
});
