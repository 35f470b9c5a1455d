import { AsyncLocalStorage } from "node:async_hooks";
import type { JsonValue, RunMetadata, TaskRunContext, TriggerOptions } from "./types.js";
import type { CreateTokenOptions, WaitToken } from "./wait-types.js";

export type LogLevel = "debug" | "info" | "warn" | "error";

/**
 * What the SDK needs from the attempt it is running in. The engine's executor provides it;
 * `metadata`, `logger`, `tags.add` and scoped idempotency keys read it.
 */
export interface RunScope {
  ctx: TaskRunContext;
  /** How deep the run is in its tree: 0 for a root run, parent's depth + 1 for a child. */
  depth: number;
  signal: AbortSignal;
  metadata: RunMetadata;
  /** Marks metadata as changed; the executor persists it (batched, and at the attempt's end). */
  metadataChanged(): void;
  /** Persist pending metadata now. */
  flushMetadata(): Promise<void>;
  log(level: LogLevel, message: string, data?: Record<string, JsonValue>): void;
  addTags(tags: string[]): Promise<void>;
  /** Journaled operations: waits, tokens, child runs and steps (replayed on resume). */
  durable: DurableOps;
  /**
   * Registers a stream write in progress (`pipe`, `writer`, `append`): the executor lets
   * unfinished writes complete (up to 60 s) before it records the attempt's end.
   */
  trackStreamWrite(write: Promise<unknown>, streamId: string): void;
}

/**
 * Where one stream write (a `pipe`, `writer` or `append` call) goes. Inside a run the
 * engine gives each call a position that a replay reproduces, so replayed chunks are not
 * stored twice.
 */
export interface StreamSink {
  /** Appends the values in order; resolves with the index of the last one (undefined if none). */
  write(values: unknown[]): Promise<number | undefined>;
}

export interface ChildRequest {
  task: string;
  payload: unknown;
  options?: TriggerOptions;
}

export interface ChildOutcome {
  ok: boolean;
  id: string;
  taskIdentifier: string;
  output?: unknown;
  error?: unknown;
}

export interface DurableOps {
  waitUntil(at: { date: Date } | { ms: number }): Promise<void>;
  createToken(options: CreateTokenOptions): Promise<WaitToken>;
  waitForToken(tokenId: string): Promise<{ ok: true; output: unknown } | { ok: false; error: Error }>;
  triggerAndWait(
    children: ChildRequest[],
    batch: boolean,
  ): Promise<{ batchId?: string; runs: ChildOutcome[] }>;
  step<T>(name: string, fn: () => Promise<T> | T): Promise<T>;
  /** A sink for one stream write call to `runId`'s stream `streamId` (replay-safe positions). */
  openStream(runId: string, streamId: string): StreamSink;
}

const storage = new AsyncLocalStorage<RunScope>();

export function currentRun(): RunScope | undefined {
  return storage.getStore();
}

export function runInScope<T>(scope: RunScope, fn: () => T): T {
  return storage.run(scope, fn);
}
