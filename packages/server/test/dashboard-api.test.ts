/**
 * The dashboard's endpoints over raw fetch, on PGlite and PostgreSQL: login (password and key,
 * sessions that die with their key or password), run detail with attempts, logs and the
 * timeline of waits and child runs, bulk cancel and replay of a filtered set, tasks with their
 * payload schema, queues with per-key counts and pause/resume, token waiters, cron preview,
 * runs per minute.
 */
import { logger, queue, schemaTask, task, wait } from "@mainspring/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { gate, waitFor } from "../../engine/test/helpers.js";
import { DashboardSessions } from "../src/auth/dashboard-sessions.js";
import { createKey, revokeKey } from "../src/auth/keys.js";
import { type Harness, STORES, startHarness } from "./harness.js";

const PASSWORD = "correct horse battery staple";

/** Holds dash-blocked runs until the test opens it; a new one per store. */
let held = gate();
const dashQueue = queue({ name: "dash-q", concurrencyLimit: 1 });

task({ id: "dash-child", run: async (n: number) => n * 2 });
const child = task({ id: "dash-child-2", run: async (n: number) => n + 1 });

task({
  id: "dash-parent",
  retry: { maxAttempts: 2, minTimeoutInMs: 10, maxTimeoutInMs: 10 },
  run: async (payload: { tokenId: string }, { ctx }) => {
    logger.info("starting", { attempt: ctx.attempt.number });
    if (ctx.attempt.number === 1) throw new Error("first attempt fails");
    const doubled = await child.triggerAndWait(20).unwrap();
    const token = await wait.forToken<{ ok: boolean }>(payload.tokenId);
    logger.warn("resumed");
    return { doubled, ok: token.ok };
  },
});

task({ id: "dash-blocked", queue: dashQueue, run: async () => held.promise });

task({
  id: "dash-chatty",
  run: async (n: number) => {
    for (let i = 1; i <= n; i++) logger.info(`line ${i}`);
  },
});

schemaTask({
  id: "dash-schema",
  schema: z.object({ name: z.string().min(2), count: z.number().int().default(1) }),
  run: async (p) => p,
});

for (const makeStore of STORES) {
  const store = makeStore();
  describe(`dashboard API (${store.name})`, () => {
    let h: Harness;
    let session: string;

    const call = async (path: string, init: { method?: string; body?: unknown; token?: string } = {}) => {
      const res = await fetch(`${h.server.url}${path}`, {
        method: init.method ?? (init.body === undefined ? "GET" : "POST"),
        headers: {
          ...(init.token === "" ? {} : { authorization: `Bearer ${init.token ?? session}` }),
          ...(init.body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
      return { status: res.status, body: (await res.json()) as any };
    };

    beforeAll(async () => {
      held = gate();
      h = await startHarness(store, { dashboardPassword: PASSWORD });
    });
    afterAll(async () => {
      held.open();
      await h?.close();
    });

    it("logs in with the password or a key; sessions die with their key and their password", async () => {
      expect((await call("/api/v1/dashboard/login", { token: "" })).body).toEqual({
        password: true,
        key: true,
      });
      const wrong = await call("/api/v1/dashboard/login", { token: "", body: { password: "nope" } });
      expect(wrong).toMatchObject({ status: 401, body: { code: "INVALID_CREDENTIALS" } });
      const noAuth = await call("/api/v1/dashboard/tasks", { token: "" });
      expect(noAuth).toMatchObject({ status: 401, body: { code: "UNAUTHENTICATED" } });

      const ok = await call("/api/v1/dashboard/login", { token: "", body: { password: PASSWORD } });
      expect(ok.status).toBe(200);
      expect(ok.body.via).toBe("password");
      session = ok.body.token;
      expect((await call("/api/v1/dashboard/session")).body).toEqual({ via: "password" });
      // a session is a secret key's equal on the public API
      expect((await call("/api/v1/runs")).status).toBe(200);

      // a public access token cannot use the dashboard's endpoints
      const pub = await h.server.context.tokens.sign({ sub: "t", scopes: ["admin"] });
      expect(await call("/api/v1/dashboard/tasks", { token: pub })).toMatchObject({
        status: 403,
        body: { code: "FORBIDDEN" },
      });

      // key login; the session stops working once the key is revoked
      const other = await createKey(h.engine.db, { name: "dash" });
      const viaKey = await call("/api/v1/dashboard/login", { token: "", body: { key: other.key } });
      expect(viaKey.body.via).toBe("key");
      await revokeKey(h.engine.db, other.record.id);
      expect(await call("/api/v1/dashboard/session", { token: viaKey.body.token })).toMatchObject({
        status: 401,
        body: { code: "INVALID_TOKEN" },
      });

      // a password session is refused by a server configured with another password
      const changed = await DashboardSessions.open(h.engine.db, undefined, "another password");
      expect(await changed.verify(session)).toBeUndefined();
      const same = await DashboardSessions.open(h.engine.db, undefined, PASSWORD);
      expect(await same.verify(session)).toMatchObject({ sub: "password" });
      // ...and so is a public token that session minted, while one of a live password works
      const minted = await call("/api/v1/auth/public-tokens", { body: { scopes: ["read:runs"] } });
      expect(minted.status).toBe(200);
      const claims = await h.server.context.tokens.verify(minted.body.token);
      expect(claims).toMatchObject({ sub: same.passwordPrincipal() });
      expect(changed.isLivePasswordPrincipal(same.passwordPrincipal())).toBe(false);
      expect(same.isLivePasswordPrincipal(same.passwordPrincipal())).toBe(true);
      // a blank password is no password
      expect((await DashboardSessions.open(h.engine.db, undefined, "   ")).passwordEnabled).toBe(false);
    });

    it("lists tasks with the JSON schema of schemaTask payloads, and validates payloads", async () => {
      const { body } = await call("/api/v1/dashboard/tasks");
      const ids = body.data.map((t: { id: string }) => t.id);
      expect(ids).toEqual(expect.arrayContaining(["dash-parent", "dash-schema", "dash-blocked"]));
      const schema = body.data.find((t: { id: string }) => t.id === "dash-schema");
      expect(schema).toMatchObject({ queue: "task/dash-schema", hasSchema: true });
      expect(schema.payloadSchema).toMatchObject({
        type: "object",
        properties: { name: { type: "string", minLength: 2 }, count: { type: "integer" } },
        required: ["name"],
      });
      expect(body.data.find((t: { id: string }) => t.id === "dash-blocked").queue).toBe("dash-q");

      expect(
        (await call("/api/v1/dashboard/tasks/dash-schema/validate", { body: { payload: { name: "Ada" } } }))
          .body,
      ).toEqual({
        ok: true,
      });
      const bad = await call("/api/v1/dashboard/tasks/dash-schema/validate", {
        body: { payload: { name: "A" } },
      });
      expect(bad.body.ok).toBe(false);
      expect(bad.body.issues[0].path).toEqual(["name"]);
      expect((await call("/api/v1/dashboard/tasks/nope/validate", { body: { payload: 1 } })).body.code).toBe(
        "TASK_NOT_FOUND",
      );
    });

    it("shows a run's attempts, logs and timeline of child runs and token waits; the token lists its waiter", async () => {
      const token = await h.engine.createToken({ tags: ["dash"] });
      const run = await h.engine.trigger("dash-parent", { tokenId: token.id }, { tags: ["dash:detail"] });
      await waitFor(
        async () =>
          (await h.engine.retrieveRun(run.id)).status === "WAITING" &&
          (await h.engine.inspect.blockedOn(run.id)).includes(token.id),
        {
          what: "the parent to wait on the token",
        },
      );

      const waiting = await call(`/api/v1/dashboard/waitpoints/${token.id}`);
      expect(waiting.body.token).toMatchObject({ id: token.id, status: "WAITING", tags: ["dash"] });
      expect(waiting.body.waitingRuns).toEqual([
        { id: run.id, taskIdentifier: "dash-parent", status: "WAITING" },
      ]);

      const detail = await call(`/api/v1/dashboard/runs/${run.id}`);
      expect(detail.body.blockedOn).toEqual([token.id]);
      expect(detail.body.attempts.map((a: { status: string }) => a.status)).toEqual(["FAILED", "WAITING"]);
      expect(detail.body.attempts[0].error.message).toBe("first attempt fails");
      const kinds = detail.body.timeline.map((e: { kind: string }) => e.kind);
      expect(kinds).toEqual(["triggerAndWait", "waitForToken"]);
      const [childEntry, tokenEntry] = detail.body.timeline;
      expect(childEntry.runs).toEqual([
        expect.objectContaining({ taskIdentifier: "dash-child-2", status: "COMPLETED" }),
      ]);
      expect(tokenEntry).toMatchObject({
        tokenId: token.id,
        waitpoints: [{ id: token.id, type: "TOKEN", status: "WAITING" }],
      });

      await call(`/api/v1/waitpoints/tokens/${token.id}/complete`, { body: { data: { ok: true } } });
      await waitFor(async () => (await h.engine.retrieveRun(run.id)).status === "COMPLETED", {
        what: "resume",
      });
      const done = await call(`/api/v1/dashboard/runs/${run.id}`);
      expect(done.body.run).toMatchObject({
        status: "COMPLETED",
        output: { doubled: 21, ok: true },
        tags: ["dash:detail"],
      });
      expect(done.body.run.relatedRuns.children).toHaveLength(1);
      expect(done.body.timeline[1].waitpoints[0].status).toBe("COMPLETED");
      // the code before each wait runs again on every resume (replay), so "starting" repeats
      const logs = done.body.logs as Array<{ message: string; level: string; attempt: number }>;
      expect(logs[0]).toMatchObject({ message: "starting", attempt: 1, level: "info" });
      expect(logs.some((l) => l.message === "starting" && l.attempt === 2)).toBe(true);
      expect(logs.at(-1)).toMatchObject({ message: "resumed", level: "warn", attempt: 2 });
      expect(logs.filter((l) => l.message === "resumed")).toHaveLength(1);
      expect((await call(`/api/v1/dashboard/waitpoints/${token.id}`)).body.waitingRuns).toEqual([]);
      expect((await call("/api/v1/dashboard/runs/run_nope")).body.code).toBe("RUN_NOT_FOUND");
    });

    it("a run's detail carries its newest 500 log lines; older ones page back, newer ones forward", async () => {
      const run = await h.engine.trigger("dash-chatty", 1200);
      await waitFor(async () => (await h.engine.retrieveRun(run.id)).status === "COMPLETED", {
        what: "the run",
      });
      const messages = (lines: Array<{ message: string }>) => lines.map((l) => l.message);
      // in line order across ids of different lengths (999 to 1000), which text order broke
      expect(messages(await h.engine.logs(run.id))).toEqual(
        Array.from({ length: 1200 }, (_, i) => `line ${i + 1}`),
      );
      const detail = await call(`/api/v1/dashboard/runs/${run.id}`);
      expect(detail.body.logs).toHaveLength(500);
      expect(detail.body.logs[0].message).toBe("line 701");
      expect(detail.body.logs.at(-1).message).toBe("line 1200");
      expect(detail.body.logsEarlier).toBe(true);

      const older = await call(`/api/v1/dashboard/runs/${run.id}/logs?before=${detail.body.logs[0].id}`);
      expect(older.status).toBe(200);
      expect(messages(older.body.data)).toEqual(Array.from({ length: 500 }, (_, i) => `line ${201 + i}`));
      expect(older.body.more).toBe(true);
      const oldest = await call(`/api/v1/dashboard/runs/${run.id}/logs?before=${older.body.data[0].id}`);
      expect(messages(oldest.body.data)).toEqual(Array.from({ length: 200 }, (_, i) => `line ${1 + i}`));
      expect(oldest.body.more).toBe(false);

      // forward from a line: the oldest newer ones, as the page fills a gap a busy run left
      const forward = await call(
        `/api/v1/dashboard/runs/${run.id}/logs?after=${oldest.body.data[9].id}&limit=5`,
      );
      expect(messages(forward.body.data)).toEqual(["line 11", "line 12", "line 13", "line 14", "line 15"]);
      expect(forward.body.more).toBe(true);
      const tail = await call(`/api/v1/dashboard/runs/${run.id}/logs?after=${detail.body.logs.at(-2).id}`);
      expect(messages(tail.body.data)).toEqual(["line 1200"]);
      expect(tail.body.more).toBe(false);

      for (const bad of ["before=abc", "limit=0", "limit=1001", `before=1&after=2`, "page=2"]) {
        const res = await call(`/api/v1/dashboard/runs/${run.id}/logs?${bad}`);
        expect(res.status, bad).toBe(400);
        expect(res.body.code, bad).toBe("INVALID_OPTIONS");
      }
      expect((await call("/api/v1/dashboard/runs/run_missing/logs")).status).toBe(404);
      expect((await call(`/api/v1/dashboard/runs/${run.id}/logs`, { token: "" })).status).toBe(401);
    });

    it("replays with an edited payload, validated by the task's schema", async () => {
      const first = await h.engine.trigger("dash-schema", { name: "Ada" });
      const replay = await call(`/api/v1/dashboard/runs/${first.id}/replay`, {
        body: { payload: { name: "Grace", count: 3 } },
      });
      expect(replay.status).toBe(200);
      expect((await h.engine.retrieveRun(replay.body.id)).payload).toEqual({ name: "Grace", count: 3 });
      const same = await call(`/api/v1/dashboard/runs/${first.id}/replay`, { body: {} });
      expect((await h.engine.retrieveRun(same.body.id)).payload).toEqual({ name: "Ada" });
      const bad = await call(`/api/v1/dashboard/runs/${first.id}/replay`, { body: { payload: { name: 1 } } });
      expect(bad).toMatchObject({ status: 422, body: { code: "INVALID_PAYLOAD" } });
    });

    it("pauses a queue (runs stay queued), counts per key, bulk-cancels a filtered set, bulk-replays", async () => {
      const paused = await call(`/api/v1/dashboard/queues/${encodeURIComponent("dash-q")}/pause`, {
        body: {},
      });
      expect(paused.body).toEqual({ name: "dash-q", paused: true });
      for (const key of ["a", "a", "b"])
        await h.engine.trigger("dash-blocked", {}, { concurrencyKey: key, tags: ["dash:bulk"] });
      const queues = await call("/api/v1/dashboard/queues");
      expect(queues.body.data.find((q: { name: string }) => q.name === "dash-q")).toMatchObject({
        paused: true,
        queued: 3,
        running: 0,
        waiting: 0,
        concurrencyLimit: 1,
      });
      const keys = await call(`/api/v1/dashboard/queues/dash-q/keys`);
      expect(keys.body.data).toEqual([
        { key: "a", running: 0, queued: 2, waiting: 0 },
        { key: "b", running: 0, queued: 1, waiting: 0 },
      ]);
      // a queue name with a slash, URL-encoded
      const taskQueue = await call(`/api/v1/dashboard/queues/${encodeURIComponent("task/dash-schema")}/keys`);
      expect(taskQueue.status).toBe(200);
      expect((await call(`/api/v1/dashboard/queues/nope/pause`, { body: {} })).body.code).toBe(
        "QUEUE_NOT_FOUND",
      );

      const resumed = await call(`/api/v1/dashboard/queues/dash-q/resume`, { body: {} });
      expect(resumed.body.paused).toBe(false);
      await waitFor(
        async () => {
          const q = (await call("/api/v1/dashboard/queues")).body.data.find(
            (x: { name: string }) => x.name === "dash-q",
          );
          return q.running === 2 && q.queued === 1;
        },
        { what: "one run per key to start (limit 1 per key)" },
      );

      const bad = await call("/api/v1/dashboard/runs/bulk", { body: { action: "cancel" } });
      expect(bad).toMatchObject({ status: 400, body: { code: "INVALID_REQUEST" } });
      const canceled = await call("/api/v1/dashboard/runs/bulk", {
        body: { action: "cancel", filter: { tag: "dash:bulk" } },
      });
      expect(canceled.body).toMatchObject({
        action: "cancel",
        matched: 3,
        succeeded: 3,
        failed: [],
        more: false,
      });
      const after = await h.engine.listRuns({ tag: "dash:bulk" });
      expect(after.data.map((r) => r.status)).toEqual(["CANCELED", "CANCELED", "CANCELED"]);
      // nothing left to cancel
      expect(
        (
          await call("/api/v1/dashboard/runs/bulk", {
            body: { action: "cancel", filter: { tag: "dash:bulk" } },
          })
        ).body.matched,
      ).toBe(0);

      const replayed = await call("/api/v1/dashboard/runs/bulk", {
        body: {
          action: "replay",
          filter: { tag: "dash:bulk", status: "CANCELED", taskIdentifier: "dash-blocked" },
        },
      });
      expect(replayed.body).toMatchObject({ matched: 3, succeeded: 3 });
      expect(replayed.body.replayed).toHaveLength(3);
      const all = await h.engine.listRuns({ tag: "dash:bulk" });
      expect(all.data).toHaveLength(6);
      const replayIds = replayed.body.replayed.map((r: { id: string }) => r.id);
      await call("/api/v1/dashboard/runs/bulk", { body: { action: "cancel", runIds: replayIds } });
      // Again: nothing changes, and the answer says so instead of counting them canceled.
      const again = await call("/api/v1/dashboard/runs/bulk", {
        body: { action: "cancel", runIds: replayIds },
      });
      expect(again.body).toMatchObject({ matched: 3, succeeded: 0, failed: [] });
      expect(again.body.skipped).toHaveLength(3);

      // A filter matching more than one request takes continues where it stopped, its end time
      // frozen: the replays made by the first requests are not replayed in turn.
      const filter = { tag: "dash:bulk", taskIdentifier: "dash-blocked" };
      const replays: string[] = [];
      let next: Record<string, unknown> | undefined = filter;
      let requests = 0;
      while (next) {
        const page = await call("/api/v1/dashboard/runs/bulk", {
          body: { action: "replay", filter: next, limit: 4 },
        });
        expect(page.status).toBe(200);
        replays.push(...page.body.replayed.map((r: { from: string }) => r.from));
        next = page.body.continue;
        requests++;
      }
      expect(requests).toBe(2);
      expect(new Set(replays).size).toBe(6); // the 6 runs there were, each once
      expect(replays.some((id) => replayIds.includes(id))).toBe(true);
      const everything = await h.engine.listRuns({ tag: "dash:bulk", limit: 100 });
      expect(everything.data).toHaveLength(12);
      await call("/api/v1/dashboard/runs/bulk", { body: { action: "cancel", filter: { tag: "dash:bulk" } } });
      held.open();
    });

    it("previews cron patterns and counts runs per minute by status", async () => {
      const preview = await call("/api/v1/dashboard/schedules/preview", {
        body: { cron: "0 9 * * 1", timezone: "Europe/Paris", count: 3 },
      });
      expect(preview.body).toMatchObject({ valid: true, cron: "0 9 * * 1", timezone: "Europe/Paris" });
      expect(preview.body.nextRuns).toHaveLength(3);
      const first = new Date(preview.body.nextRuns[0]);
      expect(first.getTime()).toBeGreaterThan(Date.now());
      expect(
        new Intl.DateTimeFormat("en-GB", {
          timeZone: "Europe/Paris",
          hour: "2-digit",
          weekday: "short",
          hour12: false,
        }).format(first),
      ).toBe("Mon, 09");
      const invalid = await call("/api/v1/dashboard/schedules/preview", { body: { cron: "61 * * * *" } });
      expect(invalid.status).toBe(200);
      expect(invalid.body).toMatchObject({ valid: false, error: expect.stringContaining("minute") });
      const zone = await call("/api/v1/dashboard/schedules/preview", {
        body: { cron: "* * * * *", timezone: "Mars/Olympus" },
      });
      expect(zone.body).toMatchObject({ valid: false, error: expect.stringContaining("Mars/Olympus") });

      const stats = await call("/api/v1/dashboard/stats/runs-per-minute?minutes=10");
      const total = stats.body.data.reduce((n: number, r: { count: number }) => n + r.count, 0);
      const all = await h.engine.listRuns({ limit: 100 });
      expect(total).toBe(all.data.length);
      expect(stats.body.data.some((r: { status: string }) => r.status === "CANCELED")).toBe(true);
      expect((await call("/api/v1/dashboard/stats/runs-per-minute?minutes=0")).body.code).toBe(
        "INVALID_OPTIONS",
      );
    });
  });
}
