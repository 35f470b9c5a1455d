import {
  AbortTaskRunError,
  type CatchErrorResult,
  DEFAULT_RETRY,
  type JsonValue,
  type LogLevel,
  type MainspringConfig,
  MainspringError,
  MaxDurationExceededError,
  parsePayload,
  RunCanceledError,
  type RunScope,
  retryDelayMs,
  runInScope,
  serializeError,
  type TaskDefinition,
  type TaskRunContext,
} from "@mainspring/sdk";
import type { Limits } from "../limits.js";
import type { ClaimedRow as RunRow } from "../sql/claim.js";
import type { AttemptResult } from "../sql/complete.js";
import { parseStored } from "../sql/rows.js";
import { loadJournal } from "../sql/waitpoints.js";
import { type DurableDeps, DurableRun, type Suspension } from "./durable.js";

/** What the executor needs from the worker that runs it. */
export interface AttemptEnv {
  config: MainspringConfig;
  limits: Limits;
  durable: DurableDeps;
  log(row: RunRow, level: LogLevel, message: string, data?: Record<string, JsonValue>): void;
  addTags(runId: string, tags: string[]): Promise<void>;
  flushMetadata(attempt: Attempt): Promise<void>;
}

/** One attempt in flight: the claimed row, its abort controller and its live metadata. */
export class Attempt {
  readonly controller = new AbortController();
  readonly metadata: Record<string, JsonValue>;
  metadataDirty = false;
  /** The attempt's function has returned (its result may still await its commit). */
  returned = false;
  /** Settles when a durable operation suspends the attempt on a wait. */
  readonly suspended: Promise<Suspension>;
  /** Stream writes still in progress (pipes, writers, appends), by stream id. */
  readonly streamWrites = new Map<Promise<unknown>, string>();
  private onSuspend!: (s: Suspension) => void;

  constructor(readonly row: RunRow) {
    this.metadata = structuredClone(row.metadata) as Record<string, JsonValue>;
    this.suspended = new Promise((resolve) => {
      this.onSuspend = resolve;
    });
  }

  /** Suspends on a wait; the returned promise never settles, so the run function goes no further. */
  suspend(s: Suspension): Promise<never> {
    this.onSuspend(s);
    return new Promise<never>(() => {});
  }

  get attemptId(): string {
    return this.row.attempt_id!;
  }

  /** Stops the attempt: `signal` aborts with the reason, and the run function is abandoned. */
  abort(reason: Error): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }
}

function buildContext(row: RunRow, def: TaskDefinition): TaskRunContext {
  const now = new Date();
  return {
    task: { id: def.id, filePath: def.filePath, exportName: def.exportName },
    attempt: { id: row.attempt_id!, number: row.attempt_number, startedAt: row.attempt_started_at ?? now },
    run: {
      id: row.id,
      tags: row.tags,
      isTest: row.is_test,
      createdAt: row.created_at,
      startedAt: row.started_at ?? now,
      idempotencyKey: row.idempotency_key ?? undefined,
      maxAttempts: row.max_attempts,
      maxDuration: row.max_duration_s ?? undefined,
      priority: row.priority_s,
      durationMs: 0,
      costInCents: 0,
      baseCostInCents: 0,
      parentTaskRunId: row.parent_run_id ?? undefined,
      rootTaskRunId: row.root_run_id ?? undefined,
    },
    queue: { id: row.queue, name: row.queue },
    environment: { id: "local", slug: "prod", type: "PRODUCTION" },
    organization: { id: "local", slug: "local", name: "Mainspring" },
    project: { id: "local", ref: "mainspring", slug: "mainspring", name: "Mainspring" },
    machine: { name: "local", cpu: 1, memory: 1, centsPerMs: 0 },
    batch: row.batch_id ? { id: row.batch_id } : undefined,
    concurrencyKey: row.concurrency_key || undefined,
  };
}

/** Resolves when the run function settles, or rejects as soon as the attempt is aborted. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** How long an attempt's end waits for its unfinished stream writes (Trigger.dev's default). */
export const STREAM_SETTLE_MS = 60_000;

const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Lets stream writes still in progress (a pipe the run did not await) finish before the
 * attempt's end is recorded, for up to STREAM_SETTLE_MS: after that a write to the run is
 * refused. A failed write is logged on the run; it does not fail the run.
 */
async function settleStreamWrites(attempt: Attempt, env: AttemptEnv): Promise<void> {
  if (attempt.streamWrites.size === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    Promise.allSettled([...attempt.streamWrites.keys()]).then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), STREAM_SETTLE_MS);
    }),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    const ids = [...new Set(attempt.streamWrites.values())].join(", ");
    env.log(attempt.row, "warn", `Stream writes to ${ids} did not finish within ${STREAM_SETTLE_MS} ms`);
  }
}

async function quietly(env: AttemptEnv, row: RunRow, hook: string, fn: () => unknown): Promise<void> {
  try {
    await fn();
  } catch (error) {
    env.log(row, "error", `${hook} hook threw: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Runs one attempt of a claimed run: hooks, the run function under `maxDuration` and cancel,
 * then the retry decision, or a suspension on a wait. Returns the result for the completion
 * batch; an attempt stopped by a cancel returns FAILED, which the completion fences out
 * (the row was final before the attempt was aborted).
 */
export async function executeAttempt(
  attempt: Attempt,
  def: TaskDefinition,
  env: AttemptEnv,
): Promise<AttemptResult | undefined> {
  const { row } = attempt;
  const o = def.options;
  const ctx = buildContext(row, def);
  const signal = attempt.controller.signal;
  const scope: RunScope = {
    ctx,
    depth: row.depth,
    signal,
    metadata: attempt.metadata,
    metadataChanged: () => {
      attempt.metadataDirty = true;
    },
    flushMetadata: () => env.flushMetadata(attempt),
    log: (level, message, data) => env.log(row, level, message, data),
    addTags: (tags) => env.addTags(row.id, tags),
    trackStreamWrite: (write, streamId) => {
      attempt.streamWrites.set(write, streamId);
      write.then(
        () => attempt.streamWrites.delete(write),
        (error) => {
          attempt.streamWrites.delete(write);
          // A fenced write (the run was suspended, canceled or lost) is expected; others are logged.
          if (!(error instanceof RunCanceledError))
            env.log(row, "warn", `Stream "${streamId}" write failed: ${errorMessage(error)}`);
        },
      );
    },
    durable: undefined as unknown as RunScope["durable"], // set below, once the journal is loaded
  };
  const base = { id: row.id, attempt_id: row.attempt_id! };
  const withMetadata = (r: AttemptResult): AttemptResult =>
    attempt.metadataDirty ? { ...r, metadata: attempt.metadata } : r;
  const journal = row.has_journal ? await loadJournal(env.durable.db, row.id) : [];
  scope.durable = new DurableRun(row, journal, env.durable, (s) => attempt.suspend(s));

  let timer: NodeJS.Timeout | undefined;
  if (row.max_duration_s) {
    const seconds = row.max_duration_s;
    timer = setTimeout(() => attempt.abort(new MaxDurationExceededError(seconds)), seconds * 1000);
  }

  let payload: unknown;
  try {
    payload = parsePayload(def, parseStored(row.payload, row.payload_type));
  } catch (error) {
    clearTimeout(timer);
    return { ...base, status: "FAILED", error: serializeError(error) };
  }

  let init: unknown;
  try {
    return await runInScope(scope, async () => {
      try {
        if (o.init) init = await untilAborted(Promise.resolve(o.init({ payload, ctx, signal })), signal);
        if (row.resumed) {
          if (o.onResume) await untilAborted(Promise.resolve(o.onResume({ payload, ctx })), signal);
        } else if (o.onStart && row.attempt_number === 1) {
          await untilAborted(Promise.resolve(o.onStart({ payload, ctx })), signal);
        }
        const running = Promise.resolve().then(() => o.run(payload, { ctx, signal, init }));
        const settled = await Promise.race([
          untilAborted(running, signal).then((output) => ({ output })),
          attempt.suspended.then((suspension) => ({ suspension })),
        ]);
        if ("suspension" in settled) {
          const { suspension } = settled;
          if (o.onWait)
            await quietly(env, row, "onWait", () =>
              o.onWait!({ payload, ctx, wait: { type: suspension.type } }),
            );
          return withMetadata({ ...base, status: "WAIT", waitpoints: suspension.waitpoints });
        }
        const { output } = settled;
        await untilAborted(settleStreamWrites(attempt, env), signal);
        const serialized = output === undefined ? null : JSON.stringify(output);
        const bytes = serialized === null ? 0 : Buffer.byteLength(serialized);
        if (bytes > env.limits.maxOutputBytes) {
          throw Object.assign(
            new AbortTaskRunError(
              `Output of ${bytes} bytes exceeds the limit of ${env.limits.maxOutputBytes} bytes (OUTPUT_TOO_LARGE)`,
            ),
            { code: "OUTPUT_TOO_LARGE" },
          );
        }
        if (o.onSuccess) await quietly(env, row, "onSuccess", () => o.onSuccess!({ payload, output, ctx }));
        if (o.onComplete)
          await quietly(env, row, "onComplete", () =>
            o.onComplete!({ payload, ctx, result: { ok: true, data: output } }),
          );
        return withMetadata({
          ...base,
          status: "COMPLETED",
          output: serialized,
          output_type: "application/json",
        });
      } catch (thrown) {
        if (!signal.aborted) await settleStreamWrites(attempt, env);
        return withMetadata(await decideFailure(attempt, def, env, payload, ctx, thrown));
      }
    });
  } finally {
    clearTimeout(timer);
    if (o.cleanup) await quietly(env, row, "cleanup", () => o.cleanup!({ payload, ctx, init }));
  }
}

async function decideFailure(
  attempt: Attempt,
  def: TaskDefinition,
  env: AttemptEnv,
  payload: unknown,
  ctx: TaskRunContext,
  thrown: unknown,
): Promise<AttemptResult> {
  const { row } = attempt;
  const o = def.options;
  const base = { id: row.id, attempt_id: row.attempt_id! };
  const finalFailure = async (status: AttemptResult["status"], error: unknown): Promise<AttemptResult> => {
    if (o.onFailure) await quietly(env, row, "onFailure", () => o.onFailure!({ payload, error, ctx }));
    if (o.onComplete)
      await quietly(env, row, "onComplete", () =>
        o.onComplete!({ payload, ctx, result: { ok: false, error } }),
      );
    return { ...base, status, error: serializeError(error) };
  };

  if (thrown instanceof RunCanceledError) return { ...base, status: "FAILED", error: serializeError(thrown) };
  if (thrown instanceof MaxDurationExceededError) return finalFailure("TIMED_OUT", thrown);
  if (thrown instanceof AbortTaskRunError) return finalFailure("FAILED", thrown);
  if (thrown instanceof MainspringError && thrown.code === "INVALID_PAYLOAD")
    return finalFailure("FAILED", thrown);

  const retryOptions = { ...DEFAULT_RETRY, ...env.config.retries?.default, ...o.retry };
  const canRetry = row.attempt_number < row.max_attempts;
  let delayMs = canRetry ? retryDelayMs(retryOptions, row.attempt_number) : undefined;
  let error = thrown;

  if (o.catchError) {
    let decision: CatchErrorResult;
    try {
      decision = await o.catchError({
        payload,
        ctx,
        error: thrown,
        retry:
          delayMs === undefined
            ? undefined
            : { attempt: row.attempt_number + 1, maxAttempts: row.max_attempts, delayInMs: delayMs },
        retryAt: delayMs === undefined ? undefined : new Date(Date.now() + delayMs),
        retryDelayInMs: delayMs,
      });
    } catch (hookError) {
      decision = { error: hookError };
    }
    if (decision && typeof decision === "object") {
      if ("error" in decision && decision.error !== undefined) error = decision.error;
      if ("skipRetrying" in decision && decision.skipRetrying) delayMs = undefined;
      // An explicit retry time from catchError still respects maxAttempts.
      if (canRetry && "retryAt" in decision && decision.retryAt instanceof Date)
        delayMs = Math.max(0, decision.retryAt.getTime() - Date.now());
      if (canRetry && "retryDelayInMs" in decision && typeof decision.retryDelayInMs === "number")
        delayMs = Math.max(0, decision.retryDelayInMs);
    }
  }

  if (delayMs !== undefined) {
    env.log(row, "warn", `Attempt ${row.attempt_number} failed; retrying in ${delayMs} ms`, {
      error: error instanceof Error ? error.message : String(error),
    });
    return { ...base, status: "RETRY", error: serializeError(error), retry_delay_ms: delayMs };
  }
  return finalFailure("FAILED", error);
}
