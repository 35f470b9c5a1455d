import { MainspringError } from "./errors.js";
import { remoteRuntime } from "./remote/configure.js";
import type { ScheduleRuntime } from "./schedules.js";
import type { StreamAppendResult, StreamReadOptions, StreamRecord } from "./streams.js";
import type {
  BatchHandle,
  BatchItem,
  ListRunsFilter,
  Run,
  RunHandle,
  RunPage,
  TriggerOptions,
} from "./types.js";
import type { CreateTokenOptions, ListTokensOptions, WaitToken, WaitTokenInfo } from "./wait-types.js";

/**
 * Where triggers and run queries go. In a process that runs the engine (`mainspring start`,
 * `mainspring worker`, `startEngine()`), the engine registers itself; a client process
 * registers an HTTP client instead.
 */
export interface TaskRuntime {
  trigger(taskId: string, payload: unknown, options?: TriggerOptions): Promise<RunHandle>;
  batchTrigger(items: Array<{ task: string } & BatchItem<unknown>>): Promise<BatchHandle>;
  retrieveRun(runId: string): Promise<Run>;
  listRuns(filter?: ListRunsFilter): Promise<RunPage>;
  cancelRun(runId: string): Promise<{ id: string }>;
  replayRun(runId: string): Promise<{ id: string }>;
  rescheduleRun(runId: string, options: { delay: string | Date }): Promise<Run>;
  addTags(runId: string, tags: string[]): Promise<void>;
  /** Imperative schedules (`schedules.create`, `list`, ...). */
  schedules: ScheduleRuntime;
  createToken(options: CreateTokenOptions): Promise<WaitToken>;
  completeToken(tokenId: string, data: unknown): Promise<{ success: true }>;
  retrieveToken(tokenId: string): Promise<WaitTokenInfo>;
  listTokens(options: ListTokensOptions): Promise<{ data: WaitTokenInfo[]; nextCursor?: string }>;
  /**
   * Appends chunks (any JSON values) to a run's stream, in order, without replay protection
   * (writes from inside a run go through `RunScope.durable.openStream`).
   */
  appendStream(runId: string, streamId: string, chunks: unknown[]): Promise<StreamAppendResult>;
  /**
   * A run's stream from index `from` (default 0): every stored chunk, then live ones as they
   * are appended. Ends when the run is in a final status and every chunk was delivered, or
   * when `signal` aborts.
   */
  readStream(runId: string, streamId: string, options?: StreamReadOptions): AsyncIterable<StreamRecord>;
}

let active: TaskRuntime | undefined;

export function setRuntime(runtime: TaskRuntime | undefined): void {
  active = runtime;
}

/**
 * The registered runtime (an engine in this process), else the HTTP API client that
 * `configure()` or the environment (`MAINSPRING_API_URL` + `MAINSPRING_SECRET_KEY`, or the
 * `TRIGGER_` names) set up.
 */
export function getRuntime(): TaskRuntime {
  const runtime = active ?? remoteRuntime();
  if (!runtime) {
    throw new MainspringError(
      "NO_RUNTIME",
      "No Mainspring engine is running in this process. Start one with startEngine() from @mainspring/engine, " +
        "run the code under `mainspring start` / `mainspring worker`, or reach a server over HTTP with " +
        "configure({ baseURL, accessToken }) or MAINSPRING_API_URL and MAINSPRING_SECRET_KEY.",
    );
  }
  return runtime;
}
