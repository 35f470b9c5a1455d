import { MainspringError } from "./errors.js";
import { currentRun } from "./run-scope.js";
import { getRuntime } from "./runtime.js";
import type { CreateTokenOptions, ListTokensOptions, WaitToken, WaitTokenInfo } from "./wait-types.js";

export interface WaitForOptions {
  seconds?: number;
  minutes?: number;
  hours?: number;
  days?: number;
  weeks?: number;
  months?: number;
  years?: number;
}

const MS: Record<keyof WaitForOptions, number> = {
  seconds: 1000,
  minutes: 60_000,
  hours: 3_600_000,
  days: 86_400_000,
  weeks: 604_800_000,
  months: 30 * 86_400_000,
  years: 365 * 86_400_000,
};

export type WaitResult<T> = ({ ok: true; output: T } | { ok: false; error: Error }) & {
  /** The output, or throws the timeout error. */
  unwrap(): T;
};

function durable(what: string) {
  const scope = currentRun();
  if (!scope) throw new MainspringError("NOT_IN_RUN", `${what} can only be used inside a run`);
  return scope.durable;
}

function withUnwrap<T>(result: { ok: true; output: T } | { ok: false; error: Error }): WaitResult<T> {
  return Object.defineProperty(result, "unwrap", {
    enumerable: false,
    value: () => {
      if (result.ok) return result.output;
      throw result.error;
    },
  }) as WaitResult<T>;
}

/**
 * Trigger.dev's `wait`. Waits are durable: the run gives back its worker slot and memory and
 * is resumed (replayed from its journal) when the wait is over, even across restarts.
 */
export const wait = {
  /** Waits for a duration, e.g. `wait.for({ minutes: 5 })`. */
  async for(options: WaitForOptions): Promise<void> {
    let ms = 0;
    for (const [unit, value] of Object.entries(options)) {
      const factor = MS[unit as keyof WaitForOptions];
      if (factor === undefined || typeof value !== "number" || !Number.isFinite(value) || value < 0) {
        throw new MainspringError(
          "INVALID_DURATION",
          `wait.for: "${unit}: ${value}" is not a valid duration`,
        );
      }
      ms += value * factor;
    }
    await durable("wait.for()").waitUntil({ ms });
  },

  /** Waits until a date. With `throwIfInThePast`, a past date is an error; otherwise it returns at once. */
  async until(options: { date: Date; throwIfInThePast?: boolean }): Promise<void> {
    const ops = durable("wait.until()");
    if (!(options.date instanceof Date) || Number.isNaN(options.date.getTime()))
      throw new MainspringError("INVALID_DURATION", "wait.until needs a valid Date");
    if (options.throwIfInThePast && options.date.getTime() < Date.now())
      throw new MainspringError(
        "INVALID_DURATION",
        `wait.until: ${options.date.toISOString()} is in the past`,
      );
    await ops.waitUntil({ date: options.date });
  },

  /** Creates a token that a person or system completes later. Works inside and outside runs. */
  createToken(options: CreateTokenOptions = {}): Promise<WaitToken> {
    const scope = currentRun();
    return scope ? scope.durable.createToken(options) : getRuntime().createToken(options);
  },

  /** Waits until the token is completed (`ok: true`) or times out (`ok: false`). */
  async forToken<T = unknown>(token: string | { id: string }): Promise<WaitResult<T>> {
    const id = typeof token === "string" ? token : token.id;
    const result = await durable("wait.forToken()").waitForToken(id);
    return withUnwrap(result as { ok: true; output: T } | { ok: false; error: Error });
  },

  /** Completes a token with data; the runs waiting on it resume. Completing twice changes nothing. */
  completeToken<T>(token: string | { id: string }, data: T): Promise<{ success: true }> {
    return getRuntime().completeToken(typeof token === "string" ? token : token.id, data);
  },

  retrieveToken<T = unknown>(token: string | { id: string }): Promise<WaitTokenInfo<T>> {
    return getRuntime().retrieveToken(typeof token === "string" ? token : token.id) as Promise<
      WaitTokenInfo<T>
    >;
  },

  listTokens(options: ListTokensOptions = {}): Promise<{ data: WaitTokenInfo[]; nextCursor?: string }> {
    return getRuntime().listTokens(options);
  },
};

export { withUnwrap };
