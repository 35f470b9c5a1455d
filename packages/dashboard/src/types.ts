/** The API's shapes as the dashboard reads them (dates arrive as ISO strings). */

// The statuses are the SDK's own (its types module is browser-safe: no Node imports).
export { FINAL_STATUSES, RUN_STATUSES, type RunStatus } from "@mainspring/sdk/types";

import type { RunStatus } from "@mainspring/sdk/types";

export interface SerializedError {
  name?: string;
  message: string;
  stackTrace?: string;
  stack?: string;
}

export interface ListedRun {
  id: string;
  status: RunStatus;
  taskIdentifier: string;
  tags: string[];
  queue: string;
  concurrencyKey?: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  delayedUntil?: string;
  durationMs: number;
  attemptCount: number;
  parentId?: string;
  depth: number;
  isTest: boolean;
}

export interface RelatedRun {
  id: string;
  status: RunStatus;
  taskIdentifier: string;
  createdAt: string;
}

export interface RunDetailRun extends ListedRun {
  payload: unknown;
  output?: unknown;
  error?: SerializedError;
  metadata: Record<string, unknown>;
  idempotencyKey?: string;
  maxAttempts: number;
  maxDuration?: number;
  priority: number;
  ttl?: number;
  batchId?: string;
  rootId?: string;
  relatedRuns: { parent?: RelatedRun; root?: RelatedRun; children?: RelatedRun[] };
}

export interface Attempt {
  number: number;
  id: string | null;
  startedAt: string | null;
  endedAt: string | null;
  status: string;
  error: SerializedError | null;
}

export interface LogLine {
  id: string;
  attempt: number;
  level: string;
  message: string;
  data: unknown;
  at: string;
}

export interface TimelineEntry {
  seq: number;
  kind: string;
  key: string;
  at: string;
  tokenId?: string;
  batchId?: string;
  waitpoints: Array<{
    id: string;
    type: string;
    status: string;
    completeAfter?: string;
    completedAt?: string;
  }>;
  runs: Array<{ id: string; taskIdentifier: string; status: RunStatus }>;
}

export interface RunDetail {
  run: RunDetailRun;
  attempts: Attempt[];
  /** The run's newest log lines (at most 500)... */
  logs: LogLine[];
  /** ...and whether older ones exist (paged with `/runs/:id/logs?before=`). */
  logsEarlier: boolean;
  timeline: TimelineEntry[];
  streams: Array<{ id: string; length: number; bytes: number }>;
  blockedOn: string[];
}

export interface TaskInfo {
  id: string;
  queue: string;
  description?: string;
  filePath?: string;
  scheduled: boolean;
  hasSchema: boolean;
  payloadSchema?: Record<string, unknown>;
}

export interface QueueInfo {
  name: string;
  concurrencyLimit: number | null;
  totalConcurrencyLimit: number | null;
  paused: boolean;
  running: number;
  queued: number;
  waiting: number;
  keys: number;
}

export interface QueueKey {
  key: string;
  running: number;
  queued: number;
  waiting: number;
}

export interface WaitTokenInfo {
  id: string;
  url: string;
  status: "WAITING" | "COMPLETED" | "TIMED_OUT";
  completedAt?: string;
  timeoutAt?: string;
  idempotencyKey?: string;
  tags: string[];
  createdAt: string;
  output?: unknown;
}

export interface Schedule {
  id: string;
  task: string;
  type: "DECLARATIVE" | "IMPERATIVE";
  active: boolean;
  deduplicationKey?: string;
  externalId?: string;
  generator: { type: "CRON"; expression: string; description: string };
  timezone: string;
  nextRun?: string;
}

export interface Page<T> {
  data: T[];
  pagination: { next?: string };
}
