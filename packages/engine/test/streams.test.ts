/**
 * Streams (`streams.define`) on every store driver: writing from tasks (append, pipe, writer),
 * reading live and late, order and completeness, start indexes, replay after a wait and
 * retries, targets, limits, and reads that end with their run.
 */
import {
  MainspringError,
  type RunStatus,
  runs,
  type StreamRecord,
  streams,
  task,
  wait,
} from "@mainspring/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, startEngine } from "../src/index.js";
import type { Db } from "../src/store/db.js";
import { finished, gate, STORES, statusIs, type TestStore, waitFor } from "./helpers.js";

const text = streams.define<string>({ id: "text" });
const nums = streams.define<number>({ id: "nums" });
const events = streams.define<{ from: string; n?: number }>({ id: "events" });

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

async function* numbers(count: number, delayMs = 0): AsyncGenerator<number> {
  for (let i = 0; i < count; i++) {
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    yield i;
  }
}

const gates = new Map<string, ReturnType<typeof gate>>();
const gateFor = (key: string) => {
  let g = gates.get(key);
  if (!g) {
    g = gate();
    gates.set(key, g);
  }
  return g;
};
const executions = new Map<string, number>();
const bump = (key: string) => executions.set(key, (executions.get(key) ?? 0) + 1);

const writerTask = task({
  id: "stream-writer",
  run: async () => {
    await text.append("a");
    const piped = text.pipe(
      new ReadableStream<string>({
        start(c) {
          c.enqueue("b");
          c.enqueue("c");
          c.close();
        },
      }),
    );
    const local: string[] = [];
    for await (const part of piped.stream) local.push(part);
    const pipeResult = await piped.waitUntilComplete();
    const written = text.writer({
      execute: async ({ write, merge }) => {
        write("d");
        merge(
          new ReadableStream<string>({
            start(c) {
              c.enqueue("e");
              c.close();
            },
          }),
        );
      },
    });
    const writerResult = await written.waitUntilComplete();
    const numbersResult = await nums.pipe(numbers(3)).waitUntilComplete();
    return { local, pipeResult, writerResult, numbersResult };
  },
});

const gated = task({
  id: "stream-gated",
  run: async (payload: { key: string; before: string[]; after: string[] }) => {
    for (const part of payload.before) await text.append(part);
    await gateFor(payload.key).promise;
    for (const part of payload.after) await text.append(part);
    return "done";
  },
});

const bulk = task({
  id: "stream-bulk",
  run: async (payload: { count: number }) => {
    const { waitUntilComplete } = nums.pipe(numbers(payload.count));
    return waitUntilComplete();
  },
});

const replayer = task({
  id: "stream-replayer",
  run: async (payload: { key: string }) => {
    bump(`${payload.key}:top`);
    await text.append("before");
    await text
      .pipe(
        (async function* () {
          yield "p1";
          yield "p2";
        })(),
      )
      .waitUntilComplete();
    await text
      .writer({
        execute: ({ write }) => {
          write("q1");
          write("q2");
        },
      })
      .waitUntilComplete();
    await wait.for({ seconds: 0.3 });
    bump(`${payload.key}:after`);
    await text.append("after");
    return "ok";
  },
});

const retrier = task({
  id: "stream-retrier",
  retry: { maxAttempts: 2, minTimeoutInMs: 50, maxTimeoutInMs: 50 },
  run: async (_: unknown, { ctx }) => {
    await text.append("start");
    await wait.for({ seconds: 0.2 });
    await text.append(`attempt-${ctx.attempt.number}`);
    if (ctx.attempt.number === 1) throw new Error("first attempt fails after the wait");
    return "ok";
  },
});

const grandchild = task({
  id: "stream-grandchild",
  run: async () => {
    await events.append({ from: "grandchild->root" }, { target: "root" });
    await events.append({ from: "grandchild->parent" }, { target: "parent" });
    return "gc";
  },
});
const middle = task({
  id: "stream-middle",
  run: async () => {
    await events.append({ from: "child->parent" }, { target: "parent" });
    await grandchild.triggerAndWait(undefined as never).unwrap();
    return "child";
  },
});
const top = task({
  id: "stream-top",
  run: async () => {
    await events.append({ from: "root->parent(self)" }, { target: "parent" });
    await middle.triggerAndWait(undefined as never).unwrap();
    return "top";
  },
});

const cutShort = task({
  id: "stream-cut-short",
  run: async () => {
    // Not awaited: the wait suspends the run while the pipe is still writing; its later writes
    // are refused, and the replay's pipe stores only the chunks that are missing.
    nums.pipe(numbers(30, 10));
    await wait.for({ seconds: 0.5 });
    return "resumed";
  },
});

const failing = task({
  id: "stream-failing",
  run: async () => {
    const broken = text.pipe(
      (async function* () {
        yield "s1";
        yield "s2";
        throw new Error("source broke");
      })(),
    );
    const local: string[] = [];
    let localError = "";
    try {
      for await (const part of broken.stream) local.push(part);
    } catch (error) {
      localError = (error as Error).message;
    }
    const sourceError = await broken.waitUntilComplete().then(
      () => "none",
      (error: Error) => error.message,
    );
    const writerError = await text
      .writer({
        execute: ({ write }) => {
          write("w1");
          throw new Error("execute broke");
        },
      })
      .waitUntilComplete()
      .then(
        () => "none",
        (error: Error) => error.message,
      );
    const controller = new AbortController();
    const aborted = text.pipe(
      (async function* () {
        yield "a1";
        controller.abort();
        yield "a2";
      })(),
      { signal: controller.signal },
    );
    const abortResult = await aborted.waitUntilComplete();
    return { local, localError, sourceError, writerError, abortResult };
  },
});

const unawaited = task({
  id: "stream-unawaited",
  run: async () => {
    nums.pipe(numbers(10, 20)); // not awaited: the attempt waits for it before completing
    return "returned at once";
  },
});

const oversize = task({
  id: "stream-oversize",
  run: async () => {
    await text.append("small");
    try {
      await text.append("x".repeat(1024 * 1024 + 1));
      return "no error";
    } catch (error) {
      return (error as MainspringError).code;
    }
  },
});

for (const makeStore of STORES) {
  const store: TestStore = makeStore();

  describe(`streams on ${store.name}`, () => {
    let db: Db;
    let engine: Engine;
    let limited: Engine;

    beforeAll(async () => {
      db = await store.open();
      engine = await startEngine({
        db,
        worker: { concurrency: 20, pollIntervalMs: 250 },
        maintenance: { intervalMs: 100, rescueIntervalMs: 200 },
        onError: (error, where) => console.error(where, error),
      });
      // A second engine on the same store with tiny stream limits, used only through its methods.
      limited = await startEngine({
        db,
        worker: false,
        maintenance: false,
        registerRuntime: false,
        limits: { maxStreamChunkBytes: 20, maxStreamChunks: 5, maxStreamBytes: 60, maxStreamsPerRun: 2 },
      });
    });

    afterAll(async () => {
      await limited?.stop();
      await engine?.stop(2000);
      await db?.close();
      await store.dispose();
    });

    const readAll = <T>(s: { read: (id: string, o?: object) => Promise<AsyncIterable<T>> }, runId: string) =>
      s.read(runId).then(collect);

    it("append, pipe and writer from a task; a late reader gets every chunk from the start", async () => {
      const handle = await writerTask.trigger(undefined as never);
      const run = await finished(handle.id);
      expect(run.status).toBe("COMPLETED");
      expect(run.output).toEqual({
        local: ["b", "c"],
        pipeResult: { lastEventId: "2" },
        writerResult: { lastEventId: "4" },
        numbersResult: { lastEventId: "2" },
      });
      expect(await readAll(text, handle.id)).toEqual(["a", "b", "c", "d", "e"]);
      expect(await readAll(nums, handle.id)).toEqual([0, 1, 2]);
      const records = await collect(engine.readStream(handle.id, "text"));
      expect(records).toEqual(["a", "b", "c", "d", "e"].map((value, index) => ({ index, value })));
      const listed = await engine.listStreams(handle.id);
      expect(listed.map((s) => [s.id, s.length])).toEqual([
        ["text", 5],
        ["nums", 3],
      ]);
    });

    it("a reader gets chunks live while the run executes, and ends when it finishes", async () => {
      const key = `live-${store.name}`;
      const handle = await gated.trigger({ key, before: ["one", "two"], after: ["three"] });
      const seen: Array<{ value: string; status: RunStatus }> = [];
      const reading = (async () => {
        for await (const value of await text.read(handle.id)) {
          seen.push({ value, status: (await runs.retrieve(handle.id)).status });
          if (value === "two") gateFor(key).open();
        }
      })();
      await reading;
      expect(seen.map((s) => s.value)).toEqual(["one", "two", "three"]);
      expect(seen[0]!.status).toBe("EXECUTING");
      expect((await runs.retrieve(handle.id)).status).toBe("COMPLETED");
    });

    it("10,000 piped chunks arrive complete and in order, live and late; reads from a start index", async () => {
      const count = 10_000;
      const handle = await bulk.trigger({ count });
      const live = collect(await nums.read(handle.id));
      const run = await finished(handle.id, 60_000);
      expect(run.output).toEqual({ lastEventId: String(count - 1) });
      const expected = Array.from({ length: count }, (_, i) => i);
      expect(await live).toEqual(expected);
      expect(await readAll(nums, handle.id)).toEqual(expected);
      expect(await collect(await nums.read(handle.id, { startIndex: 9_990 }))).toEqual(expected.slice(9_990));
      // an SSE resume: Last-Event-ID 4999 continues at 5000
      const resumed: StreamRecord[] = await collect(
        engine.readStream(handle.id, "nums", { from: 4_999 + 1 }),
      );
      expect(resumed[0]).toEqual({ index: 5000, value: 5000 });
      expect(resumed).toHaveLength(5000);
      expect((await engine.listStreams(handle.id))[0]).toMatchObject({ id: "nums", length: count });
    }, 90_000);

    it("code replayed after a wait appends nothing twice", async () => {
      const key = `replay-${store.name}`;
      const handle = await replayer.trigger({ key });
      const run = await finished(handle.id);
      expect(run.status).toBe("COMPLETED");
      expect(executions.get(`${key}:top`)).toBe(2); // the code before the wait ran twice
      expect(executions.get(`${key}:after`)).toBe(1);
      expect(await readAll(text, handle.id)).toEqual(["before", "p1", "p2", "q1", "q2", "after"]);
    });

    it("a retry keeps chunks before its last wait once and appends its own new output", async () => {
      const handle = await retrier.trigger(undefined);
      const run = await finished(handle.id);
      expect(run.status).toBe("COMPLETED");
      expect(run.attemptCount).toBe(2);
      expect(await readAll(text, handle.id)).toEqual(["start", "attempt-1", "attempt-2"]);
    });

    it("targets: parent and root from descendants; a root run's parent is itself; a run id from outside", async () => {
      const handle = await top.trigger(undefined);
      const run = await finished(handle.id);
      expect(run.status).toBe("COMPLETED");
      const rootEvents = await readAll(events, handle.id);
      expect(rootEvents).toEqual([
        { from: "root->parent(self)" },
        { from: "child->parent" },
        { from: "grandchild->root" },
      ]);
      const child = (await runs.list({ taskIdentifier: "stream-middle", limit: 100 })).data.find(
        (r) => r.parentId === handle.id,
      )!;
      expect(await readAll(events, child.id)).toEqual([{ from: "grandchild->parent" }]);

      const key = `target-${store.name}`;
      const waiting = await gated.trigger({ key, before: ["inside"], after: [] });
      await waitFor(async () => (await engine.listStreams(waiting.id)).length > 0);
      await text.append("from outside", { target: waiting.id });
      gateFor(key).open();
      await finished(waiting.id);
      expect(await readAll(text, waiting.id)).toEqual(["inside", "from outside"]);
      await expect(text.append("no run")).rejects.toMatchObject({ code: "NOT_IN_RUN" });
      await expect(text.append("no run", { target: "parent" })).rejects.toMatchObject({ code: "NOT_IN_RUN" });
    });

    it("a pipe cut short by a wait is completed by the replay, without duplicates", async () => {
      const handle = await cutShort.trigger(undefined);
      await statusIs(handle.id, "WAITING");
      const whileWaiting = (await engine.listStreams(handle.id))[0]?.length ?? 0;
      expect(whileWaiting).toBeLessThan(30);
      expect((await finished(handle.id)).status).toBe("COMPLETED");
      expect(await readAll(nums, handle.id)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    });

    it("a failing source or execute stores what came before and rejects; an aborted pipe stops", async () => {
      const handle = await failing.trigger(undefined);
      const run = await finished(handle.id);
      expect(run.output).toEqual({
        local: ["s1", "s2"],
        localError: "source broke",
        sourceError: "source broke",
        writerError: "execute broke",
        abortResult: { lastEventId: "3" },
      });
      expect(await readAll(text, handle.id)).toEqual(["s1", "s2", "w1", "a1"]);
    });

    it("an unawaited pipe completes before the run does", async () => {
      const handle = await unawaited.trigger(undefined);
      expect((await finished(handle.id)).status).toBe("COMPLETED");
      expect(await readAll(nums, handle.id)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    });

    it("limits: chunk size, chunks and bytes per stream, streams per run, closed and unknown runs", async () => {
      const inTask = await finished((await oversize.trigger(undefined)).id);
      expect(inTask.output).toBe("STREAM_CHUNK_TOO_LARGE");

      const key = `limits-${store.name}`;
      const handle = await gated.trigger({ key, before: [], after: [] });
      await statusIs(handle.id, "EXECUTING");
      const id = handle.id;
      const code = (p: Promise<unknown>) =>
        p.then(
          () => "none",
          (e) => (e instanceof MainspringError ? e.code : String(e)),
        );
      // chunks before the oversize one are stored
      expect(await code(limited.appendStream(id, "a", ["ok", "x".repeat(30), "never"]))).toBe(
        "STREAM_CHUNK_TOO_LARGE",
      );
      // 5 chunks at most: 1 + 3 fit, the 5th and 6th do not
      await limited.appendStream(id, "a", [1, 2, 3]);
      expect(await code(limited.appendStream(id, "a", [4, 5, 6]))).toBe("STREAM_LIMIT");
      expect(
        (await collect(engine.readStream(id, "a", { signal: AbortSignal.timeout(300) }))).map((r) => r.value),
      ).toEqual(["ok", 1, 2, 3, 4]);
      // 60 bytes per stream: 18-byte chunks, the fourth does not fit
      const chunk = "y".repeat(16); // 18 bytes as JSON
      expect(await code(limited.appendStream(id, "b", [chunk, chunk, chunk, chunk]))).toBe("STREAM_LIMIT");
      expect((await limited.listStreams(id)).find((s) => s.id === "b")).toMatchObject({
        length: 3,
        bytes: 54,
      });
      // two streams per run
      expect(await code(limited.appendStream(id, "c", [1]))).toBe("STREAM_LIMIT");
      expect(await code(limited.appendStream(id, "bad id!", [1]))).toBe("INVALID_OPTIONS");
      expect(await code(limited.appendStream("run_doesnotexist", "a", [1]))).toBe("RUN_NOT_FOUND");
      gateFor(key).open();
      await finished(id);
      expect(await code(limited.appendStream(id, "a", [1]))).toBe("STREAM_CLOSED");
      expect(() => streams.define({ id: "" })).toThrow(MainspringError);
      await expect(collect(engine.readStream("run_doesnotexist", "a"))).rejects.toMatchObject({
        code: "RUN_NOT_FOUND",
      });
    });

    it("a read ends when the run ends, when its signal aborts, and after timeoutInSeconds idle", async () => {
      const key = `ends-${store.name}`;
      const handle = await gated.trigger({ key, before: [], after: [] });
      await statusIs(handle.id, "EXECUTING");
      const started = Date.now();
      const reading = collect(await text.read(handle.id));
      setTimeout(() => gateFor(key).open(), 300);
      expect(await reading).toEqual([]);
      expect(Date.now() - started).toBeLessThan(5000);

      const canceledKey = `cancel-${store.name}`;
      const toCancel = await gated.trigger({ key: canceledKey, before: ["x"], after: [] });
      await waitFor(async () => (await engine.listStreams(toCancel.id)).length > 0);
      const whileCanceled = collect(await text.read(toCancel.id));
      await runs.cancel(toCancel.id);
      expect(await whileCanceled).toEqual(["x"]);
      gateFor(canceledKey).open();

      const idleKey = `idle-${store.name}`;
      const idle = await gated.trigger({ key: idleKey, before: ["first"], after: [] });
      await waitFor(async () => (await engine.listStreams(idle.id)).length > 0);
      const controller = new AbortController();
      const aborted = collect(await text.read(idle.id, { signal: controller.signal }));
      setTimeout(() => controller.abort(), 200);
      expect(await aborted).toEqual(["first"]);
      const t0 = Date.now();
      expect(await collect(await text.read(idle.id, { timeoutInSeconds: 0.3 }))).toEqual(["first"]);
      expect(Date.now() - t0).toBeLessThan(3000);
      gateFor(idleKey).open();
      await finished(idle.id);
    });
  });
}
