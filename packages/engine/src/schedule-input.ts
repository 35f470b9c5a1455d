import { type CreateScheduleOptions, getTask, MainspringError, scheduledTaskIds } from "@mainspring/sdk";
import type { ScheduleRow } from "./sql/schedules.js";

/** The imperative schedules API's input checks and errors, with messages that say what to do. */

export function notFound(scheduleId: string): MainspringError {
  return new MainspringError("SCHEDULE_NOT_FOUND", `Schedule "${scheduleId}" does not exist`);
}

export function declarative(row: ScheduleRow, verb: string): MainspringError {
  return new MainspringError(
    "INVALID_SCHEDULE",
    `Schedule "${row.id}" is DECLARATIVE (the cron of task "${row.task_id}") and cannot be ${verb} through ` +
      "the API: change or remove the cron in the task's code instead (deactivate() and activate() work)",
  );
}

export function checkOptions(
  options: Partial<CreateScheduleOptions>,
  create: boolean,
): { task: string; cron: string; timezone?: string; externalId?: string; deduplicationKey?: string } {
  const fail = (message: string) => new MainspringError("INVALID_SCHEDULE", message);
  if (!options || typeof options !== "object") throw fail("Schedule options must be an object");
  if (typeof options.task !== "string" || options.task === "")
    throw fail("A schedule needs a `task` (a task id)");
  if (typeof options.cron !== "string") throw fail('A schedule needs a `cron` pattern, e.g. "0 2 * * *"');
  if (options.timezone !== undefined && typeof options.timezone !== "string")
    throw fail("`timezone` must be an IANA time zone name");
  if (
    options.externalId !== undefined &&
    options.externalId !== null &&
    typeof options.externalId !== "string"
  )
    throw fail("`externalId` must be a string");
  if (create && (typeof options.deduplicationKey !== "string" || options.deduplicationKey === ""))
    throw fail(
      "schedules.create needs a `deduplicationKey`: creating again with the same key updates that schedule",
    );
  return {
    task: options.task,
    cron: options.cron,
    timezone: options.timezone,
    externalId: options.externalId || undefined,
    deduplicationKey: options.deduplicationKey,
  };
}

export function checkTask(taskId: string): void {
  if (!getTask(taskId)) {
    throw new MainspringError(
      "TASK_NOT_FOUND",
      `Task "${taskId}" is not defined. Check the id, and that its file is under a folder listed in mainspring.config.ts "dirs".`,
    );
  }
  if (!scheduledTaskIds().includes(taskId)) {
    throw new MainspringError(
      "INVALID_SCHEDULE",
      `Task "${taskId}" is not a scheduled task: define it with schedules.task({ id: "${taskId}", run }) to attach schedules to it`,
    );
  }
}
