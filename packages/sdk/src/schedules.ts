import { MainspringError } from "./errors.js";
import { getRuntime } from "./runtime.js";
import { task as defineTask, type Task, type TaskOptions } from "./task.js";

/**
 * Trigger.dev's scheduled tasks: `schedules.task({ cron })` declares a schedule in code; the
 * imperative functions (`create`, `update`, `del`, `activate`, `deactivate`, `list`) manage
 * schedules at run time. The engine fires each slot of a schedule exactly once.
 */

export type ScheduleType = "DECLARATIVE" | "IMPERATIVE";

/** What a scheduled task's `run` receives (Trigger.dev's `ScheduledTaskPayload`). */
export interface ScheduledTaskPayload {
  /** DECLARATIVE (cron on the task) or IMPERATIVE (`schedules.create`). */
  type: ScheduleType;
  /** The slot this run is for, not the moment it started. */
  timestamp: Date;
  /** The previous slot that fired, if any. */
  lastTimestamp?: Date;
  /** IANA time zone the cron is evaluated in ("UTC" unless set). */
  timezone: string;
  scheduleId: string;
  externalId?: string;
  /** The next 10 slots after `timestamp`. */
  upcoming: Date[];
}

/** A schedule as the imperative API returns it (Trigger.dev's schedule object). */
export interface ScheduleObject {
  /** `sched_…` */
  id: string;
  task: string;
  type: ScheduleType;
  active: boolean;
  deduplicationKey?: string;
  externalId?: string;
  generator: { type: "CRON"; expression: string; description: string };
  timezone: string;
  /** The next slot; undefined while the schedule is inactive. */
  nextRun?: Date;
  /** Trigger.dev lists the environments a schedule runs in; Mainspring has one. */
  environments: Array<{ id: string; type: string; userName?: string }>;
}

export interface CreateScheduleOptions {
  /** The id of a task defined with `schedules.task()`. */
  task: string;
  /** A cron pattern: 5 fields (minute precision) or 6 (with seconds first). */
  cron: string;
  /** IANA time zone, e.g. "America/New_York". Default "UTC". */
  timezone?: string;
  /** Anything useful to you, e.g. a user id; passed to each run as `externalId`. */
  externalId?: string;
  /** Creating again with the same key updates that schedule instead of adding another. */
  deduplicationKey: string;
}

/** `update` replaces the cron, time zone and external id (an omitted one is cleared). */
export type UpdateScheduleOptions = Omit<CreateScheduleOptions, "deduplicationKey">;

export interface ListScheduleOptions {
  /** 1-based. Default 1. */
  page?: number;
  /** Default 10, at most 100. */
  perPage?: number;
}

export interface ScheduleListPage {
  data: ScheduleObject[];
  pagination: { currentPage: number; totalPages: number; count: number };
}

export interface DeletedScheduleObject {
  id: string;
}

/**
 * Where the imperative schedule functions go: the engine in-process, or (later) an HTTP
 * client. Part of `TaskRuntime` as its `schedules` property.
 */
export interface ScheduleRuntime {
  create(options: CreateScheduleOptions): Promise<ScheduleObject>;
  retrieve(scheduleId: string): Promise<ScheduleObject>;
  update(scheduleId: string, options: UpdateScheduleOptions): Promise<ScheduleObject>;
  del(scheduleId: string): Promise<DeletedScheduleObject>;
  activate(scheduleId: string): Promise<ScheduleObject>;
  deactivate(scheduleId: string): Promise<ScheduleObject>;
  list(options?: ListScheduleOptions): Promise<ScheduleListPage>;
}

// ---- cron and time zone validation ----

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const SECOND: FieldSpec = { name: "second", min: 0, max: 59 };
const MINUTE: FieldSpec = { name: "minute", min: 0, max: 59 };
const HOUR: FieldSpec = { name: "hour", min: 0, max: 23 };
const DAY: FieldSpec = { name: "day of month", min: 1, max: 31 };
const MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const MONTH: FieldSpec = { name: "month", min: 1, max: 12, names: MONTH_NAMES };
const DOW_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const WEEKDAY: FieldSpec = { name: "day of week", min: 0, max: 7, names: DOW_NAMES };

const NICKNAMES = new Set(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]);

function value(text: string, spec: FieldSpec, offset: number): number | string {
  const upper = text.toUpperCase();
  const named = spec.names?.indexOf(upper) ?? -1;
  if (named >= 0) return named + offset;
  if (!/^\d+$/.test(text)) return `"${text}" is not a number${spec.names ? " or a name" : ""}`;
  const n = Number(text);
  if (n < spec.min || n > spec.max) return `${n} is outside ${spec.min}-${spec.max}`;
  return n;
}

/** Returns a problem with one cron field, or undefined when it is valid. */
function fieldProblem(field: string, spec: FieldSpec): string | undefined {
  const offset = spec === MONTH ? 1 : 0;
  for (const item of field.split(",")) {
    if (item === "") return "has an empty list item";
    if (item === "?" && (spec === DAY || spec === WEEKDAY)) continue;
    if (spec === DAY && (item === "L" || item === "LW" || /^\d+W$/.test(item))) {
      if (item.endsWith("W") && item !== "LW") {
        const day = value(item.slice(0, -1), spec, 0);
        if (typeof day === "string") return day;
      }
      continue;
    }
    if (spec === WEEKDAY && /^[^#]+(#([1-5]|L)|L)$/.test(item)) {
      const day = value(item.replace(/(#.*|L)$/, ""), spec, 0);
      if (typeof day === "string") return day;
      continue;
    }
    const [range, step, extra] = item.split("/");
    if (extra !== undefined) return `"${item}" has more than one "/"`;
    if (step !== undefined) {
      if (!/^\d+$/.test(step) || Number(step) === 0) return `"${item}": the step must be a positive integer`;
      if (range !== "*" && !range!.includes("-"))
        return `"${item}": a step needs "*" or a range before it, e.g. "*/${step}" or "0-30/${step}"`;
    }
    if (range === "*") continue;
    const bounds = range!.split("-");
    if (bounds.length > 2) return `"${item}" is not a value or a range`;
    const from = value(bounds[0]!, spec, offset);
    if (typeof from === "string") return from;
    if (bounds.length === 2) {
      let to = value(bounds[1]!, spec, offset);
      if (typeof to === "string") return to;
      if (spec === WEEKDAY && to === 0 && from > 0) to = 7; // "SAT-SUN"
      if (from > to) return `"${item}": the range goes backwards`;
    }
  }
  return undefined;
}

/**
 * Checks a cron pattern and a time zone; returns them normalised (pattern trimmed, time zone in
 * its canonical spelling). Throws INVALID_SCHEDULE naming the problem. Patterns have 5 fields
 * (minute hour day-of-month month day-of-week) or 6 (a seconds field first); names (JAN, MON),
 * lists, ranges, steps, `L`, `W`, `#` and the nicknames @hourly, @daily, @weekly, @monthly and
 * @yearly are accepted.
 */
export function validateSchedule(
  cron: string,
  timezone: string | undefined,
  where: string,
): { pattern: string; timezone: string } {
  if (typeof cron !== "string" || cron.trim() === "") {
    throw new MainspringError("INVALID_SCHEDULE", `${where}: the cron pattern is empty`);
  }
  const pattern = cron.trim();
  if (!NICKNAMES.has(pattern.toLowerCase())) {
    const fields = pattern.split(/\s+/);
    const specs =
      fields.length === 5
        ? [MINUTE, HOUR, DAY, MONTH, WEEKDAY]
        : fields.length === 6
          ? [SECOND, MINUTE, HOUR, DAY, MONTH, WEEKDAY]
          : undefined;
    if (!specs) {
      throw new MainspringError(
        "INVALID_SCHEDULE",
        `${where}: invalid cron pattern "${pattern}": it has ${fields.length} fields; use 5 ` +
          `("minute hour day-of-month month day-of-week", e.g. "0 2 * * *") or 6 with seconds first`,
      );
    }
    for (let i = 0; i < specs.length; i++) {
      const problem = fieldProblem(fields[i]!, specs[i]!);
      if (problem) {
        throw new MainspringError(
          "INVALID_SCHEDULE",
          `${where}: invalid cron pattern "${pattern}": the ${specs[i]!.name} field ${problem}`,
        );
      }
    }
  }
  return { pattern, timezone: validateTimezone(timezone ?? "UTC", where) };
}

function validateTimezone(timezone: string, where: string): string {
  try {
    if (typeof timezone !== "string" || timezone === "") throw new RangeError("empty");
    const resolved = new Intl.DateTimeFormat("en-US", { timeZone: timezone }).resolvedOptions().timeZone;
    // Fix the case ("utc" -> "UTC") but keep a valid alias as written ("Asia/Kolkata", not ICU's "Asia/Calcutta").
    return resolved.toLowerCase() === timezone.toLowerCase() ? resolved : timezone;
  } catch {
    throw new MainspringError(
      "INVALID_SCHEDULE",
      `${where}: "${timezone}" is not a time zone. Use an IANA name such as "UTC", "Europe/London" ` +
        `or "America/New_York" (schedules.timezones() lists them).`,
    );
  }
}

// ---- declarative scheduled tasks ----

/** A schedule declared in code, as the engine syncs it at start. */
export interface DeclarativeSchedule {
  task: string;
  pattern: string;
  timezone: string;
}

const scheduled = new Map<string, DeclarativeSchedule | undefined>();

/** Ids of every task defined with `schedules.task()` in this process (with or without `cron`). */
export function scheduledTaskIds(): string[] {
  return [...scheduled.keys()];
}

/** The schedules declared with `cron` on `schedules.task()` in this process. */
export function declarativeSchedules(): DeclarativeSchedule[] {
  return [...scheduled.values()].filter((s): s is DeclarativeSchedule => s !== undefined);
}

export type ScheduleCron = string | { pattern: string; timezone?: string; environments?: string[] };

export type ScheduleOptions<TId extends string, TOutput, TInit = unknown> = TaskOptions<
  TId,
  ScheduledTaskPayload,
  TOutput,
  TInit
> & {
  /** A cron string (UTC) or `{ pattern, timezone }`. Omit it to attach schedules with `schedules.create`. */
  cron?: ScheduleCron;
};

const toDate = (v: unknown): Date => (v instanceof Date ? v : new Date(v as string));

/** Payloads are stored as JSON: turn the ISO strings back into Dates. */
function revivePayload(raw: unknown): ScheduledTaskPayload {
  if (raw === null || typeof raw !== "object") return raw as ScheduledTaskPayload;
  const p = raw as Record<string, unknown>;
  return {
    ...(p as unknown as ScheduledTaskPayload),
    timestamp: toDate(p.timestamp),
    lastTimestamp:
      p.lastTimestamp === undefined || p.lastTimestamp === null ? undefined : toDate(p.lastTimestamp),
    upcoming: Array.isArray(p.upcoming) ? p.upcoming.map(toDate) : [],
  };
}

/**
 * Defines a scheduled task (Trigger.dev's `schedules.task`). With `cron`, the schedule is
 * declarative: the engine creates or updates it when it starts. A bad pattern or time zone is
 * an INVALID_SCHEDULE error here, when the task is defined.
 */
function scheduledTask<TId extends string, TOutput, TInit = unknown>(
  options: ScheduleOptions<TId, TOutput, TInit>,
): Task<TId, ScheduledTaskPayload, Awaited<TOutput>> {
  const { cron, ...taskOptions } = options;
  let declared: DeclarativeSchedule | undefined;
  if (cron !== undefined) {
    const where = `Scheduled task "${options.id}"`;
    const spec = typeof cron === "string" ? { pattern: cron, timezone: "UTC" } : cron;
    if (!spec || typeof spec !== "object") {
      throw new MainspringError(
        "INVALID_SCHEDULE",
        `${where}: cron must be a string or { pattern, timezone }`,
      );
    }
    const valid = validateSchedule(spec.pattern, spec.timezone, where);
    declared = { task: options.id, ...valid };
  }
  // `run` gets the payload first; every hook (init, onStart, catchError, ...) gets it as `payload`.
  const wrapped: Record<string, unknown> = { ...taskOptions };
  for (const [key, option] of Object.entries(taskOptions)) {
    if (typeof option !== "function") continue;
    const fn = option as (...args: unknown[]) => unknown;
    wrapped[key] =
      key === "run"
        ? (payload: unknown, params: unknown) => fn(revivePayload(payload), params)
        : (params: unknown) =>
            fn(
              params !== null && typeof params === "object" && "payload" in params
                ? { ...params, payload: revivePayload(params.payload) }
                : params,
            );
  }
  const defined = defineTask(wrapped as unknown as TaskOptions<TId, ScheduledTaskPayload, TOutput, TInit>);
  scheduled.set(options.id, declared);
  return defined;
}

/** Trigger.dev's `schedules`: declare scheduled tasks and manage schedules. */
export const schedules = {
  task: scheduledTask,
  /** Creates an IMPERATIVE schedule, or updates the one with the same `deduplicationKey`. */
  create(options: CreateScheduleOptions): Promise<ScheduleObject> {
    return getRuntime().schedules.create(options);
  },
  retrieve(scheduleId: string): Promise<ScheduleObject> {
    return getRuntime().schedules.retrieve(scheduleId);
  },
  /** Replaces an IMPERATIVE schedule's task, cron, time zone and external id. */
  update(scheduleId: string, options: UpdateScheduleOptions): Promise<ScheduleObject> {
    return getRuntime().schedules.update(scheduleId, options);
  },
  /** Deletes an IMPERATIVE schedule (declarative ones are removed by removing their cron). */
  del(scheduleId: string): Promise<DeletedScheduleObject> {
    return getRuntime().schedules.del(scheduleId);
  },
  activate(scheduleId: string): Promise<ScheduleObject> {
    return getRuntime().schedules.activate(scheduleId);
  },
  deactivate(scheduleId: string): Promise<ScheduleObject> {
    return getRuntime().schedules.deactivate(scheduleId);
  },
  list(options?: ListScheduleOptions): Promise<ScheduleListPage> {
    return getRuntime().schedules.list(options);
  },
  /** The IANA time zones a schedule may use. */
  timezones(options: { excludeUtc?: boolean } = {}): { timezones: string[] } {
    const zones = Intl.supportedValuesOf("timeZone").filter((z) => z !== "UTC");
    return { timezones: options.excludeUtc ? zones : ["UTC", ...zones] };
  },
};
