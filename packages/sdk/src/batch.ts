import { type BatchResult, batchTriggerAndWaitChildren } from "./child-runs.js";
import { getRuntime } from "./runtime.js";
import type { BatchHandle, TriggerOptions } from "./types.js";

export interface BatchByIdItem {
  id: string;
  payload: unknown;
  options?: TriggerOptions;
}

export interface BatchByTaskItem {
  task: { id: string };
  payload: unknown;
  options?: TriggerOptions;
}

/** Trigger.dev's `batch`: batches that mix tasks, by id or by task object. */
export const batch = {
  trigger(items: BatchByIdItem[]): Promise<BatchHandle> {
    return getRuntime().batchTrigger(
      items.map((i) => ({ task: i.id, payload: i.payload, options: i.options })),
    );
  },
  triggerAndWait(items: BatchByIdItem[]): Promise<BatchResult> {
    return batchTriggerAndWaitChildren(
      items.map((i) => ({ task: i.id, payload: i.payload, options: i.options })),
    );
  },
  triggerByTask(items: BatchByTaskItem[]): Promise<BatchHandle> {
    return getRuntime().batchTrigger(
      items.map((i) => ({ task: i.task.id, payload: i.payload, options: i.options })),
    );
  },
  triggerByTaskAndWait(items: BatchByTaskItem[]): Promise<BatchResult> {
    return batchTriggerAndWaitChildren(
      items.map((i) => ({ task: i.task.id, payload: i.payload, options: i.options })),
    );
  },
};
