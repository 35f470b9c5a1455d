import type { RetryOptions } from "./retry.js";

/**
 * The engine's store as an app sees it (structurally the engine's `Db`), so an app can keep
 * its own tables in the same database. The SDK itself holds no database code.
 */
export interface SetupStoreQueryable {
  query<T = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
  ): Promise<{ rows: T[]; rowCount: number }>;
  exec(sql: string): Promise<void>;
}

export interface SetupStore extends SetupStoreQueryable {
  readonly kind: "pglite" | "postgres";
  readonly location: string;
  transaction<T>(fn: (tx: SetupStoreQueryable) => Promise<T>): Promise<T>;
}

export interface SetupContext {
  /** The engine's open store. PGlite can be opened once per process, so apps share this one. */
  db: SetupStore;
  /** True when this process runs a worker (`start`, `worker`); false for one-shot CLI commands. */
  worker: boolean;
}

/** `mainspring.config.ts`, in the spirit of `trigger.config.ts`. */
export interface MainspringConfig {
  /** Folders whose files are imported at start; every task they export is registered. */
  dirs?: string[];
  retries?: { default?: RetryOptions };
  /** Default maxDuration in seconds for tasks that set none. */
  maxDuration?: number;
  /** Runs one worker process executes at once. */
  concurrency?: number;
  /**
   * Called by the CLI once the engine has started (migrated, worker running), before the
   * process reports ready: an app migrates its own tables and binds the store here. Runs that
   * the worker claims meanwhile must wait for the app's own readiness signal.
   */
  setup?: (context: SetupContext) => Promise<void> | void;
}

export function defineConfig(config: MainspringConfig): MainspringConfig {
  return config;
}
