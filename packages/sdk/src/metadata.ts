import { currentRun } from "./run-scope.js";
import type { JsonValue, RunMetadata } from "./types.js";

/**
 * Run metadata (Trigger.dev v4 `metadata`). Inside a run, updates apply to the run's metadata
 * at once in memory and are persisted by the engine in the background (at most ~500 ms later)
 * and at the end of the attempt; `flush()` persists now. Outside a run the updaters do nothing,
 * as in Trigger.dev. Updaters are chainable: `metadata.set("a", 1).increment("n", 2)`.
 */
export interface MetadataUpdater {
  set(key: string, value: JsonValue): MetadataUpdater;
  del(key: string): MetadataUpdater;
  append(key: string, value: JsonValue): MetadataUpdater;
  remove(key: string, value: JsonValue): MetadataUpdater;
  increment(key: string, value?: number): MetadataUpdater;
  decrement(key: string, value?: number): MetadataUpdater;
  replace(value: RunMetadata): MetadataUpdater;
}

function update(apply: (data: RunMetadata) => void): void {
  const scope = currentRun();
  if (!scope) return;
  apply(scope.metadata);
  scope.metadataChanged();
}

const updater: MetadataUpdater = {
  set(key, value) {
    update((d) => {
      d[key] = value;
    });
    return updater;
  },
  del(key) {
    update((d) => {
      delete d[key];
    });
    return updater;
  },
  append(key, value) {
    update((d) => {
      const existing = d[key];
      d[key] = Array.isArray(existing)
        ? [...existing, value]
        : existing === undefined
          ? [value]
          : [existing, value];
    });
    return updater;
  },
  remove(key, value) {
    update((d) => {
      const existing = d[key];
      if (Array.isArray(existing)) {
        const needle = JSON.stringify(value);
        d[key] = existing.filter((item) => JSON.stringify(item) !== needle);
      }
    });
    return updater;
  },
  increment(key, value = 1) {
    update((d) => {
      const existing = d[key];
      d[key] = (typeof existing === "number" ? existing : 0) + value;
    });
    return updater;
  },
  decrement(key, value = 1) {
    return updater.increment(key, -value);
  },
  replace(value) {
    update((d) => {
      for (const key of Object.keys(d)) delete d[key];
      Object.assign(d, value);
    });
    return updater;
  },
};

export const metadata = {
  ...updater,
  /** The current run's metadata, or undefined outside a run. */
  current(): RunMetadata | undefined {
    return currentRun()?.metadata;
  },
  get(key: string): JsonValue | undefined {
    return currentRun()?.metadata[key];
  },
  /** Persists pending metadata changes now. */
  async flush(): Promise<void> {
    await currentRun()?.flushMetadata();
  },
};
