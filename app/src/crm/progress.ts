import { metadata, streams } from "@mainspring/sdk";

export interface BatchProgress {
  operation: "score-leads" | "index-documents";
  workspaceId: string;
  done: number;
  total: number;
  /** 0..1, for a progress bar. */
  fraction: number;
}

/** Defined here (not in trigger/streams.ts, which re-exports it) so crm/ does not import trigger/. */
export const batchProgress = streams.define<BatchProgress>({ id: "batch-progress" });

/**
 * Reports a bulk operation's progress: a chunk on the run's `batchProgressStream` (a late
 * subscriber reads every step from the start) and the latest value in run metadata
 * (`progress`), which `runs.retrieve` and run lists show without reading the stream.
 */
export async function reportBatchProgress(p: Omit<BatchProgress, "fraction">): Promise<void> {
  const progress = { ...p, fraction: p.total === 0 ? 1 : Math.min(1, p.done / p.total) };
  metadata.set("progress", progress);
  await batchProgress.append(progress);
}
