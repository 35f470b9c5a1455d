import { metadata } from "@mainspring/sdk";

export interface BatchProgress {
  operation: "score-leads" | "index-documents";
  workspaceId: string;
  done: number;
  total: number;
  /** 0..1, for a progress bar. */
  fraction: number;
}

/**
 * Reports a bulk operation's progress on the run. Today it is run metadata (`progress`),
 * which `runs.retrieve` and the dashboard read; the seed's `batchProgressStream` will carry
 * the same object once run streams land (one call site to change: this one).
 */
export async function reportBatchProgress(p: Omit<BatchProgress, "fraction">): Promise<void> {
  const fraction = p.total === 0 ? 1 : Math.min(1, p.done / p.total);
  metadata.set("progress", { ...p, fraction });
}
