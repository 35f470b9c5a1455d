/**
 * The remote SDK client: `@mainspring/sdk` in a process without an engine (here: an engine
 * that does not register itself) reaches a server over HTTP after `configure()` or through
 * the environment. Runs, batches, tokens, schedules, streams and errors come back as the
 * in-process types.
 */
import {
  batch,
  configure,
  getRuntime,
  HttpRuntime,
  MainspringApiError,
  MainspringError,
  type Run,
  runs,
  type StreamRecord,
  schedules,
  schemaTask,
  setRuntime,
  streams,
  task,
  tasks,
  wait,
} from "@mainspring/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { waitFor } from "../../engine/test/helpers.js";
import { resetConfiguration } from "../../sdk/src/remote/configure.js";
import { type Harness, STORES, startHarness } from "./harness.js";

const echo = task({
  id: "remote-echo",
  run: async (payload: { n: number }) => ({ doubled: payload.n * 2 }),
});
const other = task({ id: "remote-other", run: async (payload: { s: string }) => payload.s.toUpperCase() });
const strict = schemaTask({
  id: "remote-strict",
  schema: z.object({ email: z.string().email() }),
  run: async (p) => p.email,
});
const waiter = task({
  id: "remote-waiter",
  run: async (payload: { token: string }) => {
    const result = await wait.forToken<{ approved: boolean }>(payload.token);
    return result.ok ? result.output : "timed out";
  },
});
const chunks = streams.define<{ i: number; text: string }>({ id: "remote-chunks" });
const streamer = task({
  id: "remote-streamer",
  run: async (payload: { count: number; delayEvery?: number }) => {
    const { waitUntilComplete } = chunks.pipe(
      (async function* () {
        for (let i = 0; i < payload.count; i++) {
          if (payload.delayEvery && i % payload.delayEvery === 0) await new Promise((r) => setTimeout(r, 5));
          yield { i, text: `chunk ${i} ✓` };
        }
      })(),
    );
    await waitUntilComplete();
    return payload.count;
  },
});
const scheduled = schedules.task({ id: "remote-scheduled", run: async () => "ok" });
void [other, strict, waiter, streamer, scheduled];

const finished = (id: string) =>
  waitFor(
    async () => {
      const run = await runs.retrieve(id);
      return run.isCompleted ? run : undefined;
    },
    { what: `run ${id} to finish` },
  );

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

/** What the HTTP API cannot carry (Trigger.dev's run shapes have no such fields). */
function comparable(run: Run) {
  const { concurrencyKey, priority, maxAttempts, maxDuration, ...rest } = run;
  void [concurrencyKey, priority, maxAttempts, maxDuration];
  return rest;
}

for (const makeStore of STORES) {
  const store = makeStore();
  describe(`remote SDK client over HTTP (${store.name})`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness(store, { registerRuntime: false });
      configure({ baseURL: h.server.url, accessToken: h.key });
    });
    afterAll(async () => {
      resetConfiguration();
      await h?.close();
    });

    it("uses the HTTP runtime when no engine registered itself", () => {
      const runtime = getRuntime();
      expect(runtime).toBeInstanceOf(HttpRuntime);
      expect((runtime as HttpRuntime).baseURL).toBe(h.server.url);
    });

    it("triggers with options and retrieves the run as the in-process Run", async () => {
      const options = {
        tags: ["workspace:a", "kind:echo"],
        idempotencyKey: ["order", store.name],
        metadata: { source: "remote" },
      };
      const first = await tasks.trigger<typeof echo>("remote-echo", { n: 21 }, options);
      expect(first).toMatchObject({ taskIdentifier: "remote-echo", isCached: false });
      expect(first.publicAccessToken).toMatch(/^ey/);
      const again = await echo.trigger({ n: 99 }, options);
      expect(again).toMatchObject({ id: first.id, isCached: true });

      const run = await finished(first.id);
      expect(run).toMatchObject({
        status: "COMPLETED",
        payload: { n: 21 },
        output: { doubled: 42 },
        tags: ["workspace:a", "kind:echo"],
        metadata: { source: "remote" },
        isSuccess: true,
      });
      for (const field of ["createdAt", "updatedAt", "startedAt", "finishedAt"] as const) {
        expect(run[field]).toBeInstanceOf(Date);
      }
      const local = await h.engine.retrieveRun(first.id);
      expect(comparable(run)).toEqual(comparable(local));

      // The handle's token reads this run, and no other.
      const scoped = new HttpRuntime({ baseURL: h.server.url, accessToken: first.publicAccessToken! });
      expect((await scoped.retrieveRun(first.id)).id).toBe(first.id);
      const another = await echo.trigger({ n: 1 });
      await expect(scoped.retrieveRun(another.id)).rejects.toMatchObject({ code: "FORBIDDEN", status: 403 });
    });

    it("retrieves a delayed run with its delay and ttl", async () => {
      const delayed = await echo.trigger({ n: 1 }, { delay: "1h", ttl: "2h" });
      const remote = await runs.retrieve(delayed.id);
      const local = await h.engine.retrieveRun(delayed.id);
      expect(remote.status).toBe("DELAYED");
      expect(remote.delayedUntil).toBeInstanceOf(Date);
      expect(comparable(remote)).toEqual(comparable(local));
      expect(remote.isQueued).toBe(true);
    });

    it("batch-triggers with tasks.batchTrigger, task.batchTrigger, batch.trigger and batch.triggerByTask", async () => {
      const byId = await tasks.batchTrigger<typeof echo>("remote-echo", [
        { payload: { n: 1 } },
        { payload: { n: 2 }, options: { tags: ["batch:b"] } },
      ]);
      expect(byId.runCount).toBe(2);
      expect(byId.batchId).toMatch(/^batch_/);
      expect(byId.publicAccessToken).toMatch(/^ey/);
      expect(byId.runs.map((r) => r.taskIdentifier)).toEqual(["remote-echo", "remote-echo"]);

      const viaTask = await echo.batchTrigger([{ payload: { n: 3 } }]);
      expect(viaTask.runs).toHaveLength(1);

      const mixed = await batch.trigger([
        { id: "remote-echo", payload: { n: 4 } },
        { id: "remote-other", payload: { s: "abc" } },
        { id: "remote-echo", payload: { n: 5 } },
      ]);
      expect(mixed.runs.map((r) => r.taskIdentifier)).toEqual(["remote-echo", "remote-other", "remote-echo"]);
      const outputs = await Promise.all(mixed.runs.map((r) => finished(r.id).then((run) => run.output)));
      expect(outputs).toEqual([{ doubled: 8 }, "ABC", { doubled: 10 }]);
      for (const r of mixed.runs) expect((await runs.retrieve(r.id)).batchId).toBe(mixed.batchId);

      const byTask = await batch.triggerByTask([
        { task: other, payload: { s: "x" } },
        { task: echo, payload: { n: 6 } },
      ]);
      expect(byTask.runs.map((r) => r.taskIdentifier)).toEqual(["remote-other", "remote-echo"]);
      const listed = await runs.list({ batch: byTask.batchId });
      expect(listed.data.map((r) => r.id).sort()).toEqual(byTask.runs.map((r) => r.id).sort());
    });

    it("lists runs with filters and cursors", async () => {
      const tag = `list-${store.name}`;
      const before = new Date(Date.now() - 1000);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await echo.trigger({ n: i }, { tags: [tag] })).id);
      const seen: string[] = [];
      let after: string | undefined;
      do {
        const page = await runs.list({ tag, limit: 2, after, from: before, to: Date.now() + 60_000 });
        expect(page.data.length).toBeLessThanOrEqual(2);
        for (const run of page.data) {
          expect(run.createdAt).toBeInstanceOf(Date);
          expect(run.tags).toEqual([tag]);
          seen.push(run.id);
        }
        after = page.nextCursor;
      } while (after);
      expect(seen.sort()).toEqual([...ids].sort());
      const local = await h.engine.listRuns({ tag, limit: 2 });
      const remote = await runs.list({ tag, limit: 2 });
      expect(remote.data.map((r) => r.id)).toEqual(local.data.map((r) => r.id));
      const none = await runs.list({ tag, status: ["FAILED", "CANCELED"], taskIdentifier: "remote-echo" });
      expect(none.data).toEqual([]);
      const roots = await runs.list({ tag, rootOnly: true });
      expect(roots.data.map((r) => r.id).sort()).toEqual([...ids].sort());
      expect(roots.data.every((r) => r.parentId === undefined)).toBe(true);
      expect((await runs.list({ parentId: ids[0] })).data).toEqual([]);
    });

    it("cancels, replays and reschedules", async () => {
      const delayed = await echo.trigger({ n: 5 }, { delay: "1h" });
      const moved = await runs.reschedule(delayed.id, { delay: "2h" });
      expect(moved.status).toBe("DELAYED");
      expect(moved.delayedUntil).toBeInstanceOf(Date);
      expect(moved.delayedUntil!.getTime()).toBeGreaterThan(Date.now() + 90 * 60_000);
      const at = new Date(Date.now() + 3 * 3600_000);
      const movedToDate = await runs.reschedule(delayed.id, { delay: at });
      expect(Math.abs(movedToDate.delayedUntil!.getTime() - at.getTime())).toBeLessThan(1000);

      expect(await runs.cancel(delayed.id)).toEqual({ id: delayed.id });
      expect((await runs.retrieve(delayed.id)).status).toBe("CANCELED");
      await expect(runs.reschedule(delayed.id, { delay: "1h" })).rejects.toMatchObject({
        code: "RUN_NOT_RESCHEDULABLE",
        status: 409,
      });
      const replay = await runs.replay(delayed.id);
      expect(replay.id).not.toBe(delayed.id);
      expect((await finished(replay.id)).output).toEqual({ doubled: 10 });
    });

    it("adds tags to a run", async () => {
      const handle = await echo.trigger({ n: 3 }, { tags: ["first"] });
      await getRuntime().addTags(handle.id, ["added:1", "added:2"]);
      expect((await runs.retrieve(handle.id)).tags).toEqual(["first", "added:1", "added:2"]);
    });

    it("creates, lists, retrieves and completes wait tokens; a waiting run resumes", async () => {
      const token = await wait.createToken({ timeout: "10m", tags: ["approval", store.name] });
      expect(token.url).toContain(`/api/v1/waitpoints/tokens/${token.id}/callback/`);
      expect(token.publicAccessToken).toMatch(/^ey/);
      const cached = await wait.createToken({ idempotencyKey: ["approve", store.name] });
      expect((await wait.createToken({ idempotencyKey: ["approve", store.name] })).id).toBe(cached.id);

      const run = await waiter.trigger({ token: token.id });
      await waitFor(async () => (await runs.retrieve(run.id)).status === "WAITING", { what: "run to wait" });
      const listed = await wait.listTokens({ tags: store.name, status: "WAITING" });
      expect(listed.data.map((t) => t.id)).toEqual([token.id]);
      const waiting = await wait.retrieveToken(token.id);
      expect(waiting).toMatchObject({ id: token.id, status: "WAITING", tags: ["approval", store.name] });
      expect(waiting.createdAt).toBeInstanceOf(Date);
      expect(waiting.timeoutAt).toBeInstanceOf(Date);

      expect(await wait.completeToken(token, { approved: true })).toEqual({ success: true });
      expect((await finished(run.id)).output).toEqual({ approved: true });
      const done = await wait.retrieveToken<{ approved: boolean }>(token.id);
      expect(done.status).toBe("COMPLETED");
      expect(done.output).toEqual({ approved: true });
      expect(done.completedAt).toBeInstanceOf(Date);
      const { output, ...rest } = await h.engine.retrieveToken(token.id);
      expect({ ...done }).toEqual({ ...rest, output });

      const at = new Date(Date.now() + 3600_000);
      const dated = await wait.createToken({ timeout: at });
      const timeoutAt = (await wait.retrieveToken(dated.id)).timeoutAt!;
      expect(Math.abs(timeoutAt.getTime() - at.getTime())).toBeLessThan(2000);
    });

    it("reports a timed-out token as an error", async () => {
      const token = await wait.createToken({ timeout: "1s" });
      const timedOut = await waitFor(
        async () => {
          const info = await wait.retrieveToken(token.id);
          return info.status === "TIMED_OUT" ? info : undefined;
        },
        { what: "token to time out" },
      );
      expect(timedOut.error?.name).toBe("WaitpointTimeoutError");
      expect(timedOut.output).toBeUndefined();
    });

    it("creates, retrieves, updates, deactivates, activates, lists and deletes schedules", async () => {
      const created = await schedules.create({
        task: "remote-scheduled",
        cron: "0 9 * * 1",
        timezone: "Europe/Paris",
        deduplicationKey: `weekly-${store.name}`,
        externalId: "user-1",
      });
      expect(created.id).toMatch(/^sched_/);
      expect(created.nextRun).toBeInstanceOf(Date);
      expect(created).toEqual(await h.engine.schedules.retrieve(created.id));
      expect(await schedules.retrieve(created.id)).toEqual(created);
      const updated = await schedules.update(created.id, { task: "remote-scheduled", cron: "0 10 * * 1" });
      expect(updated.generator.expression).toBe("0 10 * * 1");
      expect((await schedules.deactivate(created.id)).active).toBe(false);
      expect((await schedules.activate(created.id)).active).toBe(true);
      const listed = await schedules.list({ perPage: 100 });
      expect(listed.data.map((s) => s.id)).toContain(created.id);
      expect(listed.pagination.currentPage).toBe(1);
      expect(await schedules.del(created.id)).toEqual({ id: created.id });
      await expect(schedules.retrieve(created.id)).rejects.toMatchObject({
        code: "SCHEDULE_NOT_FOUND",
        status: 404,
      });
      await expect(
        schedules.create({ task: "remote-scheduled", cron: "not a cron", deduplicationKey: "bad" }),
      ).rejects.toMatchObject({ code: "INVALID_SCHEDULE" });
    });

    it("maps API errors back to MainspringError with the server's code and status", async () => {
      const unknown = await tasks.trigger("no-such-task", {}).catch((e) => e);
      expect(unknown).toBeInstanceOf(MainspringError);
      expect(unknown).toBeInstanceOf(MainspringApiError);
      expect(unknown).toMatchObject({ code: "TASK_NOT_FOUND", status: 404 });
      expect(unknown.message).toContain("no-such-task");
      await expect(strict.trigger({ email: "not-an-email" })).rejects.toMatchObject({
        code: "INVALID_PAYLOAD",
        status: 422,
      });
      await expect(echo.trigger({ n: 1 }, { delay: "soon" })).rejects.toMatchObject({
        code: "INVALID_DURATION",
      });
      await expect(runs.retrieve("run_doesnotexist")).rejects.toMatchObject({
        code: "RUN_NOT_FOUND",
        status: 404,
      });
      await expect(
        batch.trigger([
          { id: "remote-echo", payload: { n: 1 } },
          { id: "no-such-task", payload: {} },
        ]),
      ).rejects.toMatchObject({ code: "TASK_NOT_FOUND", status: 404 });
      await expect(wait.completeToken("waitpoint_nope", {})).rejects.toMatchObject({
        code: "WAITPOINT_NOT_FOUND",
      });
      const badKey = new HttpRuntime({ baseURL: h.server.url, accessToken: "tr_dev_sk_wrong" });
      await expect(badKey.retrieveRun("run_x")).rejects.toMatchObject({
        code: "INVALID_API_KEY",
        status: 401,
      });
      const nobody = new HttpRuntime({ baseURL: "http://127.0.0.1:9", accessToken: "k", maxRetries: 0 });
      await expect(nobody.trigger("remote-echo", {})).rejects.toMatchObject({
        code: "API_UNREACHABLE",
        status: 0,
      });
    });

    it("reads a stream over SSE, live and late, from a start index", async () => {
      const live = await streamer.trigger({ count: 300, delayEvery: 50 });
      const values = await collect(await chunks.read(live.id));
      expect(values).toEqual(Array.from({ length: 300 }, (_, i) => ({ i, text: `chunk ${i} ✓` })));
      await finished(live.id);
      const late = await collect(await chunks.read(live.id, { startIndex: 295 }));
      expect(late.map((v) => v.i)).toEqual([295, 296, 297, 298, 299]);
      await expect(getRuntime().appendStream(live.id, "remote-chunks", [1])).rejects.toMatchObject({
        code: "NO_RUNTIME",
      });
      await expect(collect(await chunks.read("run_doesnotexist"))).rejects.toMatchObject({
        code: "RUN_NOT_FOUND",
      });
    });

    it("resumes a stream after a dropped connection with Last-Event-ID", async () => {
      const handle = await streamer.trigger({ count: 2000 });
      await finished(handle.id);
      const lastEventIds: Array<string | null> = [];
      let connections = 0;
      // Cuts every connection after about 8 KB of events, mid-event.
      const cutting: typeof fetch = async (input, init) => {
        const response = await fetch(input, init);
        if (!String(input).includes("/realtime/streams/")) return response;
        lastEventIds.push(new Headers(init?.headers).get("last-event-id"));
        connections++;
        let sent = 0;
        const cut = new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            if (sent + chunk.byteLength > 8192) {
              controller.enqueue(chunk.slice(0, 8192 - sent));
              controller.error(new TypeError("terminated"));
              return;
            }
            sent += chunk.byteLength;
            controller.enqueue(chunk);
          },
        });
        return new Response(response.body!.pipeThrough(cut), {
          status: response.status,
          headers: response.headers,
        });
      };
      const http = new HttpRuntime({ baseURL: h.server.url, accessToken: h.key, fetch: cutting });
      const records: StreamRecord[] = await collect(
        http.readStream(handle.id, "remote-chunks", { from: 10 }),
      );
      expect(records.map((r) => r.index)).toEqual(Array.from({ length: 1990 }, (_, i) => i + 10));
      expect(records.every((r) => (r.value as { i: number }).i === r.index)).toBe(true);
      expect(connections).toBeGreaterThan(3);
      expect(lastEventIds[0]).toBe("9");
      // each reconnect resumes after the last chunk received
      for (const id of lastEventIds.slice(1)) expect(Number(id)).toBeGreaterThan(9);
    });

    it("stops reading when the signal aborts", async () => {
      const handle = await streamer.trigger({ count: 50 });
      await finished(handle.id);
      const controller = new AbortController();
      const seen: number[] = [];
      for await (const record of getRuntime().readStream(handle.id, "remote-chunks", {
        signal: controller.signal,
      })) {
        seen.push(record.index);
        if (seen.length === 5) controller.abort();
      }
      expect(seen).toEqual([0, 1, 2, 3, 4]);
    });
  });
}

describe("remote SDK client from the environment", () => {
  const store = STORES[0]!();
  let h: Harness;
  const saved: Record<string, string | undefined> = {};
  const NAMES = ["MAINSPRING_API_URL", "MAINSPRING_SECRET_KEY", "TRIGGER_API_URL", "TRIGGER_SECRET_KEY"];
  beforeAll(async () => {
    h = await startHarness(store, { registerRuntime: false });
    for (const name of NAMES) {
      saved[name] = process.env[name];
      delete process.env[name];
    }
    resetConfiguration();
  });
  afterAll(async () => {
    for (const name of NAMES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    resetConfiguration();
    await h?.close();
  });

  it("has no runtime without an engine, configure() or the environment", () => {
    expect(() => getRuntime()).toThrow(/configure\(\{ baseURL, accessToken \}\) or MAINSPRING_API_URL/);
  });

  it("uses MAINSPRING_API_URL and MAINSPRING_SECRET_KEY", async () => {
    process.env.MAINSPRING_API_URL = h.server.url;
    process.env.MAINSPRING_SECRET_KEY = h.key;
    const handle = await echo.trigger({ n: 4 });
    expect((await finished(handle.id)).output).toEqual({ doubled: 8 });
    expect(getRuntime()).toBe(getRuntime()); // built once while the variables stay the same
    delete process.env.MAINSPRING_SECRET_KEY;
    expect(() => getRuntime()).toThrow(/MAINSPRING_SECRET_KEY/);
    delete process.env.MAINSPRING_API_URL;
  });

  it("uses TRIGGER_API_URL and TRIGGER_SECRET_KEY", async () => {
    process.env.TRIGGER_API_URL = h.server.url;
    process.env.TRIGGER_SECRET_KEY = h.key;
    const run = await runs.retrieve((await tasks.trigger("remote-echo", { n: 1 })).id);
    expect(run.taskIdentifier).toBe("remote-echo");
  });

  it("prefers configure() to the environment, and an engine in the process to both", async () => {
    process.env.TRIGGER_API_URL = "http://127.0.0.1:9";
    configure({ baseURL: h.server.url }); // the key still comes from the environment
    expect((getRuntime() as HttpRuntime).baseURL).toBe(h.server.url);
    await expect(runs.retrieve("run_none")).rejects.toMatchObject({ code: "RUN_NOT_FOUND" });
    setRuntime(h.engine);
    try {
      expect(getRuntime()).toBe(h.engine);
    } finally {
      setRuntime(undefined);
    }
    expect(getRuntime()).toBeInstanceOf(HttpRuntime);
    expect(() => configure({ baseURL: h.server.url, accessToken: "" })).not.toThrow(); // falls back to the env key
    delete process.env.TRIGGER_SECRET_KEY;
    expect(() => configure({ baseURL: h.server.url })).toThrow(/accessToken/);
  });
});
