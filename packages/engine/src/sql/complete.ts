import type { SerializedError } from "@mainspring/sdk";
import type { Queryable } from "../store/db.js";
import { APPLY_COUNTER_DELTAS, READY_CHANNEL } from "./counters.js";

/** The end of one attempt, as the worker reports it. `RETRY` re-queues with a delay. */
export interface AttemptResult {
  id: string;
  attempt_id: string;
  /** `WAIT` suspends the run on `waitpoints` (recorded by suspendRun, not by this batch). */
  status: "COMPLETED" | "FAILED" | "TIMED_OUT" | "CRASHED" | "SYSTEM_FAILURE" | "RETRY" | "WAIT";
  waitpoints?: string[];
  output?: string | null;
  output_type?: string;
  error?: SerializedError | null;
  retry_delay_ms?: number | null;
  /** The run's metadata when the attempt changed it; null leaves it as stored. */
  metadata?: Record<string, unknown> | null;
}

/**
 * Records attempt results in one statement. Fencing: a result only applies while the run is
 * still EXECUTING under the same attempt id. A worker whose lease expired (its run rescued and
 * claimed again, or canceled) gets its result rejected here, whatever it computed.
 * Returns the ids whose results were accepted.
 *
 * Rows are locked in run id order first (`locked`), as every statement that updates many runs
 * does (see LOCK_ORDER in counters.ts): lease renewal and metadata writes of the same attempts
 * run at the same time on other connections, and crossing orders would deadlock.
 */
const COMPLETE = /* sql */ `
with input as (
  select * from jsonb_to_recordset($1::jsonb) as c(
    id text, attempt_id text, status text, output text, output_type text, error jsonb,
    retry_delay_ms bigint, metadata jsonb)
),
locked as materialized (
  select r.id from ms_runs r join input c on r.id = c.id and r.attempt_id = c.attempt_id
  where r.status = 'EXECUTING'
  order by r.id
  for no key update of r
),
done as (
  update ms_runs r set
    status = case when c.status = 'RETRY' then 'QUEUED' else c.status end,
    output = case when c.status = 'COMPLETED' then c.output else r.output end,
    output_type = coalesce(c.output_type, r.output_type),
    error = case when c.status = 'COMPLETED' then null else c.error end,
    metadata = coalesce(c.metadata, r.metadata),
    available_at = case when c.status = 'RETRY'
      then now() + coalesce(c.retry_delay_ms, 0) * interval '1 millisecond' else r.available_at end,
    order_at = case when c.status = 'RETRY'
      then now() + coalesce(c.retry_delay_ms, 0) * interval '1 millisecond' - r.priority_s * interval '1 second'
      else r.order_at end,
    completed_at = case when c.status = 'RETRY' then null else now() end,
    attempts = r.attempts || jsonb_build_array(jsonb_build_object(
      'number', r.attempt_number, 'id', r.attempt_id, 'startedAt', r.attempt_started_at,
      'endedAt', now(), 'status', case when c.status = 'RETRY' then 'FAILED' else c.status end,
      'error', c.error)),
    lease_owner = null,
    lease_expires_at = null,
    updated_at = now()
  from input c, locked l
  where r.id = c.id and l.id = c.id and r.attempt_id = c.attempt_id and r.status = 'EXECUTING'
  returning r.id, r.queue, r.concurrency_key, r.status
),
deltas as (
  select queue, concurrency_key as key, -count(*)::int as d_running,
         count(*) filter (where status = 'QUEUED')::int as d_queued
  from done group by 1, 2
),
${APPLY_COUNTER_DELTAS},
-- Wake other workers when this freed slots on keys with a backlog, or re-queued a run:
-- without it, another process would only notice at its next poll.
notify as materialized (
  select pg_notify('${READY_CHANNEL}', '') from (select 1) one
  where exists (select 1 from done where status = 'QUEUED')
     or exists (select 1 from ms_queue_keys k join deltas d on k.queue = d.queue and k.key = d.key where k.queued > 0)
)
select d.id from done d left join notify on true`;

export async function completeAttempts(db: Queryable, results: AttemptResult[]): Promise<Set<string>> {
  if (results.length === 0) return new Set();
  const { rows } = await db.query<{ id: string }>(COMPLETE, [JSON.stringify(results)], "ms_complete");
  return new Set(rows.map((r) => r.id));
}
