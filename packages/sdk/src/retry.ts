/** Retry options, with Trigger.dev's names and defaults. */
export interface RetryOptions {
  maxAttempts?: number;
  factor?: number;
  minTimeoutInMs?: number;
  maxTimeoutInMs?: number;
  randomize?: boolean;
}

export const DEFAULT_RETRY: Required<RetryOptions> = {
  maxAttempts: 3,
  factor: 2,
  minTimeoutInMs: 1000,
  maxTimeoutInMs: 60_000,
  randomize: true,
};

/**
 * Delay before the attempt after `attempt` (1-based), as Trigger.dev computes it:
 * min(max, min × factor^(attempt−1) × jitter) with jitter in [1, 2) when randomized.
 */
export function retryDelayMs(
  options: RetryOptions,
  attempt: number,
  random: () => number = Math.random,
): number {
  const o = { ...DEFAULT_RETRY, ...options };
  const jitter = o.randomize ? random() + 1 : 1;
  return Math.round(Math.min(o.maxTimeoutInMs, jitter * o.minTimeoutInMs * o.factor ** (attempt - 1)));
}
