import type { SerializedError } from "./errors.js";
import type { IdempotencyKey } from "./idempotency-keys.js";

/** Run statuses, exactly Trigger.dev v4's. See docs/run-states.md for the state machine. */
export const RUN_STATUSES = [
  "DELAYED",
  "QUEUED",
  "EXECUTING",
  "WAITING",
  "COMPLETED",
  "FAILED",
  "CANCELED",
  "CRASHED",
  "SYSTEM_FAILURE",
  "EXPIRED",
  "TIMED_OUT",
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const FINAL_STATUSES: readonly RunStatus[] = [
  "COMPLETED",
  "FAILED",
  "CANCELED",
  "CRASHED",
  "SYSTEM_FAILURE",
  "EXPIRED",
  "TIMED_OUT",
];

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type RunMetadata = Record<string, JsonValue>;

export interface TriggerOptions {
  /** Deduplicates triggers of one task: a second trigger with the key returns the first run. */
  idempotencyKey?: string | string[] | IdempotencyKey;
  /** How long the idempotency key holds, e.g. "24h". Default 30 days. */
  idempotencyKeyTTL?: string;
  /** Up to 10 tags of 1 to 128 characters. */
  tags?: string | string[];
  /** Start no earlier than this: a duration ("1h"), an ISO date or a Date. The run is DELAYED until then. */
  delay?: string | Date;
  /** If the run has not started this long after it became queued, it ends EXPIRED. */
  ttl?: string | number;
  /** The name of a queue defined with `queue()`. */
  queue?: string;
  /** Each distinct key gets its own copy of the queue's concurrency limit. */
  concurrencyKey?: string;
  /** Seconds of time credit: the run is ordered as if it had been queued this long ago. */
  priority?: number;
  maxAttempts?: number;
  /** Seconds of execution before the run ends TIMED_OUT. */
  maxDuration?: number;
  metadata?: RunMetadata;
}

export interface BatchItem<TPayload> {
  payload: TPayload;
  options?: TriggerOptions;
}

export interface RunHandle<TId extends string = string> {
  id: string;
  taskIdentifier: TId;
  /** True when an idempotency key matched an existing run and no new run was created. */
  isCached: boolean;
  /** A token that may read this run (set by the HTTP API client; Trigger.dev's field). */
  publicAccessToken?: string;
}

export interface BatchHandle<TId extends string = string> {
  batchId: string;
  runCount: number;
  runs: RunHandle<TId>[];
  /** A token that may read this batch's runs (set by the HTTP API client). */
  publicAccessToken?: string;
}

/** A run as `runs.retrieve` returns it (Trigger.dev's field names). */
export interface Run<TPayload = unknown, TOutput = unknown> {
  id: string;
  taskIdentifier: string;
  status: RunStatus;
  payload: TPayload;
  output?: TOutput;
  error?: SerializedError;
  metadata: RunMetadata;
  tags: string[];
  queue: string;
  concurrencyKey?: string;
  idempotencyKey?: string;
  priority: number;
  attemptCount: number;
  maxAttempts: number;
  maxDuration?: number;
  ttl?: number;
  delayedUntil?: Date;
  createdAt: Date;
  updatedAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  expiredAt?: Date;
  parentId?: string;
  rootId?: string;
  batchId?: string;
  /** 0 for a root run, 1 for its children, and so on. */
  depth: number;
  isTest: boolean;
  isQueued: boolean;
  isExecuting: boolean;
  isCompleted: boolean;
  isSuccess: boolean;
  isFailed: boolean;
  isCancelled: boolean;
}

export interface ListRunsFilter {
  status?: RunStatus | RunStatus[];
  taskIdentifier?: string | string[];
  tag?: string | string[];
  queue?: string | string[];
  from?: Date | number;
  to?: Date | number;
  rootOnly?: boolean;
  batch?: string;
  /** Only the children of this run. */
  parentId?: string;
  /** Page size, 1 to 100 (default 25). */
  limit?: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  after?: string;
}

export interface RunPage {
  data: Run[];
  nextCursor?: string;
}

/** `ctx` as a run receives it; the shape follows Trigger.dev's TaskRunContext. */
export interface TaskRunContext {
  task: { id: string; filePath: string; exportName: string };
  attempt: { id: string; number: number; startedAt: Date };
  run: {
    id: string;
    tags: string[];
    isTest: boolean;
    createdAt: Date;
    startedAt: Date;
    idempotencyKey?: string;
    maxAttempts: number;
    maxDuration?: number;
    priority: number;
    durationMs: number;
    costInCents: number;
    baseCostInCents: number;
    version?: string;
    parentTaskRunId?: string;
    rootTaskRunId?: string;
  };
  queue: { id: string; name: string };
  environment: { id: string; slug: string; type: "PRODUCTION" | "DEVELOPMENT" };
  organization: { id: string; slug: string; name: string };
  project: { id: string; ref: string; slug: string; name: string };
  machine: { name: string; cpu: number; memory: number; centsPerMs: number };
  batch?: { id: string };
  concurrencyKey?: string;
}
