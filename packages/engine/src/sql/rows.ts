import type { Run, RunStatus, SerializedError } from "@mainspring/sdk";

/** A row of ms_runs as both drivers return it (timestamps as Date, jsonb parsed). */
export interface RunRow {
  id: string;
  task_id: string;
  status: RunStatus;
  queue: string;
  concurrency_key: string;
  payload: string | null;
  payload_type: string;
  output: string | null;
  output_type: string;
  error: SerializedError | null;
  metadata: Record<string, unknown>;
  tags: string[];
  priority_s: number;
  available_at: Date;
  delayed_until: Date | null;
  ttl_s: number | null;
  ttl_expires_at: Date | null;
  max_attempts: number;
  max_duration_s: number | null;
  attempt_number: number;
  attempt_id: string | null;
  attempt_started_at: Date | null;
  attempts: unknown[];
  lease_owner: string | null;
  lease_expires_at: Date | null;
  idempotency_key: string | null;
  parent_run_id: string | null;
  root_run_id: string | null;
  batch_id: string | null;
  depth: number;
  is_test: boolean;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
}

export function parseStored(text: string | null, type: string): unknown {
  if (text === null) return undefined;
  if (type === "application/json") return JSON.parse(text);
  return text;
}

const SUCCESS: RunStatus[] = ["COMPLETED"];
const FAILURE: RunStatus[] = ["FAILED", "CRASHED", "SYSTEM_FAILURE", "EXPIRED", "TIMED_OUT"];
const FINISHED: RunStatus[] = [...SUCCESS, ...FAILURE, "CANCELED"];

/** Maps a row to the public `Run` shape (Trigger.dev's field names). */
export function toRun(row: RunRow): Run {
  const optional = <T>(value: T | null): T | undefined => (value === null ? undefined : value);
  return {
    id: row.id,
    taskIdentifier: row.task_id,
    status: row.status,
    payload: parseStored(row.payload, row.payload_type),
    output: parseStored(row.output, row.output_type),
    error: optional(row.error),
    metadata: row.metadata as Run["metadata"],
    tags: row.tags,
    queue: row.queue,
    concurrencyKey: row.concurrency_key || undefined,
    idempotencyKey: optional(row.idempotency_key),
    priority: row.priority_s,
    attemptCount: row.attempt_number,
    maxAttempts: row.max_attempts,
    maxDuration: optional(row.max_duration_s),
    ttl: optional(row.ttl_s),
    delayedUntil: optional(row.delayed_until),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: optional(row.started_at),
    finishedAt: FINISHED.includes(row.status) ? optional(row.completed_at) : undefined,
    expiredAt: row.status === "EXPIRED" ? optional(row.completed_at) : undefined,
    parentId: optional(row.parent_run_id),
    rootId: optional(row.root_run_id),
    batchId: optional(row.batch_id),
    depth: row.depth,
    isTest: row.is_test,
    isQueued: row.status === "QUEUED" || row.status === "DELAYED",
    isExecuting: row.status === "EXECUTING" || row.status === "WAITING",
    isCompleted: FINISHED.includes(row.status),
    isSuccess: SUCCESS.includes(row.status),
    isFailed: FAILURE.includes(row.status),
    isCancelled: row.status === "CANCELED",
  };
}
