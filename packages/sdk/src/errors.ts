/**
 * Errors with a stable `code`, so callers (and the HTTP API later) can branch on them
 * without parsing messages.
 */
export type ErrorCode =
  | "TASK_NOT_FOUND"
  | "QUEUE_NOT_FOUND"
  | "INVALID_PAYLOAD"
  | "INVALID_OPTIONS"
  | "INVALID_DURATION"
  | "PAYLOAD_TOO_LARGE"
  | "OUTPUT_TOO_LARGE"
  | "BATCH_TOO_LARGE"
  | "RUN_NOT_FOUND"
  | "WAITPOINT_NOT_FOUND"
  | "RUN_NOT_RESCHEDULABLE"
  | "NO_RUNTIME"
  | "NOT_IN_RUN"
  | "STORE_LOCKED"
  | "CONFIG_INVALID"
  | "INVALID_SCHEDULE"
  | "SCHEDULE_NOT_FOUND"
  | "RUN_EXECUTING"
  | "METADATA_TOO_LARGE"
  | "STREAM_CHUNK_TOO_LARGE"
  | "STREAM_LIMIT"
  | "STREAM_CLOSED";

export class MainspringError extends Error {
  override name = "MainspringError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** Throw from a task to fail the run at once, without retrying (Trigger.dev's `AbortTaskRunError`). */
export class AbortTaskRunError extends Error {
  override name = "AbortTaskRunError";
}

/** Raised inside a run whose `maxDuration` elapsed; the run ends `TIMED_OUT` and is not retried. */
export class MaxDurationExceededError extends Error {
  override name = "MaxDurationExceededError";
  constructor(readonly maxDurationInSeconds: number) {
    super(`Run exceeded its maxDuration of ${maxDurationInSeconds}s`);
  }
}

/** Raised inside a run that was canceled while it executed. */
export class RunCanceledError extends Error {
  override name = "RunCanceledError";
  constructor() {
    super("Run was canceled");
  }
}

/** The serialised form of an error, as stored on a run and returned by `runs.retrieve`. */
export interface SerializedError {
  type: "BUILT_IN_ERROR" | "STRING_ERROR" | "CUSTOM_ERROR" | "INTERNAL_ERROR";
  name?: string;
  message: string;
  stackTrace?: string;
  code?: string;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      type: "BUILT_IN_ERROR",
      name: error.name,
      message: error.message,
      stackTrace: error.stack,
      ...(typeof code === "string" ? { code } : {}),
    };
  }
  if (typeof error === "string") return { type: "STRING_ERROR", message: error };
  let message: string;
  try {
    message = JSON.stringify(error);
  } catch {
    message = String(error);
  }
  return { type: "CUSTOM_ERROR", message };
}
