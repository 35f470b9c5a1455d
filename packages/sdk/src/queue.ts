import { MainspringError } from "./errors.js";

export interface QueueOptions {
  name: string;
  /** Runs of this queue executing at once, per concurrency key. Unset means no limit. */
  concurrencyLimit?: number;
  /**
   * Beyond Trigger.dev: runs executing at once across all concurrency keys of the queue.
   * Unset means only the per-key limit applies.
   */
  totalConcurrencyLimit?: number;
}

export interface Queue extends Readonly<QueueOptions> {
  readonly kind: "queue";
}

const queues = new Map<string, Queue>();

function checkLimit(name: string, field: string, value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 0 || value > 100_000) {
    throw new MainspringError(
      "CONFIG_INVALID",
      `queue "${name}": ${field} must be an integer from 0 to 100000, got ${value}`,
    );
  }
}

/** Defines a named queue (Trigger.dev v4 `queue()`); tasks and triggers refer to it by name. */
export function queue(options: QueueOptions): Queue {
  if (!options.name || options.name.length > 128) {
    throw new MainspringError("CONFIG_INVALID", "A queue needs a name of 1 to 128 characters");
  }
  checkLimit(options.name, "concurrencyLimit", options.concurrencyLimit);
  checkLimit(options.name, "totalConcurrencyLimit", options.totalConcurrencyLimit);
  const defined: Queue = Object.freeze({ kind: "queue", ...options });
  queues.set(options.name, defined);
  return defined;
}

export function registerQueue(definition: Queue): void {
  queues.set(definition.name, definition);
}

export function getQueue(name: string): Queue | undefined {
  return queues.get(name);
}

export function allQueues(): Queue[] {
  return [...queues.values()];
}
