import {
  asChildren,
  type BatchResult,
  batchTriggerAndWaitChildren,
  type TaskRunPromise,
  triggerAndWaitChild,
} from "./child-runs.js";
import { MainspringError } from "./errors.js";
import { getQueue, type Queue, registerQueue } from "./queue.js";
import type { RetryOptions } from "./retry.js";
import { getRuntime } from "./runtime.js";
import type { BatchHandle, BatchItem, RunHandle, TaskRunContext, TriggerOptions } from "./types.js";

export interface RunParams<TInit = unknown> {
  ctx: TaskRunContext;
  /** Aborts when the run is canceled or exceeds its maxDuration. */
  signal: AbortSignal;
  init?: TInit;
}

export type TaskResult<TOutput> = { ok: true; data: TOutput } | { ok: false; error: unknown };

/** What `catchError` may return to change the retry decision (Trigger.dev's shape). */
export type CatchErrorResult =
  | undefined
  // biome-ignore lint/suspicious/noConfusingVoidType: a catchError that returns nothing is valid
  | void
  | { skipRetrying: true; error?: unknown }
  | { retryAt: Date; error?: unknown }
  | { retryDelayInMs: number; error?: unknown }
  | { error: unknown };

export interface CatchErrorParams<TPayload> {
  payload: TPayload;
  ctx: TaskRunContext;
  error: unknown;
  /** The retry that will happen unless changed; undefined when no attempt is left. */
  retry?: { attempt: number; maxAttempts: number; delayInMs: number };
  retryAt?: Date;
  retryDelayInMs?: number;
}

export interface TaskOptions<TId extends string, TPayload, TOutput, TInit = unknown> {
  id: TId;
  description?: string;
  queue?: Queue | { name?: string; concurrencyLimit?: number; totalConcurrencyLimit?: number };
  retry?: RetryOptions;
  /** Seconds of execution before the run ends TIMED_OUT (minimum 5, as in Trigger.dev). */
  maxDuration?: number;
  /** Default TTL for runs of this task (duration string or seconds). */
  ttl?: string | number;
  machine?: string;
  init?: (params: { payload: TPayload; ctx: TaskRunContext; signal: AbortSignal }) => Promise<TInit> | TInit;
  cleanup?: (params: { payload: TPayload; ctx: TaskRunContext; init?: TInit }) => Promise<void> | void;
  onStart?: (params: { payload: TPayload; ctx: TaskRunContext }) => Promise<void> | void;
  onSuccess?: (params: { payload: TPayload; output: TOutput; ctx: TaskRunContext }) => Promise<void> | void;
  onFailure?: (params: { payload: TPayload; error: unknown; ctx: TaskRunContext }) => Promise<void> | void;
  onComplete?: (params: {
    payload: TPayload;
    result: TaskResult<TOutput>;
    ctx: TaskRunContext;
  }) => Promise<void> | void;
  catchError?: (params: CatchErrorParams<TPayload>) => Promise<CatchErrorResult> | CatchErrorResult;
  /** Called when the run starts waiting (it then leaves the worker). */
  onWait?: (params: {
    payload: TPayload;
    ctx: TaskRunContext;
    wait: { type: string };
  }) => Promise<void> | void;
  /** Called when a run resumes after a wait, before it replays. */
  onResume?: (params: { payload: TPayload; ctx: TaskRunContext }) => Promise<void> | void;
  run: (payload: TPayload, params: RunParams<TInit>) => Promise<TOutput> | TOutput;
}

/** A schema as `schemaTask` accepts it: zod, or anything with zod's `safeParse`. */
export interface PayloadSchema<TOut, TIn = TOut> {
  safeParse(
    input: unknown,
  ): { success: true; data: TOut } | { success: false; error: { issues: ReadonlyArray<unknown> } };
  readonly _input?: TIn;
}

/** The registry's view of a task: its options plus where discovery found it. */
export interface TaskDefinition {
  id: string;
  options: TaskOptions<string, any, any, any>;
  schema?: PayloadSchema<unknown, unknown>;
  queueName: string;
  filePath: string;
  exportName: string;
}

export interface Task<TId extends string, TInput, TOutput> {
  readonly id: TId;
  readonly description?: string;
  trigger(payload: TInput, options?: TriggerOptions): Promise<RunHandle<TId>>;
  batchTrigger(items: BatchItem<TInput>[]): Promise<BatchHandle<TId>>;
  /** Inside a run: triggers a child and waits for its result, holding no worker meanwhile. */
  triggerAndWait(payload: TInput, options?: TriggerOptions): TaskRunPromise<TId, TOutput>;
  /** Inside a run: triggers up to 1,000 children and waits for all; results in input order. */
  batchTriggerAndWait(items: BatchItem<TInput>[]): Promise<BatchResult<TId, TOutput>>;
  /** Type-level marker for output inference (`Awaited<ReturnType<...>>` helpers). */
  readonly __output?: TOutput;
}

const registry = new Map<string, TaskDefinition>();

export function getTask(id: string): TaskDefinition | undefined {
  return registry.get(id);
}

export function allTasks(): TaskDefinition[] {
  return [...registry.values()];
}

const TASK_ID = /^[a-zA-Z0-9][a-zA-Z0-9_\-./]{0,127}$/;

function register(options: TaskOptions<string, any, any, any>, schema?: PayloadSchema<unknown, unknown>) {
  if (!TASK_ID.test(options.id)) {
    throw new MainspringError(
      "CONFIG_INVALID",
      `Task id "${options.id}" is invalid: use 1-128 letters, digits, "-", "_", "." or "/"`,
    );
  }
  const maxDuration = options.maxDuration;
  if (
    maxDuration !== undefined &&
    !(Number.isInteger(maxDuration) && maxDuration >= 5 && maxDuration <= 2_073_600)
  ) {
    throw new MainspringError(
      "CONFIG_INVALID",
      `Task "${options.id}": maxDuration must be whole seconds from 5 to 2073600 (24 days), got ${maxDuration}`,
    );
  }
  const attempts = options.retry?.maxAttempts;
  if (attempts !== undefined && !(Number.isInteger(attempts) && attempts >= 1 && attempts <= 100)) {
    throw new MainspringError(
      "CONFIG_INVALID",
      `Task "${options.id}": retry.maxAttempts must be a whole number from 1 to 100, got ${attempts}`,
    );
  }
  const q = options.queue;
  let queueName = `task/${options.id}`;
  if (q && "kind" in q) {
    registerQueue(q);
    queueName = q.name;
  } else if (q) {
    queueName = q.name ?? queueName;
    const existing = getQueue(queueName);
    // `queue: { name: "shared" }` refers to a queue defined elsewhere; it does not reset its limits
    if (existing && q.concurrencyLimit === undefined && q.totalConcurrencyLimit === undefined) {
      registry.set(options.id, { id: options.id, options, schema, queueName, filePath: "", exportName: "" });
      return;
    }
    registerQueue({
      kind: "queue",
      name: queueName,
      concurrencyLimit: q.concurrencyLimit,
      totalConcurrencyLimit: q.totalConcurrencyLimit,
    });
  } else {
    registerQueue({ kind: "queue", name: queueName });
  }
  registry.set(options.id, { id: options.id, options, schema, queueName, filePath: "", exportName: "" });
}

function makeTask<TId extends string, TInput, TOutput>(
  id: TId,
  description?: string,
): Task<TId, TInput, TOutput> {
  return {
    id,
    description,
    trigger: (payload, options) => getRuntime().trigger(id, payload, options) as Promise<RunHandle<TId>>,
    batchTrigger: (items) =>
      getRuntime().batchTrigger(items.map((item) => ({ task: id, ...item }))) as Promise<BatchHandle<TId>>,
    triggerAndWait: (payload, options) => triggerAndWaitChild<TId, TOutput>(id, payload, options),
    batchTriggerAndWait: (items) =>
      batchTriggerAndWaitChildren(asChildren(id, items)) as Promise<BatchResult<TId, TOutput>>,
  };
}

/** Defines a task (Trigger.dev v4 `task()`). */
export function task<TId extends string, TPayload = void, TOutput = unknown, TInit = unknown>(
  options: TaskOptions<TId, TPayload, TOutput, TInit>,
): Task<TId, TPayload, Awaited<TOutput>> {
  register(options);
  return makeTask(options.id, options.description);
}

/**
 * Defines a task whose payload is validated by a schema (zod) before a run is created:
 * a payload that does not parse is an INVALID_PAYLOAD error to the caller and no run exists.
 */
export function schemaTask<TId extends string, TIn, TOut, TOutput = unknown, TInit = unknown>(
  options: Omit<TaskOptions<TId, TOut, TOutput, TInit>, "run"> & {
    schema: PayloadSchema<TOut, TIn>;
    run: (payload: TOut, params: RunParams<TInit>) => Promise<TOutput> | TOutput;
  },
): Task<TId, TIn, Awaited<TOutput>> {
  register(options, options.schema as PayloadSchema<unknown, unknown>);
  return makeTask(options.id, options.description);
}

/** Records where discovery found a task, for `ctx.task.filePath` / `exportName`. */
export function noteTaskLocation(id: string, filePath: string, exportName: string): void {
  const def = registry.get(id);
  if (def) Object.assign(def, { filePath, exportName });
}

/** Validates a payload against a schemaTask's schema; returns the parsed value. */
export function parsePayload(def: TaskDefinition, payload: unknown): unknown {
  if (!def.schema) return payload;
  const result = def.schema.safeParse(payload);
  if (result.success) return result.data;
  throw new MainspringError(
    "INVALID_PAYLOAD",
    `Payload for task "${def.id}" is invalid: ${describeIssues(result.error.issues)}`,
    result.error.issues,
  );
}

function describeIssues(issues: ReadonlyArray<unknown>): string {
  return issues
    .slice(0, 5)
    .map((issue) => {
      const i = issue as { path?: PropertyKey[]; message?: string };
      const path = i.path && i.path.length > 0 ? i.path.map(String).join(".") : "(root)";
      return `${path}: ${i.message ?? "invalid"}`;
    })
    .join("; ");
}
