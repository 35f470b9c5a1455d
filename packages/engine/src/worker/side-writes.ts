import type { JsonValue, LogLevel } from "@mainspring/sdk";
import type { Limits } from "../limits.js";
import type { ClaimedRow } from "../sql/claim.js";
import { insertLogs, type LogLine, writeMetadata } from "../sql/runs.js";
import type { Db } from "../store/db.js";
import type { Attempt } from "./execute.js";

/**
 * Writes that ride alongside attempts rather than ending them: log lines and metadata.
 * Both are buffered and written in batches (every 500 ms, and before each completion batch),
 * so a chatty task costs a statement per batch, not one per line.
 */
export class SideWrites {
  private pendingLogs: LogLine[] = [];

  constructor(
    private readonly db: Db,
    private readonly limits: Limits,
    private readonly onError: (error: unknown, where: string) => void,
  ) {}

  log(row: ClaimedRow, level: LogLevel, message: string, data?: Record<string, JsonValue>): void {
    this.pendingLogs.push({
      run_id: row.id,
      attempt: row.attempt_number,
      level,
      message,
      data: data ?? null,
      at: new Date().toISOString(),
    });
  }

  async flushLogs(): Promise<void> {
    if (this.pendingLogs.length === 0) return;
    const lines = this.pendingLogs;
    this.pendingLogs = [];
    await insertLogs(this.db, lines);
  }

  /** Persists changed metadata of running attempts (fenced by attempt id). */
  async flushMetadata(attempts: Attempt[]): Promise<void> {
    const updates: Array<{ attempt_id: string; metadata: Record<string, JsonValue> }> = [];
    for (const a of attempts) {
      if (!a.metadataDirty) continue;
      a.metadataDirty = false;
      const bytes = Buffer.byteLength(JSON.stringify(a.metadata));
      if (bytes > this.limits.maxMetadataBytes) {
        this.onError(
          new Error(
            `run ${a.row.id}: metadata is ${bytes} bytes, over the ${this.limits.maxMetadataBytes} limit; not saved`,
          ),
          "metadata",
        );
        continue;
      }
      updates.push({ attempt_id: a.attemptId, metadata: { ...a.metadata } });
    }
    await writeMetadata(this.db, updates);
  }
}
