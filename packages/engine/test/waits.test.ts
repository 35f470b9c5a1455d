/**
 * Durable waits on every store driver: durations, tokens, child runs and batches, the
 * journal and replay, and what a waiting run costs (no slot).
 */
import { batch, metadata, queue, runs, step, task, WaitpointTimeoutError, wait } from "@mainspring/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, startEngine } from "../src/index.js";
import type { Db } from "../src/store/db.js";
import { finished, STORES, statusIs, type TestStore, waitFor } from "./helpers.js";

const executions = new Map<string, number>();
const bump = (key: string) => executions.set(key, (executions.get(key) ?? 0) + 1);
const hooks: string[] = [];

const sleeper = task({
  id: "sleeper",
  onWait: ({ wait: w }) => {
    hooks.push(`wait:${w.type}`);
  },
  onResume: () => {
    hooks.push("resume");
  },
  run: async (payload: { tag: string; seconds: number }, { ctx }) => {
    bump(`${payload.tag}:top`);
    const before = await step.run("before", () => {
      bump(`${payload.tag}:step`);
      return { at: Date.now() };
    });
    await wait.for({ seconds: payload.seconds });
    bump(`${payload.tag}:after`);
    return {
      before: before.at,
      after: Date.now(),
      attempt: ctx.attempt.number,
      startedAt: ctx.attempt.startedAt.getTime(),
    };
  },
});

const metaWaiter = task({
  id: "meta-waiter",
  run: async (payload: { token: string }) => {
    metadata.set("phase", "waiting for approval");
    await wait.forToken(payload.token);
    metadata.set("phase", "approved");
    return metadata.current();
  },
});

const tokenWaiter = task({
  id: "token-waiter",
  run: async (payload: { token: string }) => {
    const result = await wait.forToken<{ approved: boolean }>(payload.token);
    if (!result.ok) return { timedOut: true, isTimeoutError: result.error instanceof WaitpointTimeoutError };
    return { approved: result.output.approved, unwrapped: result.unwrap() };
  },
});

const selfToken = task({
  id: "self-token",
  run: async () => {
    const token = await wait.createToken({ timeout: "1h", tags: ["self"] });
    metadata.set("token", token.id);
    await metadata.flush();
    const result = await wait.forToken<string>(token);
    return { token: token.id, value: result.unwrap() };
  },
});

const child = task({
  id: "child",
  retry: { maxAttempts: 1 },
  run: async (payload: { n: number; fail?: boolean }) => {
    if (payload.fail) throw new Error(`child ${payload.n} failed`);
    return payload.n * 2;
  },
});
const otherChild = task({
  id: "other-child",
  run: async (payload: { s: string }) => payload.s.toUpperCase(),
});

const parent = task({
  id: "wait-parent",
  run: async (payload: { fail: boolean }) => {
    const result = await child.triggerAndWait({ n: 21, fail: payload.fail });
    if (!result.ok) {
      try {
        result.unwrap();
      } catch (error) {
        return { ok: false, unwrapError: (error as Error).name, message: (error as Error).message };
      }
    }
    return {
      ok: true,
      output: result.ok ? result.output : null,
      direct: await child.triggerAndWait({ n: 1 }).unwrap(),
    };
  },
});

const fanOut = task({
  id: "fan-out",
  run: async (payload: { count: number }) => {
    const results = await child.batchTriggerAndWait(
      Array.from({ length: payload.count }, (_, n) => ({ payload: { n, fail: n === 3 } })),
    );
    const mixed = await batch.triggerByTaskAndWait([
      { task: otherChild, payload: { s: "abc" } },
      { task: child, payload: { n: 5 } },
    ]);
    return {
      outputs: results.runs.map((r) => (r.ok ? r.output : "failed")),
      mixed: mixed.runs.map((r) => (r.ok ? r.output : "failed")),
      batchId: results.id,
    };
  },
});

let flip = false;
const drifting = task({
  id: "drifting",
  run: async () => {
    flip = !flip;
    if (flip) await wait.for({ seconds: 0.2 });
    else await step.run("something-else", () => 1);
    return "unreachable on replay";
  },
});

const slowChild = task({
  id: "slow-child",
  run: async (payload: { ms: number }, { signal }) => {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, payload.ms);
      signal.addEventListener("abort", () => {
        clearTimeout(t);
        resolve();
      });
    });
    return "child done";
  },
});
const patientParent = task({
  id: "patient-parent",
  run: async () => {
    const result = await slowChild.triggerAndWait({ ms: 1500 });
    return result.ok ? result.output : `false failure: ${(result.error as Error).message}`;
  },
});

const oneAtATime = queue({ name: "one-at-a-time", concurrencyLimit: 1 });
const gatedWaiter = task({
  id: "gated-waiter",
  queue: oneAtATime,
  run: async (payload: { token: string }) => (await wait.forToken(payload.token)).ok,
});
const quick = task({ id: "quick", queue: oneAtATime, run: async () => "ran while the other waited" });
const freeTierQueue = queue({ name: "free-tier-like", concurrencyLimit: 1 });
const longWait = task({
  id: "long-wait",
  queue: freeTierQueue,
  run: async () => {
    await wait.for({ hours: 1 });
    return "an hour later";
  },
});
const nextInLine = task({ id: "next-in-line", queue: freeTierQueue, run: async () => "started at once" });

for (const makeStore of STORES) {
  const store: TestStore = makeStore();

  describe(`durable waits on ${store.name}`, () => {
    let db: Db;
    let engine: Engine;

    beforeAll(async () => {
      db = await store.open();
      engine = await startEngine({
        db,
        worker: { concurrency: 10, pollIntervalMs: 250 },
        maintenance: { intervalMs: 100, rescueIntervalMs: 200 },
        onError: (error, where) => console.error(where, error),
      });
    });

    afterAll(async () => {
      await engine?.stop(2000);
      await db?.close();
      await store.dispose();
    });

    it("wait.for suspends the run (WAITING, no slot), then resumes it; steps run once, code between re-runs", async () => {
      const tag = `s-${store.name}`;
      hooks.length = 0;
      const handle = await sleeper.trigger({ tag, seconds: 1 });
      await statusIs(handle.id, "WAITING");
      const stats = (await engine.queues()).find((q) => q.name === "task/sleeper")!;
      expect(stats.running).toBe(0);
      expect(engine.worker!.activeCount).toBe(0);
      const run = await finished(handle.id);
      expect(run.status).toBe("COMPLETED");
      const out = run.output as { before: number; after: number; attempt: number; startedAt: number };
      expect(out.after - out.before).toBeGreaterThanOrEqual(950);
      expect(out.attempt).toBe(1);
      // A resumed attempt is the same attempt: it started before the wait, not at the resume.
      expect(out.startedAt).toBeLessThanOrEqual(out.before);
      const { rows } = await db.query<{ attempts: Array<{ startedAt: string }> }>(
        "select attempts from ms_runs where id = $1",
        [handle.id],
      );
      expect(rows[0]!.attempts).toHaveLength(1);
      expect(new Date(rows[0]!.attempts[0]!.startedAt).getTime()).toBeLessThanOrEqual(out.before);
      expect(run.attemptCount).toBe(1);
      expect(executions.get(`${tag}:step`)).toBe(1); // memoized across the replay
      expect(executions.get(`${tag}:top`)).toBe(2); // code before the wait replays
      expect(executions.get(`${tag}:after`)).toBe(1);
      expect(hooks).toEqual(["wait:DURATION", "resume"]);
    });

    it("wait.until in the past with throwIfInThePast is an error; without it, no wait", async () => {
      const pastTask = task({
        id: `past-${store.name}`,
        retry: { maxAttempts: 1 },
        run: async (p: { strict: boolean }) => {
          await wait.until({ date: new Date(Date.now() - 1000), throwIfInThePast: p.strict });
          return "went on";
        },
      });
      await engine.stop(100);
      engine = await startEngine({ db, worker: { concurrency: 10 }, maintenance: { intervalMs: 100 } });
      const strict = await finished((await pastTask.trigger({ strict: true })).id);
      expect(strict.status).toBe("FAILED");
      expect(strict.error?.message).toContain("in the past");
      const lenient = await finished((await pastTask.trigger({ strict: false })).id);
      expect(lenient.output).toBe("went on");
    });

    it("a token created outside a run resumes its waiter when completed; twice changes nothing", async () => {
      const token = await wait.createToken({ timeout: "10m", tags: ["approval"] });
      expect(token.id).toMatch(/^waitpoint_/);
      expect(token.url).toContain(token.id);
      const handle = await tokenWaiter.trigger({ token: token.id });
      await statusIs(handle.id, "WAITING");
      expect((await wait.retrieveToken(token.id)).status).toBe("WAITING");
      await wait.completeToken(token, { approved: true });
      await wait.completeToken(token, { approved: false });
      const run = await finished(handle.id);
      expect(run.output).toEqual({ approved: true, unwrapped: { approved: true } });
      const info = await wait.retrieveToken(token.id);
      expect(info).toMatchObject({ status: "COMPLETED", output: { approved: true }, tags: ["approval"] });
      const listed = await wait.listTokens({ status: "COMPLETED", tags: "approval" });
      expect(listed.data.map((t) => t.id)).toContain(token.id);
    });

    it("metadata set before a wait is visible while the run waits, and kept after", async () => {
      const token = await wait.createToken({});
      const handle = await metaWaiter.trigger({ token: token.id });
      await statusIs(handle.id, "WAITING");
      expect((await runs.retrieve(handle.id)).metadata).toEqual({ phase: "waiting for approval" });
      await wait.completeToken(token, null);
      expect((await finished(handle.id)).metadata).toEqual({ phase: "approved" });
    });

    it("a token completed before the run waits resumes nothing and returns at once", async () => {
      const token = await wait.createToken({});
      await wait.completeToken(token.id, { approved: false });
      const run = await finished((await tokenWaiter.trigger({ token: token.id })).id);
      expect(run.output).toEqual({ approved: false, unwrapped: { approved: false } });
    });

    it("a token that times out resolves { ok: false } with a timeout error", async () => {
      const token = await wait.createToken({ timeout: "1s" });
      const run = await finished((await tokenWaiter.trigger({ token: token.id })).id);
      expect(run.output).toEqual({ timedOut: true, isTimeoutError: true });
      expect((await wait.retrieveToken(token.id)).status).toBe("TIMED_OUT");
    });

    it("a token completed after its timeout changes nothing: the run resumed once, timed out", async () => {
      const token = await wait.createToken({ timeout: "1s" });
      const handle = await tokenWaiter.trigger({ token: token.id });
      const run = await finished(handle.id);
      await wait.completeToken(token, { approved: true });
      expect(run.output).toEqual({ timedOut: true, isTimeoutError: true });
      expect(await runs.retrieve(handle.id)).toMatchObject({ status: "COMPLETED", output: run.output });
      expect((await wait.retrieveToken(token.id)).status).toBe("TIMED_OUT");
    });

    it("a token completed while the run suspends, many times over, resumes each run exactly once", async () => {
      // Completion races the suspension: the FOR SHARE lock in suspendRun decides the order.
      const tokens = await Promise.all(Array.from({ length: 20 }, () => wait.createToken({})));
      const handles = await Promise.all(tokens.map((t) => tokenWaiter.trigger({ token: t.id })));
      await Promise.all(
        tokens.map((t, i) =>
          new Promise((r) => setTimeout(r, i * 3)).then(() => wait.completeToken(t, { approved: true })),
        ),
      );
      const done = await Promise.all(handles.map((h) => finished(h.id)));
      expect(done.every((r) => r.status === "COMPLETED" && r.attemptCount === 1)).toBe(true);
      const { rows } = await db.query<{ n: number }>(
        `select count(*)::int as n from ms_journal where run_id = any(array(select jsonb_array_elements_text($1::jsonb)))`,
        [JSON.stringify(handles.map((h) => h.id))],
      );
      expect(rows[0]!.n).toBe(20); // one journal entry per run: nobody replayed a second wait
    });

    it("idempotent tokens: the same key gives the same token", async () => {
      const a = await wait.createToken({ idempotencyKey: `tok-${store.name}` });
      const b = await wait.createToken({ idempotencyKey: `tok-${store.name}` });
      expect(b.id).toBe(a.id);
      expect([a.isCached, b.isCached]).toEqual([false, true]);
    });

    it("a token created inside a run is journaled: the replay waits on the same token", async () => {
      const handle = await selfToken.trigger(undefined);
      const tokenId = await waitFor(
        async () => (await runs.retrieve(handle.id)).metadata.token as string | undefined,
      );
      await statusIs(handle.id, "WAITING");
      await wait.completeToken(tokenId, "done");
      const run = await finished(handle.id);
      expect(run.output).toEqual({ token: tokenId, value: "done" });
    });

    it("triggerAndWait returns the child's output, or its error with unwrap throwing", async () => {
      const ok = await finished((await parent.trigger({ fail: false })).id);
      expect(ok.output).toEqual({ ok: true, output: 42, direct: 2 });
      const failed = await finished((await parent.trigger({ fail: true })).id);
      expect(failed.output).toMatchObject({ ok: false, unwrapError: "SubtaskUnwrapError" });
      expect((failed.output as { message: string }).message).toContain("child 21 failed");
      const children = await runs.list({ taskIdentifier: "child", limit: 100 });
      const mine = children.data.find((c) => c.parentId === ok.id);
      expect(mine).toBeDefined();
      const { rows } = await db.query<{ depth: number; root_run_id: string }>(
        "select depth, root_run_id from ms_runs where id = $1",
        [mine!.id],
      );
      expect(rows[0]).toEqual({ depth: 1, root_run_id: ok.id });
    });

    it("batchTriggerAndWait of 1,000 children returns every result in input order; one failure fails no other", async () => {
      const run = await finished((await fanOut.trigger({ count: 1000 })).id, 100_000);
      expect(run.error).toBeUndefined();
      const out = run.output as { outputs: unknown[]; mixed: unknown[]; batchId: string };
      expect(out.outputs).toEqual(Array.from({ length: 1000 }, (_, n) => (n === 3 ? "failed" : n * 2)));
      expect(out.mixed).toEqual(["ABC", 10]);
      expect(out.batchId).toMatch(/^batch_/);
      const { rows } = await db.query<{ n: number }>(
        "select count(*)::int as n from ms_runs where batch_id = $1",
        [out.batchId],
      );
      expect(rows[0]!.n).toBe(1000);
    }, 120_000);

    it("replay that diverges from the journal fails the run with a clear error", async () => {
      flip = false;
      const run = await finished((await drifting.trigger(undefined)).id);
      expect(run.status).toBe("FAILED");
      expect(run.error?.name).toBe("NonDeterministicReplayError");
      expect(run.error?.message).toContain('recorded wait("duration")');
      expect(run.error?.message).toContain('step("something-else")');
    });

    it("a waiting run holds no concurrency slot: another run of its limit-1 queue runs meanwhile", async () => {
      const token = await wait.createToken({});
      const waiter = await gatedWaiter.trigger({ token: token.id });
      await statusIs(waiter.id, "WAITING");
      const other = await finished((await quick.trigger(undefined)).id);
      expect(other.output).toBe("ran while the other waited");
      await wait.completeToken(token, null);
      expect((await finished(waiter.id)).output).toBe(true);
    });

    it("limit 1 per key: while the first run waits an hour, the key's next run starts at once", async () => {
      const first = await longWait.trigger(undefined, { concurrencyKey: "workspace-1" });
      await statusIs(first.id, "WAITING");
      const started = Date.now();
      const next = await finished(
        (await nextInLine.trigger(undefined, { concurrencyKey: "workspace-1" })).id,
      );
      expect(next.output).toBe("started at once");
      expect(Date.now() - started).toBeLessThan(5000);
      expect((await runs.retrieve(first.id)).status).toBe("WAITING");
      await runs.cancel(first.id);
    });

    it("cancelling a waiting run cancels it and its waits", async () => {
      const token = await wait.createToken({});
      const handle = await tokenWaiter.trigger({ token: token.id });
      await statusIs(handle.id, "WAITING");
      await runs.cancel(handle.id);
      expect((await runs.retrieve(handle.id)).status).toBe("CANCELED");
      const { rows } = await db.query("select * from ms_run_waits where run_id = $1", [handle.id]);
      expect(rows).toHaveLength(0);
      await wait.completeToken(token, { approved: true });
      expect((await runs.retrieve(handle.id)).status).toBe("CANCELED");
    });

    it("a graceful stop that releases a running child does not wake its parent with a false failure", async () => {
      const parentRun = await patientParent.trigger(undefined);
      const child = await waitFor(async () => {
        const page = await runs.list({ taskIdentifier: "slow-child", status: "EXECUTING" });
        return page.data.find((r) => r.parentId === parentRun.id);
      });
      await engine.stop(100); // the child is released back to the queue, its attempt not counted
      const status = async (id: string) =>
        (await db.query<{ status: string }>("select status from ms_runs where id = $1", [id])).rows[0]
          ?.status;
      expect(await status(child.id)).toBe("QUEUED");
      expect(await status(parentRun.id)).toBe("WAITING");
      engine = await startEngine({ db, worker: { concurrency: 10 }, maintenance: { intervalMs: 100 } });
      const parent = await finished(parentRun.id);
      expect(parent.output).toBe("child done");
      expect((await runs.retrieve(child.id)).attemptCount).toBe(1);
    });

    it("a wait survives an engine restart", async () => {
      const handle = await sleeper.trigger({ tag: `restart-${store.name}`, seconds: 1 });
      await statusIs(handle.id, "WAITING");
      await engine.stop(100);
      engine = await startEngine({ db, worker: { concurrency: 10 }, maintenance: { intervalMs: 100 } });
      const run = await finished(handle.id);
      expect(run.status).toBe("COMPLETED");
    });
  });
}
