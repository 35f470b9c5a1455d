import { MainspringError, type RunStatus } from "@mainspring/sdk";
import {
  type AttemptRow,
  blockingWaitpoints,
  journalRows,
  type MinuteCount,
  type QueueKeyStats,
  queueExists,
  queueKeyStats,
  runAttempts,
  runsPerMinute,
  waitingByQueue,
  waitpointWaiters,
} from "./sql/inspect.js";
import { type QueueStats, queueStats } from "./sql/queues.js";
import { getRunRows } from "./sql/runs.js";
import { getWaitpoints, type WaitpointStatus, type WaitpointType } from "./sql/waitpoints.js";
import type { Queryable } from "./store/db.js";

export type { AttemptRow, MinuteCount, QueueKeyStats };

/** A waitpoint as a timeline shows it. */
export interface TimelineWaitpoint {
  id: string;
  type: WaitpointType;
  status: WaitpointStatus;
  /** DURATION: when it elapses; TOKEN: its timeout. */
  completeAfter?: Date;
  completedAt?: Date;
}

/** One durable operation of a run, with the state of what it waited on. */
export interface TimelineEntry {
  seq: number;
  /** wait | createToken | waitForToken | triggerAndWait | batchTriggerAndWait | step */
  kind: string;
  /** The token id (waitForToken), the task ids (triggerAndWait), the step's name, ... */
  key: string;
  at: Date;
  waitpoints: TimelineWaitpoint[];
  runs: Array<{ id: string; taskIdentifier: string; status: RunStatus }>;
  tokenId?: string;
  batchId?: string;
}

export interface QueueOverview extends QueueStats {
  /** Runs of the queue suspended on a wait (they hold no slot). */
  waiting: number;
}

/**
 * Read-only views for operators (the dashboard): a run's attempts and its journal as a timeline,
 * queues with waiting counts and per-key counters, runs per minute. `engine.inspect`.
 */
export class Inspector {
  constructor(private readonly db: Queryable) {}

  async attempts(runId: string): Promise<AttemptRow[]> {
    const attempts = await runAttempts(this.db, runId);
    if (!attempts) throw new MainspringError("RUN_NOT_FOUND", `Run "${runId}" does not exist`);
    return attempts;
  }

  /** The waitpoints the run is blocked on now (empty unless it is WAITING). */
  blockedOn(runId: string): Promise<string[]> {
    return blockingWaitpoints(this.db, runId);
  }

  /** The run's journal of waits, tokens, child runs and steps, with their current state. */
  async timeline(runId: string): Promise<TimelineEntry[]> {
    const rows = await journalRows(this.db, runId);
    const waitpointIds = new Set<string>();
    const runIds = new Set<string>();
    const parsed = rows.map((row) => {
      const data = (row.data ?? {}) as {
        waitpoint?: string | null;
        id?: string;
        batchId?: string;
        children?: Array<{ runId: string; waitpoint: string }>;
      };
      const entry = {
        row,
        waitpoints: [] as string[],
        runs: [] as string[],
        tokenId: undefined as string | undefined,
        batchId: data.batchId,
      };
      if (row.kind === "wait" && data.waitpoint) entry.waitpoints.push(data.waitpoint);
      if (row.kind === "waitForToken") {
        entry.tokenId = row.key;
        entry.waitpoints.push(row.key);
      }
      if (row.kind === "createToken") entry.tokenId = data.id;
      for (const child of data.children ?? []) {
        entry.waitpoints.push(child.waitpoint);
        entry.runs.push(child.runId);
      }
      for (const id of entry.waitpoints) waitpointIds.add(id);
      for (const id of entry.runs) runIds.add(id);
      return entry;
    });
    const [waitpoints, runs] = await Promise.all([
      getWaitpoints(this.db, [...waitpointIds]),
      getRunRows(this.db, [...runIds]),
    ]);
    const wpById = new Map(waitpoints.map((w) => [w.id, w]));
    const runById = new Map(runs.map((r) => [r.id, r]));
    return parsed.map(({ row, waitpoints: wps, runs: rs, tokenId, batchId }) => ({
      seq: row.seq,
      kind: row.kind,
      key: row.key,
      at: row.created_at,
      tokenId,
      batchId,
      waitpoints: wps.flatMap((id) => {
        const w = wpById.get(id);
        return w
          ? [
              {
                id,
                type: w.type,
                status: w.status,
                completeAfter: w.complete_after ?? undefined,
                completedAt: w.completed_at ?? undefined,
              },
            ]
          : [];
      }),
      runs: rs.flatMap((id) => {
        const r = runById.get(id);
        return r ? [{ id, taskIdentifier: r.task_id, status: r.status }] : [];
      }),
    }));
  }

  /** Runs blocked on a waitpoint (a wait token) right now. */
  waiters(waitpointId: string) {
    return waitpointWaiters(this.db, waitpointId);
  }

  /** Every queue with its running and queued counters (summed over keys) and waiting runs. */
  async queues(): Promise<QueueOverview[]> {
    const [stats, waiting] = await Promise.all([queueStats(this.db), waitingByQueue(this.db)]);
    return stats.map((q) => ({ ...q, waiting: waiting.get(q.name) ?? 0 }));
  }

  /** A queue's busiest concurrency keys (at most `limit`). */
  async queueKeys(queue: string, limit = 100): Promise<QueueKeyStats[]> {
    if (!(await queueExists(this.db, queue)))
      throw new MainspringError("QUEUE_NOT_FOUND", `Queue "${queue}" does not exist`);
    return queueKeyStats(this.db, queue, limit);
  }

  /** Runs created per minute in [from, to), by current status. */
  runsPerMinute(from: Date, to: Date): Promise<MinuteCount[]> {
    return runsPerMinute(this.db, from, to);
  }
}
