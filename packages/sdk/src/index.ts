export { type BatchByIdItem, type BatchByTaskItem, batch } from "./batch.js";
export {
  type BatchResult,
  SubtaskUnwrapError,
  type TaskRunPromise,
  type TaskRunResult,
} from "./child-runs.js";
export {
  type AppRoute,
  type AppRouteAuth,
  type AppRouteRequest,
  defineConfig,
  type MainspringConfig,
  type SetupContext,
  type SetupStore,
  type SetupStoreQueryable,
} from "./config.js";
export { parseDuration, resolveDate, ttlToSeconds } from "./duration.js";
export {
  AbortTaskRunError,
  type ErrorCode,
  MainspringError,
  MaxDurationExceededError,
  RunCanceledError,
  type SerializedError,
  serializeError,
} from "./errors.js";
export {
  type IdempotencyKey,
  type IdempotencyKeyScope,
  idempotencyKeys,
  isIdempotencyKey,
  resolveIdempotencyKey,
} from "./idempotency-keys.js";
export { logger } from "./logger.js";
export { type MetadataUpdater, metadata } from "./metadata.js";
export { allQueues, getQueue, type Queue, type QueueOptions, queue } from "./queue.js";
export { type ConfigureOptions, configure } from "./remote/configure.js";
export { type HttpClientOptions, MainspringApiError } from "./remote/http-client.js";
export { HttpRuntime, type HttpRuntimeOptions } from "./remote/http-runtime.js";
export { DEFAULT_RETRY, type RetryOptions, retryDelayMs } from "./retry.js";
export {
  type ChildOutcome,
  type ChildRequest,
  currentRun,
  type DurableOps,
  type LogLevel,
  type RunScope,
  runInScope,
  type StreamSink,
} from "./run-scope.js";
export { runs } from "./runs.js";
export { getRuntime, setRuntime, type TaskRuntime } from "./runtime.js";
export * from "./schedules.js";
export { step } from "./step.js";
export {
  type AppendStreamOptions,
  type AsyncIterableStream,
  type InferStreamType,
  type PipeStreamOptions,
  type PipeStreamResult,
  type ReadStreamOptions,
  type RealtimeDefinedStream,
  STREAM_ID_PATTERN,
  type StreamAppendResult,
  type StreamReadOptions,
  type StreamRecord,
  type StreamWriteResult,
  streams,
  type WriterStreamOptions,
} from "./streams.js";
export { tags } from "./tags.js";
export {
  allTasks,
  type CatchErrorParams,
  type CatchErrorResult,
  getTask,
  noteTaskLocation,
  type PayloadSchema,
  parsePayload,
  type RunParams,
  schemaTask,
  type Task,
  type TaskDefinition,
  type TaskOptions,
  type TaskResult,
  task,
} from "./task.js";
export { tasks } from "./tasks.js";
export * from "./types.js";
export { type WaitForOptions, type WaitResult, wait } from "./wait.js";
export {
  type CreateTokenOptions,
  type ListTokensOptions,
  WaitpointTimeoutError,
  type WaitToken,
  type WaitTokenInfo,
  type WaitTokenStatus,
} from "./wait-types.js";
