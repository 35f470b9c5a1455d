/**
 * Schedules (Trigger.dev's `schedules`) on every store driver: declarative and imperative
 * schedules, their payloads, validation, exactly-once firing across engines, and the
 * missed-slot policy. Asserted from the database and the public API.
 */
import {
  getTask,
  type ScheduledTaskPayload,
  type ScheduleObject,
  schedules,
  task,
  validateSchedule,
} from "@mainspring/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeCron } from "../src/cron.js";
import { type Engine, startEngine } from "../src/index.js";
import type { Db } from "../src/store/db.js";
import { openPostgres } from "../src/store/postgres.js";
import {
  createSchema,
  dropSchema,
  STORES,
  sleep,
  TEST_DATABASE_URL,
  type TestStore,
  waitFor,
} from "./helpers.js";

// ---- tasks (registered once per file) ----

/** What each run of a scheduled task received, by run id. */
const seen = new Map<string, { task: string; payload: ScheduledTaskPayload }>();
const record =
  (taskId: string) =>
  async (payload: ScheduledTaskPayload, { ctx }: { ctx: { run: { id: string } } }) => {
    seen.set(ctx.run.id, { task: taskId, payload });
    return { at: payload.timestamp.toISOString() };
  };

const everySecond = schedules.task({
  id: "sched-every-second",
  cron: { pattern: "* * * * * *", timezone: "Europe/Paris" },
  run: record("sched-every-second"),
});

const nightly = schedules.task({ id: "sched-nightly", cron: "0 2 * * *", run: record("sched-nightly") });

const imperative = schedules.task({ id: "sched-imperative", run: record("sched-imperative") });

const plain = task({ id: "sched-plain", run: async () => "not scheduled" });

const byScheduleId = (scheduleId: string) =>
  [...seen.entries()]
    .filter(([, v]) => v.payload.scheduleId === scheduleId)
    .map(([id, v]) => ({ id, ...v.payload }))
    .sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());

const ENGINE = {
  worker: { concurrency: 10, pollIntervalMs: 250 },
  maintenance: { intervalMs: 100, rescueIntervalMs: 1000 },
  onError: (error: unknown, where: string) => console.error(where, error),
};

describe("schedules in the SDK (no engine needed)", () => {
  it("rejects an invalid cron or time zone when the task is defined, and registers nothing", () => {
    const run = async () => {};
    expect(() => schedules.task({ id: "bad-fields", cron: "* * *", run })).toThrow(
      expect.objectContaining({ code: "INVALID_SCHEDULE", message: expect.stringContaining("3 fields") }),
    );
    expect(() => schedules.task({ id: "bad-minute", cron: "61 * * * *", run })).toThrow(
      expect.objectContaining({ code: "INVALID_SCHEDULE", message: expect.stringContaining("minute field") }),
    );
    expect(() => schedules.task({ id: "bad-step", cron: "5/10 * * * *", run })).toThrow(
      expect.objectContaining({ code: "INVALID_SCHEDULE" }),
    );
    expect(() =>
      schedules.task({ id: "bad-zone", cron: { pattern: "0 2 * * *", timezone: "Mars/Olympus_Mons" }, run }),
    ).toThrow(
      expect.objectContaining({
        code: "INVALID_SCHEDULE",
        message: expect.stringContaining("Mars/Olympus_Mons"),
      }),
    );
    for (const id of ["bad-fields", "bad-minute", "bad-step", "bad-zone"])
      expect(getTask(id)).toBeUndefined();
  });

  it("accepts the usual cron forms", () => {
    for (const cron of [
      "0 2 * * *",
      "*/15 * * * *",
      "0 9 * * MON-FRI",
      "0 0 1,15 * *",
      "0 0 L * *",
      "0 0 * * 5L",
      "0 0 * * 1#2",
      "0 0 * JAN-MAR sat-sun",
      "0-30/10 * * * *",
      "@daily",
      "*/5 * * * * *",
    ])
      expect(validateSchedule(cron, "Asia/Kolkata", "test")).toEqual({
        pattern: cron,
        timezone: "Asia/Kolkata",
      });
    expect(validateSchedule(" 0 2 * * * ", "utc", "test")).toEqual({ pattern: "0 2 * * *", timezone: "UTC" });
    expect(schedules.timezones().timezones).toContain("UTC");
    expect(schedules.timezones({ excludeUtc: true }).timezones).not.toContain("UTC");
  });

  it("describes cron patterns in words", () => {
    expect(describeCron("0 2 * * *")).toBe("At 02:00, every day");
    expect(describeCron("*/15 * * * *")).toBe("Every 15 minutes");
    expect(describeCron("0 9 * * MON-FRI")).toBe("At 09:00, only on Monday through Friday");
    expect(describeCron("* * * * * *")).toBe("Every second");
    expect(describeCron("30 * * * *")).toBe("At 30 minutes past the hour");
  });
});

for (const makeStore of STORES) {
  const store: TestStore = makeStore();

  describe(`schedules on ${store.name}`, () => {
    let db: Db;
    let engine: Engine;

    beforeAll(async () => {
      db = await store.open();
      engine = await startEngine({ db, ...ENGINE });
    });

    afterAll(async () => {
      await engine?.stop(2000);
      await db?.close();
      await store.dispose();
    });

    const slotsOf = async (scheduleId: string) =>
      (
        await db.query<{ slot_at: Date; run_id: string }>(
          "select slot_at, run_id from ms_schedule_slots where schedule_id = $1 order by slot_at",
          [scheduleId],
        )
      ).rows;

    const declarativeFor = async (taskId: string): Promise<ScheduleObject> => {
      const all = await schedules.list({ perPage: 100 });
      return all.data.find((s) => s.task === taskId && s.type === "DECLARATIVE")!;
    };

    it("syncs declarative schedules at start, shaped as Trigger.dev's schedule object", async () => {
      const s = await declarativeFor(nightly.id);
      expect(s).toMatchObject({
        task: "sched-nightly",
        type: "DECLARATIVE",
        active: true,
        deduplicationKey: "sched-nightly",
        generator: { type: "CRON", expression: "0 2 * * *", description: "At 02:00, every day" },
        timezone: "UTC",
        environments: [],
      });
      expect(s.id).toMatch(/^sched_[0-9a-z]{26}$/);
      expect(s.nextRun).toBeInstanceOf(Date);
      expect(s.nextRun!.getUTCHours()).toBe(2);
      expect(s.nextRun!.getUTCMinutes()).toBe(0);
      expect(s.nextRun!.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3600_000);
      expect((await declarativeFor("sched-every-second")).timezone).toBe("Europe/Paris");
    });

    it("fires a declarative seconds schedule with Trigger.dev's payload, within a second of each slot", async () => {
      const s = await declarativeFor("sched-every-second");
      await waitFor(() => byScheduleId(s.id).length >= 3 || undefined, { what: "three firings" });
      const [first, second, third] = byScheduleId(s.id);
      for (const p of [first!, second!, third!]) {
        expect(p.type).toBe("DECLARATIVE");
        expect(p.scheduleId).toBe(s.id);
        expect(p.timezone).toBe("Europe/Paris");
        expect(p.externalId).toBeUndefined();
        expect(p.timestamp).toBeInstanceOf(Date);
        expect(p.timestamp.getMilliseconds()).toBe(0);
        expect(p.upcoming).toHaveLength(10);
        expect(p.upcoming.every((d) => d instanceof Date)).toBe(true);
        expect(p.upcoming.map((d) => d.getTime() - p.timestamp.getTime())).toEqual(
          Array.from({ length: 10 }, (_, i) => (i + 1) * 1000),
        );
      }
      expect(first!.lastTimestamp).toBeUndefined(); // the first slot this store ever fired
      expect(second!.lastTimestamp).toEqual(first!.timestamp);
      expect(third!.lastTimestamp).toEqual(second!.timestamp);
      // consecutive slots (a pass stalled for over a second could skip one, never repeat one)
      expect(second!.timestamp.getTime() - first!.timestamp.getTime()).toBeGreaterThanOrEqual(1000);
      expect(second!.timestamp.getTime() % 1000).toBe(0);

      // One slot row per run, and each run was created soon after its slot (database time).
      const { rows } = await db.query<{ slot_at: Date; created_at: Date; payload: string }>(
        `select s.slot_at, r.created_at, r.payload from ms_schedule_slots s join ms_runs r on r.id = s.run_id
         where s.schedule_id = $1 order by s.slot_at limit 3`,
        [s.id],
      );
      expect(rows).toHaveLength(3);
      for (const row of rows) {
        expect(JSON.parse(row.payload).timestamp).toBe(row.slot_at.toISOString());
        // (a maintenance pass every 100 ms; the margin is for a loaded machine's stalls)
        expect(row.created_at.getTime() - row.slot_at.getTime()).toBeLessThan(3000);
      }
    });

    it("creates, retrieves, updates, deactivates, activates, lists and deletes imperative schedules", async () => {
      const created = await schedules.create({
        task: imperative.id,
        cron: "0 9 * * *",
        timezone: "America/New_York",
        externalId: "user_1",
        deduplicationKey: `lifecycle-${store.name}`,
      });
      expect(created).toMatchObject({
        task: "sched-imperative",
        type: "IMPERATIVE",
        active: true,
        deduplicationKey: `lifecycle-${store.name}`,
        externalId: "user_1",
        generator: { type: "CRON", expression: "0 9 * * *", description: "At 09:00, every day" },
        timezone: "America/New_York",
        environments: [],
      });
      expect(created.id).toMatch(/^sched_[0-9a-z]{26}$/);
      const nyTime = new Intl.DateTimeFormat("en-US", {
        timeZone: "America/New_York",
        hour: "2-digit",
        minute: "2-digit",
        hourCycle: "h23",
      });
      expect(nyTime.format(created.nextRun!)).toBe("09:00");
      expect(await schedules.retrieve(created.id)).toEqual(created);

      const updated = await schedules.update(created.id, { task: imperative.id, cron: "30 14 * * 1-5" });
      expect(updated).toMatchObject({
        id: created.id,
        timezone: "UTC", // omitted: back to UTC, as Trigger.dev does
        generator: { expression: "30 14 * * 1-5", description: "At 14:30, only on Monday through Friday" },
      });
      expect(updated.externalId).toBeUndefined();
      expect(updated.nextRun!.getUTCHours()).toBe(14);
      expect([1, 2, 3, 4, 5]).toContain(updated.nextRun!.getUTCDay());

      const off = await schedules.deactivate(created.id);
      expect(off.active).toBe(false);
      expect(off.nextRun).toBeUndefined();
      expect((await schedules.retrieve(created.id)).active).toBe(false);
      const on = await schedules.activate(created.id);
      expect(on.active).toBe(true);
      expect(on.nextRun).toEqual(updated.nextRun);

      const page = await schedules.list({ page: 1, perPage: 100 });
      expect(page.data.map((s) => s.id)).toContain(created.id);
      expect(page.pagination).toMatchObject({ currentPage: 1, count: page.data.length, totalPages: 1 });
      const small = await schedules.list({ page: 2, perPage: 1 });
      expect(small.data).toHaveLength(1);
      expect(small.pagination.totalPages).toBe(page.pagination.count);

      expect(await schedules.del(created.id)).toEqual({ id: created.id });
      await expect(schedules.retrieve(created.id)).rejects.toMatchObject({ code: "SCHEDULE_NOT_FOUND" });
      for (const call of [
        () => schedules.del(created.id),
        () => schedules.activate(created.id),
        () => schedules.deactivate(created.id),
        () => schedules.update(created.id, { task: imperative.id, cron: "0 1 * * *" }),
      ])
        await expect(call()).rejects.toMatchObject({ code: "SCHEDULE_NOT_FOUND" });
    });

    it("create with an existing deduplicationKey updates that schedule instead of adding one", async () => {
      const key = `dedup-${store.name}`;
      const count = async () =>
        Number((await db.query<{ n: number }>("select count(*)::int as n from ms_schedules")).rows[0]!.n);
      const first = await schedules.create({ task: imperative.id, cron: "0 1 * * *", deduplicationKey: key });
      const before = await count();
      const again = await schedules.create({
        task: imperative.id,
        cron: "0 3 * * *",
        timezone: "Asia/Tokyo",
        externalId: "org_9",
        deduplicationKey: key,
      });
      expect(again.id).toBe(first.id);
      expect(again).toMatchObject({
        timezone: "Asia/Tokyo",
        externalId: "org_9",
        generator: { expression: "0 3 * * *" },
      });
      expect(await count()).toBe(before);
      // Concurrent creates with one key: still one schedule.
      const racing = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          schedules.create({
            task: imperative.id,
            cron: `0 ${i} * * *`,
            deduplicationKey: `race-${store.name}`,
          }),
        ),
      );
      expect(new Set(racing.map((s) => s.id)).size).toBe(1);
      await schedules.del(first.id);
      await schedules.del(racing[0]!.id);
    });

    it("invalid cron, time zone, task or id are clear errors with codes, and create nothing", async () => {
      const count = async () =>
        Number((await db.query<{ n: number }>("select count(*)::int as n from ms_schedules")).rows[0]!.n);
      const before = await count();
      await expect(
        schedules.create({ task: imperative.id, cron: "61 * * * *", deduplicationKey: "bad-1" }),
      ).rejects.toMatchObject({ code: "INVALID_SCHEDULE", message: expect.stringContaining("minute field") });
      await expect(
        schedules.create({ task: imperative.id, cron: "0 0 31 2 *", deduplicationKey: "bad-2" }),
      ).rejects.toMatchObject({
        code: "INVALID_SCHEDULE",
        message: expect.stringContaining("never matches"),
      });
      await expect(
        schedules.create({
          task: imperative.id,
          cron: "0 2 * * *",
          timezone: "Nowhere/City",
          deduplicationKey: "bad-3",
        }),
      ).rejects.toMatchObject({ code: "INVALID_SCHEDULE", message: expect.stringContaining("Nowhere/City") });
      await expect(
        schedules.create({ task: "no-such-task", cron: "0 2 * * *", deduplicationKey: "bad-4" }),
      ).rejects.toMatchObject({ code: "TASK_NOT_FOUND" });
      await expect(
        schedules.create({ task: plain.id, cron: "0 2 * * *", deduplicationKey: "bad-5" }),
      ).rejects.toMatchObject({
        code: "INVALID_SCHEDULE",
        message: expect.stringContaining("not a scheduled task"),
      });
      await expect(
        schedules.create({ task: imperative.id, cron: "0 2 * * *" } as never),
      ).rejects.toMatchObject({
        code: "INVALID_SCHEDULE",
        message: expect.stringContaining("deduplicationKey"),
      });
      expect(await count()).toBe(before);

      const nightlySchedule = await declarativeFor("sched-nightly");
      await expect(
        schedules.update(nightlySchedule.id, { task: "sched-nightly", cron: "0 3 * * *" }),
      ).rejects.toMatchObject({ code: "INVALID_SCHEDULE", message: expect.stringContaining("DECLARATIVE") });
      await expect(schedules.del(nightlySchedule.id)).rejects.toMatchObject({ code: "INVALID_SCHEDULE" });
      await expect(schedules.retrieve("sched_nope")).rejects.toMatchObject({ code: "SCHEDULE_NOT_FOUND" });
      await expect(schedules.list({ perPage: 0 })).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    });

    it("fires imperative schedules with their externalId; a deactivated one stops firing", async () => {
      const s = await schedules.create({
        task: imperative.id,
        cron: "* * * * * *",
        externalId: "user_42",
        deduplicationKey: `fire-${store.name}`,
      });
      await waitFor(() => byScheduleId(s.id).length >= 2 || undefined, { what: "two imperative firings" });
      const [a, b] = byScheduleId(s.id);
      expect(a).toMatchObject({
        type: "IMPERATIVE",
        scheduleId: s.id,
        externalId: "user_42",
        timezone: "UTC",
      });
      expect(b!.lastTimestamp).toEqual(a!.timestamp);
      await schedules.deactivate(s.id);
      const fired = (await slotsOf(s.id)).length;
      await sleep(1500);
      expect((await slotsOf(s.id)).length).toBe(fired);
      await schedules.del(s.id);
      expect(await slotsOf(s.id)).toHaveLength(0); // slots go with their schedule
    });

    it("a scheduled task defined after start fires on its own queue, written before its first run", async () => {
      const lateFired: string[] = [];
      const late = schedules.task({
        id: `late-scheduled-${store.name}`,
        queue: { name: `late-scheduled-queue-${store.name}`, concurrencyLimit: 1 },
        run: async (payload) => {
          lateFired.push(payload.scheduleId);
        },
      });
      const s = await schedules.create({
        task: late.id,
        cron: "* * * * * *",
        deduplicationKey: `late-${store.name}`,
      });
      await waitFor(() => lateFired.includes(s.id) || undefined, { what: "the late task to fire" });
      const queue = (await engine.queues()).find((q) => q.name === `late-scheduled-queue-${store.name}`);
      expect(queue?.concurrencyLimit).toBe(1);
      await schedules.del(s.id).catch(async () => {
        await schedules.deactivate(s.id);
        await schedules.del(s.id);
      });
    });

    it("after downtime fires only the latest missed slot once, not a backlog", async () => {
      const s = await schedules.create({
        task: imperative.id,
        cron: "* * * * * *",
        deduplicationKey: `missed-${store.name}`,
      });
      await schedules.deactivate(s.id);
      const lastBefore = (await slotsOf(s.id)).at(-1)?.slot_at;
      // As if every process had been down for a day: due a day ago, then back.
      const { rows } = await db.query<{ t0: Date }>(
        `update ms_schedules set active = true, deactivated_by = null, next_run_at = now() - interval '1 day'
         where id = $1 returning now() as t0`,
        [s.id],
      );
      const t0 = rows[0]!.t0;
      await waitFor(
        () => byScheduleId(s.id).some((p) => !lastBefore || p.timestamp > lastBefore) || undefined,
        {
          what: "the catch-up firing",
        },
      );
      await sleep(1200);
      await schedules.deactivate(s.id);
      const after = (await slotsOf(s.id)).filter((x) => !lastBefore || x.slot_at > lastBefore);
      // The first slot fired is the latest one at the time, not one from a day ago...
      expect(t0.getTime() - after[0]!.slot_at.getTime()).toBeLessThan(1000);
      // ...and then one per second: no backlog of 86,400.
      const span = (after.at(-1)!.slot_at.getTime() - after[0]!.slot_at.getTime()) / 1000;
      expect(after.length).toBeLessThanOrEqual(span + 1);
      expect(after.length).toBeLessThan(10);
      const catchUp = byScheduleId(s.id).find((p) => p.timestamp.getTime() === after[0]!.slot_at.getTime());
      expect(catchUp?.lastTimestamp).toEqual(lastBefore ?? undefined);
      await schedules.del(s.id);
    });

    it("start deactivates declarative schedules whose task is gone, and reactivates them when it is back", async () => {
      await db.query(
        `insert into ms_schedules (id, task_id, type, deduplication_key, cron, timezone, next_run_at)
         values ('sched_gone', 'gone-task', 'DECLARATIVE', 'gone-task', '0 4 * * *', 'UTC', now() + interval '1 hour')`,
      );
      // a declared schedule that sync had deactivated comes back; one changed elsewhere is restored
      await db.query(
        `update ms_schedules set active = false, deactivated_by = 'sync', cron = '0 5 * * *'
         where type = 'DECLARATIVE' and task_id = 'sched-nightly'`,
      );
      await engine.schedules.syncDeclarative();
      expect(await schedules.retrieve("sched_gone")).toMatchObject({ active: false, nextRun: undefined });
      const nightlyNow = await declarativeFor("sched-nightly");
      expect(nightlyNow).toMatchObject({ active: true, generator: { expression: "0 2 * * *" } });
      expect(nightlyNow.nextRun!.getUTCHours()).toBe(2);
      // a declarative schedule the user deactivated stays deactivated across starts
      await schedules.deactivate(nightlyNow.id);
      await engine.schedules.syncDeclarative();
      expect((await schedules.retrieve(nightlyNow.id)).active).toBe(false);
      await schedules.activate(nightlyNow.id);
      // once its task is gone, a declarative schedule may be deleted
      expect(await schedules.del("sched_gone")).toEqual({ id: "sched_gone" });
    });
  });
}

describe("exactly once across engines on one PostgreSQL schema", () => {
  let schema: string;
  const dbs: Db[] = [];
  const engines: Engine[] = [];

  beforeAll(async () => {
    schema = await createSchema();
    for (let i = 0; i < 3; i++) {
      const db = await openPostgres({ connectionString: TEST_DATABASE_URL, schema, maxConnections: 5 });
      dbs.push(db);
      engines.push(
        await startEngine({ db, ...ENGINE, maintenance: { intervalMs: 50 }, registerRuntime: false }),
      );
    }
  });

  afterAll(async () => {
    for (const e of engines) await e.stop(2000);
    for (const db of dbs) await db.close();
    if (schema) await dropSchema(schema);
  });

  it("three engines, each with maintenance on, fire every slot of 20 per-second schedules once", async () => {
    const [a, b, c] = engines as [Engine, Engine, Engine];
    const created: ScheduleObject[] = [];
    for (let i = 0; i < 20; i++) {
      const via = [a, b, c][i % 3]!;
      created.push(
        await via.schedules.create({
          task: imperative.id,
          cron: "* * * * * *",
          deduplicationKey: `once-${i}`,
        }),
      );
    }
    await sleep(3500);
    for (const s of created) await a.schedules.deactivate(s.id);
    const declared = (await a.schedules.list({ perPage: 100 })).data.find((s) => s.task === everySecond.id)!;
    await a.schedules.deactivate(declared.id);
    await sleep(300); // runs fired just before the deactivation commit

    const db = dbs[0]!;
    const ids = [...created.map((s) => s.id), declared.id];
    const slots = await db.query<{ schedule_id: string; slot_at: Date; run_id: string }>(
      "select schedule_id, slot_at, run_id from ms_schedule_slots where schedule_id = any($1::text[])",
      [ids],
    );
    // Every schedule fired, about once a second.
    for (const id of ids) {
      const n = slots.rows.filter((r) => r.schedule_id === id).length;
      expect(n).toBeGreaterThanOrEqual(2);
      expect(n).toBeLessThanOrEqual(6);
    }
    // One run per slot, and no two runs of one schedule for the same timestamp.
    const runs = await db.query<{ id: string; payload: string }>(
      "select id, payload from ms_runs where task_id in ($1, $2)",
      [imperative.id, everySecond.id],
    );
    expect(runs.rows.length).toBe(slots.rows.length);
    const keys = runs.rows.map((r) => {
      const p = JSON.parse(r.payload) as { scheduleId: string; timestamp: string };
      return `${p.scheduleId}@${p.timestamp}`;
    });
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(slots.rows.map((r) => r.run_id))).toEqual(new Set(runs.rows.map((r) => r.id)));
    // And every one of those runs was executed.
    await waitFor(
      async () => {
        const { rows } = await db.query<{ n: number }>(
          "select count(*)::int as n from ms_runs where task_id in ($1, $2) and status <> 'COMPLETED'",
          [imperative.id, everySecond.id],
        );
        return rows[0]!.n === 0;
      },
      { what: "all scheduled runs to complete" },
    );
  });
});
