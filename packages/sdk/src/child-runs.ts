import { MainspringError } from "./errors.js";
import { type ChildOutcome, type ChildRequest, currentRun } from "./run-scope.js";
import type { BatchItem, TriggerOptions } from "./types.js";

/** The result of waiting for a child run (Trigger.dev's TaskRunResult). */
export type TaskRunResult<TId extends string = string, TOutput = unknown> = (
  | { ok: true; id: string; taskIdentifier: TId; output: TOutput }
  | { ok: false; id: string; taskIdentifier: TId; error: unknown }
) & {
  /** The output, or throws the child's error. */
  unwrap(): TOutput;
};

/** A promise of a child's result that can also be unwrapped directly: `await t.triggerAndWait(p).unwrap()`. */
export type TaskRunPromise<TId extends string, TOutput> = Promise<TaskRunResult<TId, TOutput>> & {
  unwrap(): Promise<TOutput>;
};

export interface BatchResult<TId extends string = string, TOutput = unknown> {
  id: string;
  runs: TaskRunResult<TId, TOutput>[];
}

/** Raised by `.unwrap()` on a child run that did not complete successfully. */
export class SubtaskUnwrapError extends Error {
  override name = "SubtaskUnwrapError";
  constructor(
    readonly taskId: string,
    readonly runId: string,
    override readonly cause: unknown,
  ) {
    super(`Error in ${taskId} (run ${runId}): ${(cause as { message?: string })?.message ?? String(cause)}`);
  }
}

function toResult(outcome: ChildOutcome): TaskRunResult {
  const result = outcome.ok
    ? { ok: true as const, id: outcome.id, taskIdentifier: outcome.taskIdentifier, output: outcome.output }
    : { ok: false as const, id: outcome.id, taskIdentifier: outcome.taskIdentifier, error: outcome.error };
  return Object.defineProperty(result, "unwrap", {
    enumerable: false,
    value: () => {
      if (result.ok) return result.output;
      throw new SubtaskUnwrapError(result.taskIdentifier, result.id, result.error);
    },
  }) as TaskRunResult;
}

function durable(what: string) {
  const scope = currentRun();
  if (!scope) throw new MainspringError("NOT_IN_RUN", `${what} can only be used inside a run`);
  return scope.durable;
}

export function triggerAndWaitChild<TId extends string, TOutput>(
  taskId: TId,
  payload: unknown,
  options?: TriggerOptions,
): TaskRunPromise<TId, TOutput> {
  const promise = (async () => {
    const { runs } = await durable("triggerAndWait()").triggerAndWait(
      [{ task: taskId, payload, options }],
      false,
    );
    return toResult(runs[0]!) as TaskRunResult<TId, TOutput>;
  })();
  return Object.assign(promise, { unwrap: () => promise.then((r) => r.unwrap()) });
}

export async function batchTriggerAndWaitChildren(children: ChildRequest[]): Promise<BatchResult> {
  const { batchId, runs } = await durable("batchTriggerAndWait()").triggerAndWait(children, true);
  return { id: batchId ?? "", runs: runs.map(toResult) };
}

export function asChildren(taskId: string, items: BatchItem<unknown>[]): ChildRequest[] {
  return items.map((item) => ({ task: taskId, payload: item.payload, options: item.options }));
}
