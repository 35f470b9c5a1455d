/**
 * `@mainspring/react`: React hooks for Mainspring with `@trigger.dev/react-hooks`' names and
 * signatures. Browser-safe (fetch, no Node APIs); see docs/react.md.
 */
export {
  type RealtimeTriggerInstance,
  type TaskRunHandle,
  type TaskTriggerOptions,
  type TriggerInstance,
  type UseRealtimeTaskTriggerOptions,
  type UseTaskTriggerOptions,
  useRealtimeTaskTrigger,
  useTaskTrigger,
  useWaitToken,
  type WaitTokenInstance,
} from "./actions.js";
export { type ApiClientConfiguration, ApiError } from "./client.js";
export {
  MainspringProvider,
  type MainspringProviderProps,
  TriggerAuthContext,
  type UseApiClientOptions,
  useTriggerAuthContext,
  useTriggerAuthContextOptional,
} from "./context.js";
export {
  DEFAULT_STREAM_KEY,
  type UseRealtimeRunInstance,
  type UseRealtimeRunOptions,
  type UseRealtimeRunsInstance,
  type UseRealtimeRunsWithTagOptions,
  type UseRealtimeSingleRunOptions,
  type UseRealtimeStreamInstance,
  type UseRealtimeStreamOptions,
  useRealtimeBatch,
  useRealtimeRun,
  useRealtimeRunsWithTag,
  useRealtimeStream,
} from "./realtime.js";
export { type SseEvent, SseParser } from "./sse.js";
export {
  type AnyTask,
  defineStream,
  type InferStreamPart,
  type RealtimeRun,
  type RunStatus,
  type StreamDescriptor,
  type TaskIdentifier,
  type TaskOutput,
  type TaskPayload,
} from "./types.js";
