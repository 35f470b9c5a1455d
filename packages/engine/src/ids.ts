import { monotonicFactory } from "ulid";

const ulid = monotonicFactory();

/** Time-ordered ids with Trigger.dev-style prefixes (`run_…`, `batch_…`). */
export const newId = (prefix: "run" | "batch" | "worker" | "waitpoint"): string =>
  `${prefix}_${ulid().toLowerCase()}`;
