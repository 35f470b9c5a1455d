import { MainspringError } from "@mainspring/sdk";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ZodError } from "zod";

/**
 * Every error response has one shape: `{ error: message, code }`. The official Trigger.dev
 * client reads `error` as the message and `code` as the code (ApiError), so its callers see
 * the same text ours do. `x-should-retry: false` stops that client from retrying a 4xx that
 * cannot succeed on retry.
 */
export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

const STATUS_BY_CODE: Record<string, ContentfulStatusCode> = {
  TASK_NOT_FOUND: 404,
  QUEUE_NOT_FOUND: 404,
  RUN_NOT_FOUND: 404,
  WAITPOINT_NOT_FOUND: 404,
  SCHEDULE_NOT_FOUND: 404,
  STREAM_NOT_FOUND: 404,
  INVALID_PAYLOAD: 422,
  INVALID_OPTIONS: 400,
  INVALID_DURATION: 400,
  INVALID_SCHEDULE: 400,
  PAYLOAD_TOO_LARGE: 413,
  OUTPUT_TOO_LARGE: 413,
  BATCH_TOO_LARGE: 400,
  RUN_NOT_RESCHEDULABLE: 409,
  RUN_EXECUTING: 409,
  METADATA_TOO_LARGE: 413,
  STREAM_CHUNK_TOO_LARGE: 413,
  STREAM_LIMIT: 400,
  STREAM_CLOSED: 409,
  STORE_LOCKED: 503,
};

/** 22021 bad encoding, 22P05 untranslatable character, 22007/22008/22009 bad or out-of-range datetime, 22003 numeric out of range. */
const PG_BAD_INPUT = new Set(["22021", "22P05", "22008", "22007", "22009", "22003"]);

export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof MainspringError) {
    return new HttpError(STATUS_BY_CODE[error.code] ?? 400, error.code, error.message, error.details);
  }
  if (error instanceof ZodError) {
    const issue = error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    return new HttpError(
      400,
      "INVALID_REQUEST",
      `Invalid request body. ${where}${issue?.message ?? ""}`.trim(),
      error.issues,
    );
  }
  // PostgreSQL's data exceptions on values the edge let through (a NUL byte, a date out of range)
  const pgCode = (error as { code?: unknown }).code;
  if (typeof pgCode === "string" && PG_BAD_INPUT.has(pgCode)) {
    return new HttpError(
      400,
      "INVALID_REQUEST",
      "A value in the request cannot be stored (invalid text or out of range)",
    );
  }
  return new HttpError(500, "INTERNAL", "Internal server error");
}

export function errorResponse(c: Context, error: HttpError): Response {
  if (error.status < 500 || error.status === 503)
    c.header("x-should-retry", error.status === 503 ? "true" : "false");
  return c.json(
    { error: error.message, code: error.code, ...(error.details ? { details: error.details } : {}) },
    error.status,
  );
}
