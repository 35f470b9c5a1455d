/**
 * The drop-in promise: the official `@trigger.dev/sdk` v4 client, pointed at a Mainspring
 * server, works unchanged for the backend calls. Every call below goes through that client.
 */
import { schedules as mainspringSchedules, schemaTask, task } from "@mainspring/sdk";
import { ApiError } from "@trigger.dev/core/v3";
import { auth, batch, configure, idempotencyKeys, runs, schedules, tasks, wait } from "@trigger.dev/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { waitFor } from "../../engine/test/helpers.js";
import { type Harness, STORES, startHarness } from "./harness.js";

const echo = task({
  id: "compat-echo",
  run: async (payload: { n: number; when?: string }) => ({ doubled: payload.n * 2, when: payload.when }),
});
const failing = task({
  id: "compat-fail",
  retry: { maxAttempts: 1 },
  run: async () => {
    throw new Error("expected failure");
  },
});
const strict = schemaTask({
  id: "compat-strict",
  schema: z.object({ email: z.string().email() }),
  run: async (p) => p.email,
});
const scheduled = mainspringSchedules.task({ id: "compat-scheduled", run: async () => "ok" });
void [echo, failing, strict, scheduled];

const finished = (id: string) =>
  waitFor(
    async () => {
      const run = await runs.retrieve(id);
      return run.isCompleted ? run : undefined;
    },
    { what: `run ${id} to finish` },
  );

for (const makeStore of STORES) {
  const store = makeStore();
  describe(`official @trigger.dev/sdk client against Mainspring (${store.name})`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness(store);
      configure({ baseURL: h.server.url, accessToken: h.key });
    });
    afterAll(() => h?.close());

    it("triggers with tags and an idempotency key, and returns a handle with a public token", async () => {
      const key = await idempotencyKeys.create(`order-${store.name}`);
      const first = await tasks.trigger(
        "compat-echo",
        { n: 21, when: "now" },
        { tags: ["workspace:a", "kind:echo"], idempotencyKey: key },
      );
      const again = await tasks.trigger("compat-echo", { n: 99 }, { idempotencyKey: key });
      expect(again.id).toBe(first.id);
      expect(first.publicAccessToken).toMatch(/^ey/);
      const run = await finished(first.id);
      expect(run.status).toBe("COMPLETED");
      expect(run.output).toEqual({ doubled: 42, when: "now" });
      expect(run.payload).toEqual({ n: 21, when: "now" });
      expect(run.tags).toEqual(["workspace:a", "kind:echo"]);
    });

    it("batch-triggers through the two-phase batch protocol", async () => {
      const handle = await batch.trigger([
        { id: "compat-echo", payload: { n: 1 } },
        { id: "compat-echo", payload: { n: 2 } },
        { id: "compat-fail", payload: {} },
      ]);
      expect(handle.runCount).toBe(3);
      const retrieved = await batch.retrieve(handle.batchId);
      expect(retrieved.runs).toHaveLength(3);
      const done = await Promise.all(retrieved.runs.map(finished));
      expect(done.map((r) => r.status).sort()).toEqual(["COMPLETED", "COMPLETED", "FAILED"]);
      const page = await runs.list({ batch: handle.batchId } as never);
      expect(page.data.length).toBe(3);
    });

    it("lists runs with filters and pages through them", async () => {
      for (let i = 0; i < 5; i++) await tasks.trigger("compat-echo", { n: i }, { tags: ["list-me"] });
      const tagged = await runs.list({ tag: "list-me", limit: 2 });
      expect(tagged.data).toHaveLength(2);
      const all: string[] = [];
      for await (const run of runs.list({ tag: "list-me", limit: 2 })) all.push(run.id);
      expect(all).toHaveLength(5);
      const failed = await runs.list({ status: ["FAILED"], taskIdentifier: "compat-fail" });
      expect(failed.data.every((r) => r.status === "FAILED")).toBe(true);
      // A task's own queue, as the official client names it ({ type: "task" } → "task/<id>").
      const byQueue = await runs.list({
        queue: { type: "task", name: "compat-echo" },
        tag: "list-me",
      } as never);
      expect(byQueue.data.length).toBeGreaterThan(0);
      expect(byQueue.data.every((r) => r.taskIdentifier === "compat-echo")).toBe(true);
    });

    it("cancels, replays and reschedules", async () => {
      const delayed = await tasks.trigger("compat-echo", { n: 5 }, { delay: "1h" });
      expect((await runs.retrieve(delayed.id)).status).toBe("DELAYED");
      const moved = await runs.reschedule(delayed.id, { delay: "2h" });
      expect(moved.delayedUntil!.getTime()).toBeGreaterThan(Date.now() + 90 * 60_000);
      await runs.cancel(delayed.id);
      expect((await runs.retrieve(delayed.id)).status).toBe("CANCELED");
      const replay = await runs.replay(delayed.id);
      expect(replay.id).not.toBe(delayed.id);
      const replayed = await runs.retrieve(replay.id);
      expect(replayed.payload).toEqual({ n: 5 });
    });

    it("adds tags and updates metadata of a run", async () => {
      const handle = await tasks.trigger("compat-echo", { n: 3 });
      await finished(handle.id);
      await tags_add(handle.id, ["added:1"]);
      expect((await runs.retrieve(handle.id)).tags).toContain("added:1");
      const { apiClientManager } = await import("@trigger.dev/core/v3");
      const client = apiClientManager.clientOrThrow();
      const updated = await client.updateRunMetadata(handle.id, {
        operations: [
          { type: "set", key: "stage", value: "scored" },
          { type: "increment", key: "count", value: 2 },
        ],
      });
      expect(updated.metadata).toEqual({ stage: "scored", count: 2 });
      expect((await runs.retrieve(handle.id)).metadata).toEqual({ stage: "scored", count: 2 });
    });

    it("creates, lists, completes and retrieves wait tokens", async () => {
      const token = await wait.createToken({ timeout: "10m", tags: ["approval"] });
      expect(token.url).toContain(`/api/v1/waitpoints/tokens/${token.id}/callback/`);
      expect(token.publicAccessToken).toMatch(/^ey/);
      const listed = await wait.listTokens({ tags: "approval", status: "WAITING" });
      expect(listed.data.map((t) => t.id)).toContain(token.id);
      await wait.completeToken(token.id, { approved: true });
      const retrieved = await wait.retrieveToken(token.id);
      expect(retrieved.status).toBe("COMPLETED");
      expect(retrieved.output).toEqual({ approved: true });
    });

    it("creates, retrieves, updates, deactivates, activates, lists and deletes schedules", async () => {
      const created = await schedules.create({
        task: "compat-scheduled",
        cron: "0 9 * * 1",
        timezone: "Europe/Paris",
        deduplicationKey: `weekly-${store.name}`,
        externalId: "user-1",
      });
      expect(created.id).toMatch(/^sched_/);
      expect(created.timezone).toBe("Europe/Paris");
      expect((await schedules.retrieve(created.id)).externalId).toBe("user-1");
      const updated = await schedules.update(created.id, { task: "compat-scheduled", cron: "0 10 * * 1" });
      expect(updated.generator.expression).toBe("0 10 * * 1");
      expect((await schedules.deactivate(created.id)).active).toBe(false);
      expect((await schedules.activate(created.id)).active).toBe(true);
      const listed = await schedules.list();
      expect(listed.data.map((s) => s.id)).toContain(created.id);
      await schedules.del(created.id);
      await expect(schedules.retrieve(created.id)).rejects.toMatchObject({ status: 404 });
    });

    it("mints scoped public tokens with auth.createPublicToken", async () => {
      const token = await auth.createPublicToken({
        scopes: { read: { tags: ["workspace:a"] } },
        expirationTime: "1h",
      });
      expect(token.split(".")).toHaveLength(3);
    });

    it("offloads a large payload through a signed upload URL, as the client does above 128 KB", async () => {
      const big = "x".repeat(300 * 1024);
      const handle = await tasks.trigger("compat-echo", { n: 4, when: big });
      const run = await finished(handle.id);
      expect(run.output).toEqual({ doubled: 8, when: big });
    });

    it("lets a one-time trigger token trigger its task once", async () => {
      const token = await auth.createTriggerPublicToken("compat-echo");
      await auth.withAuth({ accessToken: token }, async () => {
        const first = await tasks.trigger("compat-echo", { n: 1 });
        expect(first.id).toMatch(/^run_/);
        await expect(tasks.trigger("compat-echo", { n: 2 })).rejects.toMatchObject({
          status: 401,
          code: "TOKEN_ALREADY_USED",
        });
        await expect(tasks.trigger("compat-fail", {})).rejects.toMatchObject({ status: 403 });
      });
    });

    it("answers bad requests with errors the client understands", async () => {
      const unknown = await tasks.trigger("no-such-task", {}).catch((e) => e);
      expect(unknown).toBeInstanceOf(ApiError);
      expect(unknown).toMatchObject({ status: 404, code: "TASK_NOT_FOUND" });
      expect(unknown.message).toContain("no-such-task");
      const invalid = await tasks.trigger("compat-strict", { email: "not-an-email" }).catch((e) => e);
      expect(invalid).toMatchObject({ status: 422, code: "INVALID_PAYLOAD" });
      const badOptions = await tasks.trigger("compat-echo", { n: 1 }, { delay: "soon" }).catch((e) => e);
      expect(badOptions).toMatchObject({ status: 400 });
      const missing = await runs.retrieve("run_doesnotexist").catch((e) => e);
      expect(missing).toMatchObject({ status: 404, code: "RUN_NOT_FOUND" });
    });
  });
}

async function tags_add(runId: string, tags: string[]): Promise<void> {
  const { apiClientManager } = await import("@trigger.dev/core/v3");
  await apiClientManager.clientOrThrow().addTags(runId, { tags });
}
