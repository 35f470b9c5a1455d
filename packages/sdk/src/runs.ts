import { getRuntime } from "./runtime.js";
import type { ListRunsFilter, Run, RunPage } from "./types.js";

/** Trigger.dev's `runs`: inspect and manage runs. */
export const runs = {
  retrieve<TOutput = unknown>(runId: string): Promise<Run<unknown, TOutput>> {
    return getRuntime().retrieveRun(runId) as Promise<Run<unknown, TOutput>>;
  },
  list(filter?: ListRunsFilter): Promise<RunPage> {
    return getRuntime().listRuns(filter);
  },
  cancel(runId: string): Promise<{ id: string }> {
    return getRuntime().cancelRun(runId);
  },
  /** Triggers a new run with the same task, payload and options. */
  replay(runId: string): Promise<{ id: string }> {
    return getRuntime().replayRun(runId);
  },
  /** Changes the start time of a DELAYED run. */
  reschedule(runId: string, options: { delay: string | Date }): Promise<Run> {
    return getRuntime().rescheduleRun(runId, options);
  },
};
