export interface CreateTokenOptions {
  /** When the token times out: a duration ("1h") or a Date. Unset: never. */
  timeout?: string | Date;
  idempotencyKey?: string | string[];
  /** How long the idempotency key holds (default 30 days). */
  idempotencyKeyTTL?: string;
  tags?: string | string[];
}

export interface WaitToken {
  id: string;
  /** Completing URL for HTTP callbacks (served by the HTTP API). */
  url: string;
  /** True when the idempotency key matched an existing token. */
  isCached: boolean;
  /** A token that may complete this wait token (set by the HTTP API client). */
  publicAccessToken?: string;
}

export type WaitTokenStatus = "WAITING" | "COMPLETED" | "TIMED_OUT";

export interface WaitTokenInfo<T = unknown> {
  id: string;
  status: WaitTokenStatus;
  output?: T;
  error?: Error;
  idempotencyKey?: string;
  idempotencyKeyExpiresAt?: Date;
  timeoutAt?: Date;
  tags: string[];
  createdAt: Date;
  completedAt?: Date;
}

export interface ListTokensOptions {
  status?: WaitTokenStatus | WaitTokenStatus[];
  tags?: string | string[];
  idempotencyKey?: string;
  limit?: number;
  /** The last token id of the previous page. */
  after?: string;
}

/** Raised by `.unwrap()` on a token wait that timed out. */
export class WaitpointTimeoutError extends Error {
  override name = "WaitpointTimeoutError";
}
