import { AsyncLocalStorage } from "node:async_hooks";
import type { JsonValue, RunMetadata, TaskRunContext } from "./types.js";

export type LogLevel = "debug" | "info" | "warn" | "error";

/**
 * What the SDK needs from the attempt it is running in. The engine's executor provides it;
 * `metadata`, `logger`, `tags.add` and scoped idempotency keys read it.
 */
export interface RunScope {
  ctx: TaskRunContext;
  signal: AbortSignal;
  metadata: RunMetadata;
  /** Marks metadata as changed; the executor persists it (batched, and at the attempt's end). */
  metadataChanged(): void;
  /** Persist pending metadata now. */
  flushMetadata(): Promise<void>;
  log(level: LogLevel, message: string, data?: Record<string, JsonValue>): void;
  addTags(tags: string[]): Promise<void>;
}

const storage = new AsyncLocalStorage<RunScope>();

export function currentRun(): RunScope | undefined {
  return storage.getStore();
}

export function runInScope<T>(scope: RunScope, fn: () => T): T {
  return storage.run(scope, fn);
}
