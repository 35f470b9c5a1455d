import type { RunStatus } from "@mainspring/sdk";
import type { Queryable } from "../store/db.js";

/**
 * Read-only statements for looking at the system (the dashboard): a run's attempts and journal,
 * counts per queue and key, runs per minute. None of them is on the hot path, and none takes a
 * lock; each reads through an index that already exists for another reason, or a small table.
 */

export interface AttemptRow {
  number: number;
  id: string | null;
  startedAt: string | null;
  endedAt: string | null;
  status: string;
  error: unknown;
}

/**
 * A run's attempts: the finished ones (appended to `attempts` by the completion) and, while the
 * run executes, the current one, which has no row there yet.
 */
export async function runAttempts(db: Queryable, runId: string): Promise<AttemptRow[] | undefined> {
  const { rows } = await db.query<{
    attempts: AttemptRow[];
    status: RunStatus;
    attempt_number: number;
    attempt_id: string | null;
    attempt_started_at: Date | null;
  }>("select attempts, status, attempt_number, attempt_id, attempt_started_at from ms_runs where id = $1", [
    runId,
  ]);
  const row = rows[0];
  if (!row) return undefined;
  const attempts = [...(row.attempts ?? [])];
  const recorded = attempts.some((a) => a.id === row.attempt_id);
  if ((row.status === "EXECUTING" || row.status === "WAITING") && row.attempt_id && !recorded) {
    attempts.push({
      number: row.attempt_number,
      id: row.attempt_id,
      startedAt: row.attempt_started_at?.toISOString() ?? null,
      endedAt: null,
      status: row.status,
      error: null,
    });
  }
  return attempts;
}

export interface JournalRow {
  seq: number;
  kind: string;
  key: string;
  data: unknown;
  result: string | null;
  created_at: Date;
}

/** The run's journal of durable operations, in order, with when each was recorded. */
export async function journalRows(db: Queryable, runId: string): Promise<JournalRow[]> {
  const { rows } = await db.query<JournalRow>(
    "select seq, kind, key, data, result, created_at from ms_journal where run_id = $1 order by seq",
    [runId],
  );
  return rows;
}

/** The waitpoints a waiting run is blocked on now. */
export async function blockingWaitpoints(db: Queryable, runId: string): Promise<string[]> {
  const { rows } = await db.query<{ waitpoint_id: string }>(
    "select waitpoint_id from ms_run_waits where run_id = $1 order by waitpoint_id",
    [runId],
  );
  return rows.map((r) => r.waitpoint_id);
}

/** Runs blocked on a waitpoint now (a token's waiters). */
export async function waitpointWaiters(
  db: Queryable,
  waitpointId: string,
): Promise<Array<{ id: string; taskIdentifier: string; status: RunStatus }>> {
  const { rows } = await db.query<{ id: string; taskIdentifier: string; status: RunStatus }>(
    `select r.id, r.task_id as "taskIdentifier", r.status
     from ms_run_waits w join ms_runs r on r.id = w.run_id
     where w.waitpoint_id = $1 order by r.created_at`,
    [waitpointId],
  );
  return rows;
}

export async function queueExists(db: Queryable, name: string): Promise<boolean> {
  const { rows } = await db.query("select 1 from ms_queues where name = $1", [name]);
  return rows.length > 0;
}

export interface QueueKeyStats {
  key: string;
  running: number;
  queued: number;
  waiting: number;
}

/**
 * WAITING runs per queue. Waiting runs are not counted in `ms_queue_keys` (they hold no slot),
 * so they are counted from the runs, through the partial index on waiting runs (006).
 */
export async function waitingByQueue(db: Queryable): Promise<Map<string, number>> {
  const { rows } = await db.query<{ queue: string; waiting: number }>(
    "select queue, count(*)::int as waiting from ms_runs where status = 'WAITING' group by queue",
  );
  return new Map(rows.map((r) => [r.queue, r.waiting]));
}

/**
 * One queue's concurrency keys that have something running, queued or waiting, busiest first.
 * Keys whose counters went back to zero stay in `ms_queue_keys` but are left out.
 */
export async function queueKeyStats(db: Queryable, queue: string, limit: number): Promise<QueueKeyStats[]> {
  const { rows } = await db.query<QueueKeyStats>(
    `with waiting as (
       select concurrency_key as key, count(*)::int as waiting
       from ms_runs where status = 'WAITING' and queue = $1 group by 1
     )
     select coalesce(k.key, w.key) as key, coalesce(k.running, 0) as running,
            coalesce(k.queued, 0) as queued, coalesce(w.waiting, 0) as waiting
     from (select key, running, queued from ms_queue_keys where queue = $1 and (running > 0 or queued > 0)) k
     full join waiting w on w.key = k.key
     order by 2 desc, 3 desc, 4 desc, 1
     limit $2`,
    [queue, limit],
  );
  return rows;
}

export interface MinuteCount {
  minute: Date;
  status: RunStatus;
  count: number;
}

/**
 * Runs created per minute since `from`, by their current status, read newest-first on the
 * created index (the same one the runs list uses).
 */
export async function runsPerMinute(db: Queryable, from: Date, to: Date): Promise<MinuteCount[]> {
  const { rows } = await db.query<MinuteCount>(
    `select date_trunc('minute', created_at) as minute, status, count(*)::int as count
     from ms_runs where created_at >= $1::timestamptz and created_at < $2::timestamptz
     group by 1, 2 order by 1, 2`,
    [from.toISOString(), to.toISOString()],
  );
  return rows;
}
