import type { SerializedError } from "../errors.js";
import type { ScheduleListPage, ScheduleObject } from "../schedules.js";
import type { Run, RunMetadata, RunStatus } from "../types.js";
import { WaitpointTimeoutError, type WaitTokenInfo, type WaitTokenStatus } from "../wait-types.js";

/**
 * The HTTP API's JSON (Trigger.dev's shapes, dates as ISO strings) back into the SDK's
 * in-process types, so code reads the same `Run`, `WaitTokenInfo` and `ScheduleObject`
 * whether the engine runs in this process or behind the API.
 */

type Wire = Record<string, unknown>;

function date(value: unknown): Date | undefined {
  if (value === undefined || value === null) return undefined;
  const d = value instanceof Date ? value : new Date(value as string | number);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** Trigger.dev's ttl is a duration string ("3600s"); ours is seconds. */
function ttlSeconds(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value !== "string") return undefined;
  const match = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return match ? Number(match[1]) : undefined;
}

function relatedId(related: unknown, key: "parent" | "root"): string | undefined {
  if (!related || typeof related !== "object") return undefined;
  const run = (related as Record<string, unknown>)[key];
  return run && typeof run === "object" ? str((run as Wire).id) : undefined;
}

/**
 * A run from `GET /api/v3/runs/:id` (every field) or an item of `GET /api/v1/runs` (no
 * payload, output, error, queue or attempt count: Trigger.dev's list item). Fields the API
 * does not carry take the values an unset option has in-process.
 */
export function reviveRun(wire: Wire): Run {
  const status = wire.status as RunStatus;
  const parentId = str(wire.parentId) ?? relatedId(wire.relatedRuns, "parent");
  return {
    id: wire.id as string,
    taskIdentifier: wire.taskIdentifier as string,
    status,
    payload: wire.payload,
    output: wire.output,
    error: (wire.error ?? undefined) as SerializedError | undefined,
    metadata: (wire.metadata ?? {}) as RunMetadata,
    tags: (wire.tags ?? []) as string[],
    queue: str(wire.queue) ?? "",
    concurrencyKey: str(wire.concurrencyKey),
    idempotencyKey: str(wire.idempotencyKey),
    priority: num(wire.priority) ?? 0,
    attemptCount: num(wire.attemptCount) ?? 0,
    maxAttempts: num(wire.maxAttempts) ?? 0,
    maxDuration: num(wire.maxDuration),
    ttl: ttlSeconds(wire.ttl),
    delayedUntil: date(wire.delayedUntil),
    createdAt: date(wire.createdAt) as Date,
    updatedAt: date(wire.updatedAt) as Date,
    startedAt: date(wire.startedAt),
    finishedAt: date(wire.finishedAt),
    expiredAt: date(wire.expiredAt),
    parentId,
    rootId: str(wire.rootId) ?? relatedId(wire.relatedRuns, "root") ?? parentId,
    batchId: str(wire.batchId),
    depth: num(wire.depth) ?? 0,
    isTest: wire.isTest === true,
    isQueued: wire.isQueued === true,
    // In-process, a WAITING run counts as executing; Trigger.dev's API reports it apart.
    isExecuting: wire.isExecuting === true || wire.isWaiting === true,
    isCompleted: wire.isCompleted === true,
    isSuccess: wire.isSuccess === true,
    isFailed: wire.isFailed === true,
    isCancelled: wire.isCancelled === true,
  };
}

/** A wait token: `output` arrives as a JSON packet (`outputType`), a timeout as an error packet. */
export function reviveToken(wire: Wire): WaitTokenInfo {
  let output: unknown;
  let error: Error | undefined;
  if (typeof wire.output === "string") {
    let decoded: unknown = wire.output;
    if ((wire.outputType ?? "application/json") === "application/json") {
      try {
        decoded = JSON.parse(wire.output);
      } catch {
        decoded = wire.output;
      }
    }
    if (wire.outputIsError === true) {
      const message =
        decoded && typeof decoded === "object" && typeof (decoded as Wire).message === "string"
          ? ((decoded as Wire).message as string)
          : `Wait token ${wire.id as string} timed out`;
      error = new WaitpointTimeoutError(message);
    } else output = decoded;
  }
  return {
    id: wire.id as string,
    status: wire.status as WaitTokenStatus,
    ...(output === undefined ? {} : { output }),
    ...(error === undefined ? {} : { error }),
    idempotencyKey: str(wire.idempotencyKey),
    idempotencyKeyExpiresAt: date(wire.idempotencyKeyExpiresAt),
    timeoutAt: date(wire.timeoutAt),
    tags: (wire.tags ?? []) as string[],
    createdAt: date(wire.createdAt) as Date,
    completedAt: date(wire.completedAt),
  };
}

export function reviveSchedule(wire: Wire): ScheduleObject {
  const { nextRun, ...rest } = wire;
  const next = date(nextRun);
  return { ...(rest as unknown as ScheduleObject), ...(next ? { nextRun: next } : {}) };
}

export function reviveSchedulePage(wire: Wire): ScheduleListPage {
  return {
    data: ((wire.data ?? []) as Wire[]).map(reviveSchedule),
    pagination: wire.pagination as ScheduleListPage["pagination"],
  };
}
