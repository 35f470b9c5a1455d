// Type-only imports: nothing of @mainspring/sdk (which uses Node APIs) reaches a browser bundle.
import type { RealtimeDefinedStream, RunStatus, SerializedError, Task } from "@mainspring/sdk";

export type { RunStatus };

/** Any task, for the `useRealtimeRun<typeof myTask>()` style of typing. */
export type AnyTask = Task<string, any, any>;

export type TaskIdentifier<TTask> = TTask extends Task<infer TId, any, any> ? TId : string;
export type TaskPayload<TTask> = TTask extends Task<string, infer TPayload, any> ? TPayload : unknown;
export type TaskOutput<TTask> = TTask extends Task<string, any, infer TOutput> ? TOutput : unknown;

/**
 * A run as realtime subscribers receive it (Trigger.dev's `RealtimeRun`): dates are `Date`s,
 * `payload` and `output` are typed from the task.
 */
export interface RealtimeRun<TTask extends AnyTask = AnyTask> {
  id: string;
  status: RunStatus;
  taskIdentifier: TaskIdentifier<TTask>;
  payload: TaskPayload<TTask>;
  /** Set once the run COMPLETED. */
  output?: TaskOutput<TTask>;
  error?: SerializedError;
  metadata: Record<string, unknown>;
  tags: string[];
  queue: string;
  idempotencyKey?: string;
  attemptCount: number;
  isQueued: boolean;
  isExecuting: boolean;
  isWaiting: boolean;
  isCompleted: boolean;
  isSuccess: boolean;
  isFailed: boolean;
  isCancelled: boolean;
  isTest: boolean;
  createdAt: Date;
  updatedAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  delayedUntil?: Date;
  expiredAt?: Date;
  /** e.g. "3600s". */
  ttl?: string;
  durationMs: number;
  costInCents: number;
  baseCostInCents: number;
  batchId?: string;
  parentId?: string;
  rootId?: string;
}

/**
 * What `useRealtimeStream` accepts as a stream: a `streams.define()` result, or, in browser
 * code (where `@mainspring/sdk` cannot be bundled), `defineStream<T>(id)` from this package.
 */
export interface StreamDescriptor<TPart> {
  readonly id: string;
  /** Type-level only: the part type. */
  readonly __part?: TPart;
}

export type InferStreamPart<S> =
  S extends RealtimeDefinedStream<infer T> ? T : S extends StreamDescriptor<infer T> ? T : unknown;

/** Names a stream for `useRealtimeStream` without importing the server-side SDK. */
export function defineStream<TPart>(id: string): StreamDescriptor<TPart> {
  return { id };
}

const DATE_FIELDS = [
  "createdAt",
  "updatedAt",
  "startedAt",
  "finishedAt",
  "delayedUntil",
  "expiredAt",
] as const;

/** A run as the server sends it (JSON) with its date fields turned back into `Date`s. */
export function reviveRun<TTask extends AnyTask = AnyTask>(json: unknown): RealtimeRun<TTask> {
  const run = { ...(json as Record<string, unknown>) };
  for (const field of DATE_FIELDS) {
    const value = run[field];
    if (typeof value === "string" || typeof value === "number") run[field] = new Date(value);
    else if (value === null) delete run[field];
  }
  return run as unknown as RealtimeRun<TTask>;
}

/** Statuses after which a run never changes (Trigger.dev's final statuses). */
export const FINAL_STATUSES: readonly RunStatus[] = [
  "COMPLETED",
  "FAILED",
  "CANCELED",
  "CRASHED",
  "SYSTEM_FAILURE",
  "EXPIRED",
  "TIMED_OUT",
];

export const isFinalRun = (run: { status: RunStatus }) => FINAL_STATUSES.includes(run.status);
