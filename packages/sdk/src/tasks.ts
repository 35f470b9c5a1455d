import { getRuntime } from "./runtime.js";
import type { Task } from "./task.js";
import type { BatchHandle, BatchItem, RunHandle, TriggerOptions } from "./types.js";

type AnyTask = Task<string, any, any>;
type PayloadOf<T> = T extends Task<string, infer P, any> ? P : unknown;

/** Trigger a task by id, without importing its code (Trigger.dev's `tasks`). */
export const tasks = {
  trigger<T extends AnyTask = AnyTask>(
    id: T extends Task<infer I, any, any> ? I : string,
    payload: PayloadOf<T>,
    options?: TriggerOptions,
  ): Promise<RunHandle> {
    return getRuntime().trigger(id, payload, options);
  },
  batchTrigger<T extends AnyTask = AnyTask>(
    id: T extends Task<infer I, any, any> ? I : string,
    items: BatchItem<PayloadOf<T>>[],
  ): Promise<BatchHandle> {
    return getRuntime().batchTrigger(items.map((item) => ({ task: id, ...item })));
  },
};
