import {
  type BatchHandle,
  currentRun,
  getQueue,
  getTask,
  type MainspringConfig,
  MainspringError,
  parseDuration,
  parsePayload,
  type RunHandle,
  resolveDate,
  resolveIdempotencyKey,
  type TriggerOptions,
  ttlToSeconds,
} from "@mainspring/sdk";
import { newId } from "./ids.js";
import type { Limits } from "./limits.js";
import { claimIdempotencyKeys, existingRunIds, insertBatch, insertRuns, type NewRun } from "./sql/trigger.js";
import type { Db, Queryable } from "./store/db.js";
import { validateTriggerOptions } from "./trigger-options.js";

const DEFAULT_IDEMPOTENCY_TTL_S = 30 * 24 * 3600;

export interface Prepared {
  run: NewRun;
  keyTtlS: number;
}

/**
 * Turns one trigger call into a row, or throws a clear error. Nothing is written here, so a
 * bad item in a batch leaves no trace of the good ones.
 */
export function prepareRun(
  taskId: string,
  payload: unknown,
  rawOptions: TriggerOptions | undefined,
  ctx: { config: MainspringConfig; limits: Limits; batchId?: string; where: string },
): Prepared {
  const def = getTask(taskId);
  if (!def) {
    throw new MainspringError(
      "TASK_NOT_FOUND",
      `Task "${taskId}" is not defined. Check the id, and that its file is under a folder listed in mainspring.config.ts "dirs".`,
    );
  }
  const options = validateTriggerOptions(rawOptions, ctx.where);
  try {
    parsePayload(def, payload);
  } catch (error) {
    if (error instanceof MainspringError)
      throw new MainspringError(error.code, `${error.message} (${ctx.where})`, error.details);
    throw error;
  }

  const serialized = payload === undefined ? null : JSON.stringify(payload);
  const bytes = serialized === null ? 0 : Buffer.byteLength(serialized);
  if (bytes > ctx.limits.maxPayloadBytes) {
    throw new MainspringError(
      "PAYLOAD_TOO_LARGE",
      `Payload for "${taskId}" is ${bytes} bytes; the limit is ${ctx.limits.maxPayloadBytes} bytes ${ctx.where}`,
    );
  }
  if (options.metadata) {
    const metaBytes = Buffer.byteLength(JSON.stringify(options.metadata));
    if (metaBytes > ctx.limits.maxMetadataBytes) {
      throw new MainspringError(
        "INVALID_OPTIONS",
        `metadata is ${metaBytes} bytes; the limit is ${ctx.limits.maxMetadataBytes} bytes ${ctx.where}`,
      );
    }
  }

  let queue = def.queueName;
  if (options.queue) {
    if (!getQueue(options.queue)) {
      throw new MainspringError(
        "QUEUE_NOT_FOUND",
        `Queue "${options.queue}" is not defined. Define it with queue({ name: "${options.queue}" }) in a task file.`,
      );
    }
    queue = options.queue;
  }

  let delayMs: number | null = null;
  let runAt: string | null = null;
  if (options.delay !== undefined) {
    if (options.delay instanceof Date || /^\d{4}-\d{2}-\d{2}/.test(options.delay)) {
      runAt = resolveDate(options.delay).toISOString();
    } else {
      delayMs = parseDuration(options.delay);
    }
  }
  const ttl = options.ttl ?? def.options.ttl;
  const keyTtlS = options.idempotencyKeyTTL
    ? parseDuration(options.idempotencyKeyTTL) / 1000
    : DEFAULT_IDEMPOTENCY_TTL_S;

  const parent = currentRun();
  const maxAttempts =
    options.maxAttempts ?? def.options.retry?.maxAttempts ?? ctx.config.retries?.default?.maxAttempts ?? 3;

  return {
    keyTtlS,
    run: {
      id: newId("run"),
      task_id: taskId,
      queue,
      concurrency_key: options.concurrencyKey ?? "",
      payload: serialized,
      payload_type: "application/json",
      metadata: (options.metadata as Record<string, unknown> | undefined) ?? null,
      tags: options.tags ? [...new Set(options.tags as string[])] : [],
      priority_s: options.priority ?? 0,
      delay_ms: delayMs,
      run_at: runAt,
      ttl_s: ttl === undefined ? null : ttlToSeconds(ttl),
      max_attempts: Math.max(1, maxAttempts),
      max_duration_s: options.maxDuration ?? def.options.maxDuration ?? ctx.config.maxDuration ?? null,
      idempotency_key: resolveIdempotencyKey(options.idempotencyKey as string | string[] | undefined) ?? null,
      parent_run_id: parent?.ctx.run.id ?? null,
      root_run_id: parent ? (parent.ctx.run.rootTaskRunId ?? parent.ctx.run.id) : null,
      batch_id: ctx.batchId ?? null,
      depth: parent ? parent.depth + 1 : 0,
    },
  };
}

/**
 * Inserts prepared runs, honouring idempotency keys: in one transaction, claim the keys
 * (a live key returns its run instead), then insert the runs that won their key or had
 * none. Handles come back in input order.
 */
export async function insertPrepared(db: Db, prepared: Prepared[], batchId?: string): Promise<RunHandle[]> {
  const keyed = prepared.filter((p) => p.run.idempotency_key !== null);
  if (keyed.length === 0 && !batchId) {
    await insertRuns(
      db,
      prepared.map((p) => p.run),
    );
    return prepared.map((p) => ({ id: p.run.id, taskIdentifier: p.run.task_id, isCached: false }));
  }
  return db.transaction((tx) => insertPreparedIn(tx, prepared, batchId));
}

/** As insertPrepared, inside the caller's transaction (child runs insert with their waitpoints). */
export async function insertPreparedIn(
  tx: Queryable,
  prepared: Prepared[],
  batchId?: string,
): Promise<RunHandle[]> {
  {
    const keyed = prepared.filter((p) => p.run.idempotency_key !== null);
    const idFor = new Map<string, string>();
    const cached = new Set<string>();
    const keyOf = (r: NewRun) => `${r.task_id}\u0000${r.idempotency_key}`;
    // One claim per distinct key; later items with the same key share the first's run.
    const firstByKey = new Map<string, NewRun>();
    for (const p of keyed) if (!firstByKey.has(keyOf(p.run))) firstByKey.set(keyOf(p.run), p.run);
    const claims = [...firstByKey.values()].map((r) => ({
      task_id: r.task_id,
      key: r.idempotency_key!,
      run_id: r.id,
      ttl_s: prepared.find((p) => p.run === r)!.keyTtlS,
    }));
    const won = await claimIdempotencyKeys(tx, claims);
    for (const w of won) idFor.set(`${w.task_id}\u0000${w.key}`, w.run_id);
    const lost = claims.filter((c) => !idFor.has(`${c.task_id}\u0000${c.key}`));
    for (const e of await existingRunIds(tx, lost)) {
      idFor.set(`${e.task_id}\u0000${e.key}`, e.run_id);
      cached.add(`${e.task_id}\u0000${e.key}`);
    }
    const toInsert = prepared
      .map((p) => p.run)
      .filter((r) => r.idempotency_key === null || (firstByKey.get(keyOf(r)) === r && !cached.has(keyOf(r))));
    await insertRuns(tx, toInsert);
    if (batchId) await insertBatch(tx, batchId, prepared.length);
    return prepared.map((p) => {
      const r = p.run;
      if (r.idempotency_key === null) return { id: r.id, taskIdentifier: r.task_id, isCached: false };
      const id = idFor.get(keyOf(r))!;
      return { id, taskIdentifier: r.task_id, isCached: id !== r.id };
    });
  }
}

export function batchHandle(batchId: string, runs: RunHandle[]): BatchHandle {
  return { batchId, runCount: runs.length, runs };
}
