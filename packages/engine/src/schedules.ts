import {
  allTasks,
  type CreateScheduleOptions,
  type DeletedScheduleObject,
  declarativeSchedules,
  getTask,
  type ListScheduleOptions,
  type MainspringConfig,
  MainspringError,
  type ScheduledTaskPayload,
  type ScheduleListPage,
  type ScheduleObject,
  type ScheduleRuntime,
  scheduledTaskIds,
  type UpdateScheduleOptions,
} from "@mainspring/sdk";
import type { Cron } from "croner";
import { monotonicFactory } from "ulid";
import { compile, cronOf, describeCron, nextSlot, slotToFire } from "./cron.js";
import type { Limits } from "./limits.js";
import { checkOptions, checkTask, declarative, notFound } from "./schedule-input.js";
import {
  type DueRow,
  dbNow,
  deleteSchedule,
  type Firing,
  getSchedule,
  insertImperative,
  listSchedules,
  lockDueSchedules,
  lockSchedule,
  nextScheduleDueInMs,
  recordSlots,
  type ScheduleRow,
  syncDeclarativeSchedules,
  writeSchedule,
} from "./sql/schedules.js";
import { insertRuns, type NewRun } from "./sql/trigger.js";
import type { Db, Queryable } from "./store/db.js";
import { prepareRun } from "./triggering.js";

const ulid = monotonicFactory();
const newScheduleId = (): string => `sched_${ulid().toLowerCase()}`;

/** Slots listed in a payload's `upcoming`. */
const UPCOMING = 10;
/** Schedules fired per transaction. */
const FIRE_BATCH = 100;
/** When a due schedule is held by another process, look again this soon. */
const RETRY_HELD_MS = 25;

export interface ScheduleServiceOptions {
  db: Db;
  config: MainspringConfig;
  limits: Limits;
  /** Asks the maintenance loop for a pass in `ms` (a new schedule may be due before the next one). */
  poke?: (ms: number) => void;
  /** Writes queues not yet in the database (a scheduled task imported after start). */
  ensureQueues?: (names: string[]) => Promise<void>;
  onError: (error: unknown, where: string) => void;
}

function toScheduleObject(row: ScheduleRow): ScheduleObject {
  return {
    id: row.id,
    task: row.task_id,
    type: row.type,
    active: row.active,
    deduplicationKey: row.deduplication_key,
    externalId: row.external_id ?? undefined,
    generator: { type: "CRON", expression: row.cron, description: describeCron(row.cron) },
    timezone: row.timezone,
    nextRun: row.active && row.next_run_at ? row.next_run_at : undefined,
    environments: [],
  };
}

/**
 * Schedules: the imperative API (the SDK's `schedules.*` through the runtime), the sync of
 * declarative schedules at start, and `tick()`, which the maintenance pass calls to fire due
 * slots. Every slot fires exactly once across all processes: see `fireBatch`.
 */
export class ScheduleService implements ScheduleRuntime {
  constructor(private readonly options: ScheduleServiceOptions) {}

  private get db(): Db {
    return this.options.db;
  }

  // ---- imperative API ----

  async create(options: CreateScheduleOptions): Promise<ScheduleObject> {
    const o = checkOptions(options, true);
    const where = `Schedule "${o.deduplicationKey}"`;
    checkTask(o.task);
    const now = await dbNow(this.db);
    const c = compile(o.cron, o.timezone, where, now);
    const row = await this.db.transaction(async (tx) => {
      const existing = await lockSchedule(tx, { deduplicationKey: o.deduplicationKey! });
      if (existing) return this.rewrite(tx, existing, o.task, c, o.externalId);
      const inserted = await insertImperative(tx, {
        id: newScheduleId(),
        task_id: o.task,
        deduplication_key: o.deduplicationKey!,
        external_id: o.externalId ?? null,
        cron: c.pattern,
        timezone: c.timezone,
        next_run_at: c.cron.nextRun(now),
      });
      if (inserted) return inserted;
      // A concurrent create with this key committed first: update the row it made.
      const raced = await lockSchedule(tx, { deduplicationKey: o.deduplicationKey! });
      return this.rewrite(tx, raced!, o.task, c, o.externalId);
    });
    this.pokeFor(row);
    return toScheduleObject(row);
  }

  async retrieve(scheduleId: string): Promise<ScheduleObject> {
    const row = await getSchedule(this.db, scheduleId);
    if (!row) throw notFound(scheduleId);
    return toScheduleObject(row);
  }

  async update(scheduleId: string, options: UpdateScheduleOptions): Promise<ScheduleObject> {
    const o = checkOptions(options, false);
    checkTask(o.task);
    const now = await dbNow(this.db);
    const c = compile(o.cron, o.timezone, `Schedule "${scheduleId}"`, now);
    const row = await this.db.transaction(async (tx) => {
      const existing = await lockSchedule(tx, { id: scheduleId });
      if (!existing) throw notFound(scheduleId);
      if (existing.type === "DECLARATIVE") throw declarative(existing, "updated");
      return this.rewrite(tx, existing, o.task, c, o.externalId);
    });
    this.pokeFor(row);
    return toScheduleObject(row);
  }

  async del(scheduleId: string): Promise<DeletedScheduleObject> {
    if (await deleteSchedule(this.db, scheduleId)) return { id: scheduleId };
    const row = await getSchedule(this.db, scheduleId);
    if (!row) throw notFound(scheduleId);
    throw declarative(row, "deleted");
  }

  async activate(scheduleId: string): Promise<ScheduleObject> {
    const row = await this.db.transaction(async (tx) => {
      const existing = await lockSchedule(tx, { id: scheduleId });
      if (!existing) throw notFound(scheduleId);
      if (existing.active) return existing;
      // The slots missed while inactive are not fired: the next one is after now.
      let next: Date | null = null;
      try {
        next = cronOf(existing.cron, existing.timezone).nextRun(existing.db_now);
      } catch {
        // a stored pattern this croner rejects never fires; update() can fix it
      }
      return writeSchedule(tx, existing.id, {
        ...existing,
        next_run_at: next,
        active: true,
        deactivated_by: null,
      });
    });
    this.pokeFor(row);
    return toScheduleObject(row);
  }

  async deactivate(scheduleId: string): Promise<ScheduleObject> {
    const row = await this.db.transaction(async (tx) => {
      const existing = await lockSchedule(tx, { id: scheduleId });
      if (!existing) throw notFound(scheduleId);
      // Also over a sync deactivation: the user's choice then survives the task's return.
      if (!existing.active && existing.deactivated_by === "user") return existing;
      return writeSchedule(tx, existing.id, { ...existing, active: false, deactivated_by: "user" });
    });
    return toScheduleObject(row);
  }

  async list(options: ListScheduleOptions = {}): Promise<ScheduleListPage> {
    const page = options.page ?? 1;
    const perPage = options.perPage ?? 10;
    if (!Number.isInteger(page) || page < 1)
      throw new MainspringError("INVALID_OPTIONS", `page must be an integer of at least 1, got ${page}`);
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100)
      throw new MainspringError(
        "INVALID_OPTIONS",
        `perPage must be an integer from 1 to 100, got ${perPage}`,
      );
    const { rows, count } = await listSchedules(this.db, perPage, (page - 1) * perPage);
    return {
      data: rows.map(toScheduleObject),
      pagination: { currentPage: page, totalPages: Math.ceil(count / perPage), count },
    };
  }

  /**
   * Validates a pattern and time zone exactly as create/update do, and returns its description
   * and next `count` slots from the database's clock (the dashboard's live cron check).
   */
  async preview(
    cron: string,
    timezone: string | undefined,
    count = 5,
  ): Promise<{ cron: string; timezone: string; description: string; nextRuns: Date[] }> {
    const now = await dbNow(this.db);
    const c = compile(cron, timezone, "Schedule", now);
    return {
      cron: c.pattern,
      timezone: c.timezone,
      description: describeCron(c.pattern),
      nextRuns: c.cron.nextRuns(Math.min(Math.max(count, 1), 20), now),
    };
  }

  /** Writes new settings to a locked row; a changed pattern or time zone takes the next slot from now. */
  private rewrite(
    tx: Queryable,
    row: ScheduleRow & { db_now: Date },
    task: string,
    c: { pattern: string; timezone: string; cron: Cron },
    externalId: string | undefined,
  ): Promise<ScheduleRow> {
    const changed = row.cron !== c.pattern || row.timezone !== c.timezone || row.next_run_at === null;
    return writeSchedule(tx, row.id, {
      task_id: task,
      external_id: externalId ?? null,
      cron: c.pattern,
      timezone: c.timezone,
      next_run_at: changed ? c.cron.nextRun(row.db_now) : row.next_run_at,
      active: row.active,
      deactivated_by: row.deactivated_by,
    });
  }

  /** Asks for a maintenance pass when the row's next slot is due (updated_at is the database's now). */
  private pokeFor(row: ScheduleRow): void {
    if (!row.active || !row.next_run_at || !this.options.poke) return;
    this.options.poke(Math.max(0, row.next_run_at.getTime() - row.updated_at.getTime()) + 5);
  }

  // ---- declarative schedules ----

  /**
   * Creates or updates the schedules declared with `schedules.task({ cron })` in this process
   * (deduplication key = task id), and deactivates declarative schedules whose task no longer
   * declares one. A process that has loaded no task code at all deactivates nothing.
   */
  async syncDeclarative(): Promise<void> {
    const declared = declarativeSchedules();
    const deactivateMissing = allTasks().length > 0;
    if (declared.length === 0 && !deactivateMissing) return;
    await this.db.transaction(async (tx) => {
      const now = await dbNow(tx);
      const rows = declared.map((d) => {
        const c = compile(d.pattern, d.timezone, `Scheduled task "${d.task}"`, now);
        return {
          id: newScheduleId(),
          task_id: d.task,
          cron: c.pattern,
          timezone: c.timezone,
          next_run_at: c.cron.nextRun(now)?.toISOString() ?? null,
        };
      });
      await syncDeclarativeSchedules(tx, rows, deactivateMissing);
    });
  }

  // ---- firing ----

  /**
   * Fires every due slot of the scheduled tasks this process knows, then returns the ms until
   * the next one is due (undefined: none active), so the maintenance pass can sleep until then.
   */
  async tick(): Promise<number | undefined> {
    const taskIds = scheduledTaskIds();
    if (taskIds.length === 0) return undefined;
    const due = await nextScheduleDueInMs(this.db, taskIds);
    if (due === undefined || due > 0) return due;
    // Outside the firing transaction: PGlite has one connection, and the transaction holds it.
    const queues = taskIds.map((id) => getTask(id)?.queueName).filter((q): q is string => q !== undefined);
    await this.options.ensureQueues?.(queues);
    while ((await this.fireBatch(taskIds)) === FIRE_BATCH) {}
    const next = await nextScheduleDueInMs(this.db, taskIds);
    // Still due: another process holds it right now (SKIP LOCKED) and is firing it.
    return next === undefined ? undefined : next > 0 ? next : RETRY_HELD_MS;
  }

  /**
   * One firing transaction: lock due schedules (SKIP LOCKED), insert one slot row each (unique
   * per schedule and slot), insert the runs of the slots inserted, advance next_run_at, commit.
   * A slot row, its run and the schedule's new next_run_at commit together or not at all; a
   * process that dies mid-way leaves the schedule due for the next pass anywhere.
   */
  private fireBatch(taskIds: string[]): Promise<number> {
    return this.db.transaction(async (tx) => {
      const due = await lockDueSchedules(tx, taskIds, FIRE_BATCH);
      const firings: Firing[] = [];
      const runs = new Map<string, NewRun>();
      for (const row of due) {
        try {
          const { firing, run } = this.prepareFiring(row);
          firings.push(firing);
          runs.set(row.id, run);
        } catch (error) {
          // The run cannot be built (e.g. an unknown queue): skip to the following slot, so one
          // broken schedule cannot hold the others back.
          this.options.onError(error, `schedule ${row.id} (${row.task_id})`);
          let next: Date | null = null;
          try {
            next = cronOf(row.cron, row.timezone).nextRun(row.db_now);
          } catch {
            // an unparseable stored pattern: next_run_at null, it never fires until updated
          }
          firings.push({
            schedule_id: row.id,
            slot_at: null,
            run_id: null,
            next_run_at: next?.toISOString() ?? null,
          });
        }
      }
      const inserted = await recordSlots(tx, firings);
      await insertRuns(
        tx,
        inserted.map((slot) => runs.get(slot.schedule_id)!),
      );
      return due.length;
    });
  }

  private prepareFiring(row: DueRow): { firing: Firing; run: NewRun } {
    const cron = cronOf(row.cron, row.timezone);
    const slot = slotToFire(cron, row.next_run_at, row.db_now);
    const payload: ScheduledTaskPayload = {
      type: row.type,
      timestamp: slot,
      lastTimestamp: row.last_run_at ?? undefined,
      timezone: row.timezone,
      scheduleId: row.id,
      externalId: row.external_id ?? undefined,
      upcoming: cron.nextRuns(UPCOMING, slot),
    };
    const prepared = prepareRun(row.task_id, payload, undefined, {
      config: this.options.config,
      limits: this.options.limits,
      where: `for schedule "${row.id}"`,
    });
    // A scheduled run has no parent, whatever async context the maintenance timer carries.
    const run: NewRun = { ...prepared.run, parent_run_id: null, root_run_id: null, depth: 0 };
    const next = nextSlot(cron, slot, row.db_now);
    return {
      run,
      firing: {
        schedule_id: row.id,
        slot_at: slot.toISOString(),
        run_id: run.id,
        next_run_at: next?.toISOString() ?? null,
      },
    };
  }
}
