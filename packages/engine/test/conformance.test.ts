/**
 * The conformance suite: the same behaviour, asserted from the database and the public API,
 * on every store driver (embedded PGlite and PostgreSQL).
 */
import {
  AbortTaskRunError,
  idempotencyKeys,
  logger,
  metadata,
  queue,
  type Run,
  runs,
  schemaTask,
  tags,
  task,
  tasks,
} from "@mainspring/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type Engine, startEngine } from "../src/index.js";
import type { Db } from "../src/store/db.js";
import { finished, gate, STORES, type TestStore, waitFor } from "./helpers.js";

// ---- tasks used by the suite (registered once per file) ----

const echo = task({
  id: "echo",
  run: async (payload: { value: unknown }, { ctx }) => ({
    value: payload.value,
    ctx: {
      runId: ctx.run.id,
      attempt: ctx.attempt.number,
      task: ctx.task.id,
      queue: ctx.queue.name,
      tags: ctx.run.tags,
    },
  }),
});

const typed = schemaTask({
  id: "typed",
  schema: z.object({ email: z.string().email(), count: z.number().int().default(1) }),
  run: async (payload) => payload,
});

const attemptsSeen = new Map<string, number[]>();
const failing = task({
  id: "failing",
  retry: { maxAttempts: 3, factor: 2, minTimeoutInMs: 100, maxTimeoutInMs: 1000, randomize: false },
  run: async (_: { key: string }, { ctx }) => {
    const seen = attemptsSeen.get(ctx.run.id) ?? [];
    seen.push(Date.now());
    attemptsSeen.set(ctx.run.id, seen);
    throw new Error(`fail #${ctx.attempt.number}`);
  },
});

let abortCalls = 0;
const aborting = task({
  id: "aborting",
  run: async () => {
    abortCalls++;
    throw new AbortTaskRunError("invalid input, do not retry");
  },
});

const caught = task({
  id: "caught",
  retry: { maxAttempts: 5, minTimeoutInMs: 10_000 },
  catchError: async ({ error, ctx }) => {
    if ((error as Error).message === "fatal") return { skipRetrying: true };
    if (ctx.attempt.number === 1) return { retryDelayInMs: 50 };
    return undefined;
  },
  run: async (payload: { mode: "fatal" | "flaky" }, { ctx }) => {
    if (payload.mode === "fatal") throw new Error("fatal");
    if (ctx.attempt.number < 2) throw new Error("flaky");
    return "ok";
  },
});

const hookLog: string[] = [];
const hooked = task({
  id: "hooked",
  retry: { maxAttempts: 2, minTimeoutInMs: 10, maxTimeoutInMs: 10 },
  init: async () => {
    hookLog.push("init");
    return { db: "conn" };
  },
  cleanup: async () => {
    hookLog.push("cleanup");
  },
  onStart: async () => {
    hookLog.push("onStart");
  },
  onSuccess: async ({ output }) => {
    hookLog.push(`onSuccess:${output}`);
  },
  onFailure: async () => {
    hookLog.push("onFailure");
  },
  onComplete: async ({ result }) => {
    hookLog.push(`onComplete:${result.ok}`);
  },
  run: async (_: undefined, { ctx, init }) => {
    hookLog.push(`run:${ctx.attempt.number}:${(init as { db: string }).db}`);
    if (ctx.attempt.number === 1) throw new Error("first attempt fails");
    return "done";
  },
});

let sawAbort = false;
const slow = task({
  id: "slow",
  maxDuration: 5,
  run: async (payload: { ms: number }, { signal }) => {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, payload.ms);
      signal.addEventListener("abort", () => {
        sawAbort = true;
        clearTimeout(t);
        resolve();
      });
    });
    return "finished";
  },
});

const held = new Map<string, () => void>();
const blockers = new Map<string, { promise: Promise<void>; open: () => void }>();
const blocking = task({
  id: "blocking",
  run: async (payload: { name: string }, { signal }) => {
    const g = blockers.get(payload.name) ?? gate();
    blockers.set(payload.name, g);
    held.set(payload.name, g.open);
    signal.addEventListener("abort", () => g.open());
    await g.promise;
    return signal.aborted ? "aborted" : "released";
  },
});

const limitedQueue = queue({ name: "limited", concurrencyLimit: 2 });
const running = new Map<string, number>();
const maxRunning = new Map<string, number>();
const limited = task({
  id: "limited",
  queue: limitedQueue,
  run: async (payload: { key: string; ms: number }) => {
    const now = (running.get(payload.key) ?? 0) + 1;
    running.set(payload.key, now);
    maxRunning.set(payload.key, Math.max(maxRunning.get(payload.key) ?? 0, now));
    await new Promise((r) => setTimeout(r, payload.ms));
    running.set(payload.key, (running.get(payload.key) ?? 1) - 1);
  },
});

const totalQueue = queue({ name: "total-limited", concurrencyLimit: 5, totalConcurrencyLimit: 3 });
let totalRunning = 0;
let totalMax = 0;
const totalLimited = task({
  id: "total-limited",
  queue: totalQueue,
  run: async (payload: { ms: number }) => {
    totalRunning++;
    totalMax = Math.max(totalMax, totalRunning);
    await new Promise((r) => setTimeout(r, payload.ms));
    totalRunning--;
  },
});

const serialQueue = queue({ name: "serial", concurrencyLimit: 1 });
const order: string[] = [];
const ordered = task({
  id: "ordered",
  queue: serialQueue,
  run: async (payload: { name: string }) => {
    order.push(payload.name);
  },
});

const poisonQueue = queue({ name: "poison", concurrencyLimit: 2 });
const poisonable = task({
  id: "poisonable",
  queue: poisonQueue,
  retry: { maxAttempts: 3, minTimeoutInMs: 50, maxTimeoutInMs: 100, randomize: false },
  run: async (payload: { poison: boolean; i: number }) => {
    if (payload.poison) throw new Error("poison payload");
    return payload.i;
  },
});

let ttlAttempts = 0;
const retryPastTtl = task({
  id: "retry-past-ttl",
  retry: { maxAttempts: 2, minTimeoutInMs: 1500, maxTimeoutInMs: 1500, randomize: false },
  run: async () => {
    ttlAttempts++;
    if (ttlAttempts === 1) throw new Error("first attempt fails");
    return "second attempt ran";
  },
});

const bigOutput = task({ id: "big-output", run: async () => "x".repeat(40 * 1024) });

const fairQueue = queue({ name: "fair", concurrencyLimit: 1000 });
const fairStarts: string[] = [];
const fair = task({
  id: "fair",
  queue: fairQueue,
  run: async (payload: { key: string }) => {
    fairStarts.push(payload.key);
    await new Promise((r) => setTimeout(r, 1));
  },
});

const meta = task({
  id: "meta",
  run: async () => {
    metadata.set("status", "working").increment("count", 2).append("steps", "a");
    metadata.append("steps", "b");
    await metadata.flush();
    logger.info("halfway", { step: 1 });
    logger.warn("careful");
    await tags.add(["added:1"]);
    return metadata.current();
  },
});

const parent = task({
  id: "parent",
  run: async () => {
    const key = await idempotencyKeys.create("child-once");
    const a = await echo.trigger({ value: 1 }, { idempotencyKey: key });
    const b = await echo.trigger({ value: 2 }, { idempotencyKey: key });
    return { a: a.id, b: b.id };
  },
});

for (const makeStore of STORES) {
  const store: TestStore = makeStore();

  describe(`engine on ${store.name}`, () => {
    let db: Db;
    let engine: Engine;

    beforeAll(async () => {
      db = await store.open();
      engine = await startEngine({
        db,
        worker: { concurrency: 20, pollIntervalMs: 250, leaseMs: 5000 },
        maintenance: { intervalMs: 100, rescueIntervalMs: 200 },
        limits: { maxPayloadBytes: 64 * 1024, maxOutputBytes: 32 * 1024 },
        onError: (error, where) => console.error(where, error),
      });
    });

    afterAll(async () => {
      for (const open of held.values()) open();
      await engine?.stop(2000);
      await db?.close();
      await store.dispose();
    });

    const countRuns = async (taskId: string) =>
      Number(
        (await db.query<{ n: number }>("select count(*)::int as n from ms_runs where task_id = $1", [taskId]))
          .rows[0]!.n,
      );

    it("runs a task and returns its output, with ctx shaped as Trigger.dev's", async () => {
      const handle = await echo.trigger({ value: "hi" }, { tags: ["workspace:a", "type:test"] });
      expect(handle.id).toMatch(/^run_[0-9a-z]{26}$/);
      const run = await finished(handle.id);
      expect(run.status).toBe("COMPLETED");
      expect(run.output).toEqual({
        value: "hi",
        ctx: {
          runId: handle.id,
          attempt: 1,
          task: "echo",
          queue: "task/echo",
          tags: ["workspace:a", "type:test"],
        },
      });
      expect(run.attemptCount).toBe(1);
      expect(run.startedAt).toBeInstanceOf(Date);
      expect(run.finishedAt!.getTime()).toBeGreaterThanOrEqual(run.startedAt!.getTime());
    });

    it("tasks.trigger by id works like the task's own trigger", async () => {
      const handle = await tasks.trigger<typeof echo>("echo", { value: 7 });
      expect((await finished(handle.id)).output).toMatchObject({ value: 7 });
    });

    it("rejects a bad schemaTask payload before creating a run, and parses good ones", async () => {
      const before = await countRuns("typed");
      await expect(typed.trigger({ email: "not-an-email" } as never)).rejects.toMatchObject({
        code: "INVALID_PAYLOAD",
        message: expect.stringContaining("email"),
      });
      expect(await countRuns("typed")).toBe(before);
      const ok = await typed.trigger({ email: "ada@example.com" });
      expect((await finished(ok.id)).output).toEqual({ email: "ada@example.com", count: 1 });
    });

    it("rejects bad options, unknown tasks and queues, and oversize payloads with codes", async () => {
      const tooMany = Array.from({ length: 11 }, (_, i) => `t${i}`);
      await expect(echo.trigger({ value: 1 }, { tags: tooMany })).rejects.toMatchObject({
        code: "INVALID_OPTIONS",
      });
      await expect(echo.trigger({ value: 1 }, { tags: ["x".repeat(129)] })).rejects.toMatchObject({
        code: "INVALID_OPTIONS",
      });
      await expect(echo.trigger({ value: 1 }, { delay: "soon" })).rejects.toMatchObject({
        code: "INVALID_DURATION",
      });
      await expect(echo.trigger({ value: 1 }, { queue: "nope" })).rejects.toMatchObject({
        code: "QUEUE_NOT_FOUND",
      });
      await expect(echo.trigger({ value: 1 }, { bogus: 1 } as never)).rejects.toMatchObject({
        code: "INVALID_OPTIONS",
      });
      await expect(tasks.trigger("no-such-task", {})).rejects.toMatchObject({ code: "TASK_NOT_FOUND" });
      await expect(echo.trigger({ value: "x".repeat(70_000) })).rejects.toMatchObject({
        code: "PAYLOAD_TOO_LARGE",
      });
    });

    it("fails a run whose output is over the limit, without retrying, and says why", async () => {
      const run = await finished((await bigOutput.trigger(undefined)).id);
      expect(run.status).toBe("FAILED");
      expect(run.attemptCount).toBe(1);
      expect(run.error?.message).toContain("OUTPUT_TOO_LARGE");
    });

    it("retries with exponential backoff, then fails", async () => {
      const handle = await failing.trigger({ key: "x" });
      const run = await finished(handle.id);
      expect(run.status).toBe("FAILED");
      expect(run.attemptCount).toBe(3);
      expect(run.error?.message).toBe("fail #3");
      const times = attemptsSeen.get(handle.id)!;
      expect(times).toHaveLength(3);
      // 100 ms then 200 ms (factor 2, no jitter); measured from the worker's clock, so allow slack below.
      expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(90);
      expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(190);
    });

    it("honours maxAttempts from the trigger options", async () => {
      const handle = await failing.trigger({ key: "y" }, { maxAttempts: 1 });
      const run = await finished(handle.id);
      expect(run.attemptCount).toBe(1);
      expect(run.maxAttempts).toBe(1);
    });

    it("AbortTaskRunError fails at once without retrying", async () => {
      const before = abortCalls;
      const run = await finished((await aborting.trigger(undefined)).id);
      expect(run.status).toBe("FAILED");
      expect(run.attemptCount).toBe(1);
      expect(abortCalls - before).toBe(1);
    });

    it("catchError can skip the retry or change its delay", async () => {
      const fatal = await finished((await caught.trigger({ mode: "fatal" })).id);
      expect(fatal.status).toBe("FAILED");
      expect(fatal.attemptCount).toBe(1);
      const started = Date.now();
      const flaky = await finished((await caught.trigger({ mode: "flaky" })).id);
      expect(flaky.status).toBe("COMPLETED");
      expect(flaky.attemptCount).toBe(2);
      expect(Date.now() - started).toBeLessThan(8000); // not the task's 10 s minimum
    });

    it("calls lifecycle hooks in Trigger.dev's order", async () => {
      hookLog.length = 0;
      const run = await finished((await hooked.trigger(undefined)).id);
      expect(run.status).toBe("COMPLETED");
      expect(hookLog).toEqual([
        "init",
        "onStart",
        "run:1:conn",
        "cleanup",
        "init",
        "run:2:conn",
        "onSuccess:done",
        "onComplete:true",
        "cleanup",
      ]);
    });

    it("maxDuration aborts the signal and ends TIMED_OUT without a retry", async () => {
      sawAbort = false;
      const run = await finished((await slow.trigger({ ms: 60_000 }, { maxDuration: 5 })).id);
      expect(run.status).toBe("TIMED_OUT");
      expect(run.attemptCount).toBe(1);
      expect(sawAbort).toBe(true);
    }, 20_000);

    it("ttl only limits the first start: a run retrying past its ttl is not expired", async () => {
      ttlAttempts = 0;
      const run = await finished((await retryPastTtl.trigger(undefined, { ttl: "1s" })).id);
      expect(run.status).toBe("COMPLETED");
      expect(run.attemptCount).toBe(2);
    });

    it("rejects fractional or out-of-range numbers in options with INVALID_OPTIONS", async () => {
      await expect(echo.trigger({ value: 1 }, { maxDuration: 5.5 })).rejects.toMatchObject({
        code: "INVALID_OPTIONS",
      });
      await expect(echo.trigger({ value: 1 }, { maxDuration: 30 * 86400 })).rejects.toMatchObject({
        code: "INVALID_OPTIONS",
      });
      await expect(echo.trigger({ value: 1 }, { maxAttempts: 0 })).rejects.toMatchObject({
        code: "INVALID_OPTIONS",
      });
      await expect(echo.trigger({ value: 1 }, { priority: -1 })).rejects.toMatchObject({
        code: "INVALID_OPTIONS",
      });
      const page = await runs.list({ limit: 2.5 });
      expect(page.data.length).toBeLessThanOrEqual(2);
    });

    it("a queue defined after the engine started is usable at once", async () => {
      const late = task({
        id: `late-${store.name}`,
        queue: { name: `late-queue-${store.name}`, concurrencyLimit: 1 },
        run: async () => "ok",
      });
      const run = await finished((await late.trigger(undefined)).id);
      expect(run.status).toBe("COMPLETED");
      expect(
        (await engine.queues()).find((q) => q.name === `late-queue-${store.name}`)?.concurrencyLimit,
      ).toBe(1);
    });

    it("delay makes a run DELAYED until its time", async () => {
      const handle = await echo.trigger({ value: "later" }, { delay: "1s" });
      const queued = await runs.retrieve(handle.id);
      expect(queued.status).toBe("DELAYED");
      expect(queued.delayedUntil).toBeInstanceOf(Date);
      const run = await finished(handle.id);
      expect(run.status).toBe("COMPLETED");
      expect(run.startedAt!.getTime() - run.createdAt.getTime()).toBeGreaterThanOrEqual(950);
    });

    it("a DELAYED run can be rescheduled, and only a DELAYED one", async () => {
      const handle = await echo.trigger({ value: "resched" }, { delay: "1h" });
      const moved = await runs.reschedule(handle.id, { delay: "200ms" });
      expect(moved.status).toBe("DELAYED");
      expect((await finished(handle.id)).status).toBe("COMPLETED");
      await expect(runs.reschedule(handle.id, { delay: "1h" })).rejects.toMatchObject({
        code: "RUN_NOT_RESCHEDULABLE",
      });
    });

    it("ttl expires a run that could not start in time", async () => {
      await engine.pauseQueue("task/echo", true);
      try {
        const handle = await echo.trigger({ value: "stale" }, { ttl: "1s" });
        const run = await finished(handle.id);
        expect(run.status).toBe("EXPIRED");
        expect(run.attemptCount).toBe(0);
        expect(run.expiredAt).toBeInstanceOf(Date);
      } finally {
        await engine.pauseQueue("task/echo", false);
      }
      const stats = (await engine.queues()).find((q) => q.name === "task/echo")!;
      expect(stats.queued).toBe(0);
    });

    it("one idempotency key, 100 concurrent triggers: one run, every caller gets its id", async () => {
      const handles = await Promise.all(
        Array.from({ length: 100 }, () =>
          echo.trigger({ value: "once" }, { idempotencyKey: "same-key-100" }),
        ),
      );
      const ids = new Set(handles.map((h) => h.id));
      expect(ids.size).toBe(1);
      expect(handles.filter((h) => !h.isCached)).toHaveLength(1);
      const { rows } = await db.query<{ n: number }>(
        "select count(*)::int as n from ms_runs where task_id = 'echo' and payload = $1",
        [JSON.stringify({ value: "once" })],
      );
      expect(rows[0]!.n).toBe(1);
    });

    it("an idempotency key expires after its TTL, then a new run is created", async () => {
      const first = await echo.trigger(
        { value: "ttl" },
        { idempotencyKey: ["ttl", "key"], idempotencyKeyTTL: "1s" },
      );
      const again = await echo.trigger(
        { value: "ttl" },
        { idempotencyKey: ["ttl", "key"], idempotencyKeyTTL: "1s" },
      );
      expect(again.id).toBe(first.id);
      await waitFor(
        async () => {
          const next = await echo.trigger(
            { value: "ttl" },
            { idempotencyKey: ["ttl", "key"], idempotencyKeyTTL: "1s" },
          );
          return next.id !== first.id ? next : undefined;
        },
        { intervalMs: 200, what: "the key to expire" },
      );
    });

    it("idempotencyKeys.create scopes a key to the parent run", async () => {
      const a = await finished((await parent.trigger(undefined)).id);
      const b = await finished((await parent.trigger(undefined)).id);
      const outA = a.output as { a: string; b: string };
      const outB = b.output as { a: string; b: string };
      expect(outA.a).toBe(outA.b); // same parent run: deduplicated
      expect(outB.a).not.toBe(outA.a); // another parent run: its own child
      expect((await runs.retrieve(outA.a)).parentId).toBe(a.id);
    });

    it("never runs more than the limit per concurrency key, and each key has its own limit", async () => {
      const items = [];
      for (const key of ["k1", "k2", "k3"]) {
        for (let i = 0; i < 8; i++)
          items.push({ payload: { key, ms: 30 }, options: { concurrencyKey: key } });
      }
      const batch = await limited.batchTrigger(items);
      await Promise.all(batch.runs.map((r) => finished(r.id)));
      expect([...maxRunning.values()].every((n) => n <= 2)).toBe(true);
      expect(Math.max(...maxRunning.values())).toBe(2);
      const stats = (await engine.queues()).find((q) => q.name === "limited")!;
      expect(stats).toMatchObject({ running: 0, queued: 0, keys: 3 });
    });

    it("a total limit caps runs across all keys of a queue", async () => {
      const items = Array.from({ length: 12 }, (_, i) => ({
        payload: { ms: 40 },
        options: { concurrencyKey: `key-${i % 6}` },
      }));
      const batch = await totalLimited.batchTrigger(items);
      await Promise.all(batch.runs.map((r) => finished(r.id)));
      expect(totalMax).toBe(3);
      const { rows } = await db.query<{ running: number }>(
        "select running from ms_queues where name = 'total-limited'",
      );
      expect(rows[0]!.running).toBe(0);
    });

    it("orders a key's runs by priority (seconds of time credit)", async () => {
      await engine.pauseQueue("serial", true);
      order.length = 0;
      const low = await ordered.trigger({ name: "first-but-low" });
      const high = await ordered.trigger({ name: "later-but-high" }, { priority: 60 });
      await engine.pauseQueue("serial", false);
      await finished(low.id);
      await finished(high.id);
      // Seen once in CI and never reproduced since: if it comes back, show what the store says.
      const { rows } = await db.query(
        `select id, priority_s, order_at, available_at, created_at, started_at, completed_at, attempts
         from ms_runs where id = any($1) order by started_at`,
        [[low.id, high.id]],
      );
      expect(order, JSON.stringify({ low: low.id, high: high.id, rows }, null, 1)).toEqual([
        "later-but-high",
        "first-but-low",
      ]);
    });

    it("cancels queued and executing runs; the executing one sees its signal abort", async () => {
      await engine.pauseQueue("task/echo", true);
      const queued = await echo.trigger({ value: "never" });
      await runs.cancel(queued.id);
      await engine.pauseQueue("task/echo", false);
      expect((await runs.retrieve(queued.id)).status).toBe("CANCELED");

      const handle = await blocking.trigger({ name: `cancel-me-${store.name}` });
      await waitFor(async () => (await runs.retrieve(handle.id)).status === "EXECUTING");
      await runs.cancel(handle.id);
      const run = await finished(handle.id);
      expect(run.status).toBe("CANCELED");
      expect(run.output).toBeUndefined();
      await waitFor(() => engine.worker!.activeCount === 0 || undefined, { what: "the worker to let go" });
      const stats = (await engine.queues()).find((q) => q.name === "task/echo")!;
      expect(stats.queued).toBe(0);
      await expect(runs.cancel("run_doesnotexist")).rejects.toMatchObject({ code: "RUN_NOT_FOUND" });
    });

    it("a poison payload backs off and fails while other work in its queue keeps flowing", async () => {
      const poison = await poisonable.trigger({ poison: true, i: -1 });
      const healthy = await poisonable.batchTrigger(
        Array.from({ length: 30 }, (_, i) => ({ payload: { poison: false, i } })),
      );
      const done = await Promise.all(healthy.runs.map((r) => finished(r.id)));
      expect(done.every((r) => r.status === "COMPLETED")).toBe(true);
      const failed = await finished(poison.id);
      expect(failed.status).toBe("FAILED");
      expect(failed.attemptCount).toBe(3);
      expect(failed.error?.message).toBe("poison payload");
    });

    it("tags.add cannot pass 10 tags, even from concurrent calls", async () => {
      const handle = await echo.trigger(
        { value: "tags" },
        { tags: Array.from({ length: 8 }, (_, i) => `t${i}`) },
      );
      const results = await Promise.allSettled([
        engine.addTags(handle.id, ["a1", "a2"]),
        engine.addTags(handle.id, ["b1", "b2"]),
      ]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      expect(results.find((r) => r.status === "rejected")).toMatchObject({
        reason: { code: "INVALID_OPTIONS" },
      });
      expect((await runs.retrieve(handle.id)).tags).toHaveLength(10);
      await expect(engine.addTags("run_nope", ["x"])).rejects.toMatchObject({ code: "RUN_NOT_FOUND" });
    });

    it("stores metadata, logs and added tags", async () => {
      const handle = await meta.trigger(undefined, { metadata: { origin: "test" }, tags: ["base"] });
      const run = await finished(handle.id);
      expect(run.metadata).toEqual({ origin: "test", status: "working", count: 2, steps: ["a", "b"] });
      expect(run.output).toEqual(run.metadata);
      expect(run.tags).toEqual(["base", "added:1"]);
      const logs = await engine.logs(handle.id);
      expect(logs.map((l) => [l.level, l.message])).toEqual([
        ["info", "halfway"],
        ["warn", "careful"],
      ]);
      expect(logs[0]!.data).toEqual({ step: 1 });
    });

    it("batchTrigger inserts up to 1,000 runs at once; a bad item creates nothing", async () => {
      const items = Array.from({ length: 1000 }, (_, i) => ({ payload: { value: i } }));
      const batch = await echo.batchTrigger(items);
      expect(batch.runCount).toBe(1000);
      expect(batch.runs).toHaveLength(1000);
      const { rows } = await db.query<{ n: number }>(
        "select count(*)::int as n from ms_runs where batch_id = $1",
        [batch.batchId],
      );
      expect(rows[0]!.n).toBe(1000);
      await expect(echo.batchTrigger([...items, { payload: { value: 1000 } }])).rejects.toMatchObject({
        code: "BATCH_TOO_LARGE",
      });
      const before = await countRuns("typed");
      await expect(
        typed.batchTrigger([{ payload: { email: "a@b.co" } }, { payload: { email: "bad" } }]),
      ).rejects.toMatchObject({ code: "INVALID_PAYLOAD", message: expect.stringContaining("batch item 1") });
      expect(await countRuns("typed")).toBe(before);
      await waitFor(
        async () => {
          const page = await runs.list({ batch: batch.batchId, status: "COMPLETED", limit: 100 });
          return (
            page.data.length === 100 &&
            !(await runs.list({ batch: batch.batchId, status: ["QUEUED", "EXECUTING"] })).data.length
          );
        },
        { what: "the batch to finish" },
      );
    });

    it("is fair across keys: one run of key B waits at most ~C runs behind 5,000 queued runs of key A", async () => {
      const C = 20; // the worker's concurrency in this suite
      fairStarts.length = 0;
      await engine.pauseQueue("fair", true);
      for (let b = 0; b < 5; b++) {
        await fair.batchTrigger(
          Array.from({ length: 1000 }, () => ({ payload: { key: "A" }, options: { concurrencyKey: "A" } })),
        );
      }
      await engine.pauseQueue("fair", false);
      await waitFor(() => fairStarts.length >= 100 || undefined, { what: "A to get going" });
      const aStartedBefore = fairStarts.length;
      await fair.trigger({ key: "B" }, { concurrencyKey: "B" });
      await waitFor(() => fairStarts.includes("B") || undefined, { what: "B to start" });
      const aStartedBetween = fairStarts.indexOf("B") - aStartedBefore;
      expect(aStartedBetween).toBeLessThanOrEqual(2 * C);
      await waitFor(
        async () => {
          const { rows } = await db.query<{ n: number }>(
            "select count(*)::int as n from ms_runs where task_id = 'fair' and status <> 'COMPLETED'",
          );
          return rows[0]!.n === 0;
        },
        { timeoutMs: 60_000, intervalMs: 200, what: "all fair runs to finish" },
      );
    }, 90_000);

    it("lists runs with filters and cursor pagination, and replays a run", async () => {
      const tag = `list:${store.name}`;
      const created: string[] = [];
      for (let i = 0; i < 5; i++) created.push((await echo.trigger({ value: i }, { tags: [tag] })).id);
      await Promise.all(created.map((id) => finished(id)));
      const page1 = await runs.list({ tag, limit: 2 });
      expect(page1.data.map((r: Run) => r.id)).toEqual([created[4], created[3]]);
      const page2 = await runs.list({ tag, limit: 2, after: page1.nextCursor });
      expect(page2.data.map((r: Run) => r.id)).toEqual([created[2], created[1]]);
      const page3 = await runs.list({ tag, limit: 2, after: page2.nextCursor });
      expect(page3.data.map((r: Run) => r.id)).toEqual([created[0]]);
      expect(page3.nextCursor).toBeUndefined();
      expect((await runs.list({ tag, status: "FAILED" })).data).toHaveLength(0);
      expect(
        (await runs.list({ tag, taskIdentifier: "echo", from: new Date(Date.now() - 60_000) })).data,
      ).toHaveLength(5);
      await expect(runs.list({ after: "garbage" })).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
      // A batch's runs share one created_at (one statement) to the microsecond: the cursor must
      // keep that precision, or the pages after the first skip the rest of the batch.
      const batchTag = `list-batch:${store.name}`;
      await echo.batchTrigger(
        Array.from({ length: 7 }, (_, i) => ({ payload: { value: i }, options: { tags: [batchTag] } })),
      );
      const seen: string[] = [];
      let after: string | undefined;
      do {
        const page = await runs.list({ tag: batchTag, limit: 3, after });
        seen.push(...page.data.map((r: Run) => r.id));
        after = page.nextCursor;
      } while (after);
      expect(new Set(seen).size).toBe(7);
      expect(seen).toHaveLength(7);

      const replay = await runs.replay(created[0]!);
      const replayed = await finished(replay.id);
      expect(replayed.payload).toEqual({ value: 0 });
      expect(replayed.tags).toEqual([tag]);
    });
  });
}
