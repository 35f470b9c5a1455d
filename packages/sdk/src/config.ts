import type { RetryOptions } from "./retry.js";

/** `mainspring.config.ts`, in the spirit of `trigger.config.ts`. */
export interface MainspringConfig {
  /** Folders whose files are imported at start; every task they export is registered. */
  dirs?: string[];
  retries?: { default?: RetryOptions };
  /** Default maxDuration in seconds for tasks that set none. */
  maxDuration?: number;
  /** Runs one worker process executes at once. */
  concurrency?: number;
}

export function defineConfig(config: MainspringConfig): MainspringConfig {
  return config;
}
