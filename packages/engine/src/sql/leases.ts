import type { Queryable } from "../store/db.js";
import { APPLY_COUNTER_DELTAS, LOCK_EXECUTING_ATTEMPTS, READY_CHANNEL } from "./counters.js";

/**
 * Extends the leases of this worker's attempts from the database clock. Returns the attempt
 * ids still held: an attempt missing from the answer was canceled or rescued, and its worker
 * should stop it.
 */
export async function renewLeases(
  db: Queryable,
  attemptIds: string[],
  leaseMs: number,
): Promise<Set<string>> {
  if (attemptIds.length === 0) return new Set();
  const { rows } = await db.query<{ attempt_id: string }>(
    `with ${LOCK_EXECUTING_ATTEMPTS}
     update ms_runs r set lease_expires_at = now() + $2::int * interval '1 millisecond'
     from locked l where r.id = l.id and r.status = 'EXECUTING'
     returning r.attempt_id`,
    [JSON.stringify(attemptIds), leaseMs],
  );
  return new Set(rows.map((r) => r.attempt_id));
}

/**
 * The rescuer: attempts whose lease expired (their process was killed, or lost the
 * database for longer than the lease) go back to the queue, or end CRASHED when that was
 * the last attempt. The killed attempt counts as an attempt: it ran, and may have had effects.
 * Safe to run from every process at once (SKIP LOCKED); a late result from the old attempt is
 * rejected by the attempt-id fence in complete.ts.
 */
const RESCUE = /* sql */ `
with expired as (
  select id from ms_runs
  where status = 'EXECUTING' and lease_expires_at < now()
  order by lease_expires_at
  limit $1::int
  for update skip locked
),
rescued as (
  update ms_runs r set
    status = case when r.attempt_number >= r.max_attempts then 'CRASHED' else 'QUEUED' end,
    error = jsonb_build_object('type', 'INTERNAL_ERROR', 'name', 'LeaseExpiredError', 'code', 'LEASE_EXPIRED',
      'message', 'The worker running this attempt stopped responding (killed or disconnected) and its lease expired'),
    completed_at = case when r.attempt_number >= r.max_attempts then now() end,
    attempts = r.attempts || jsonb_build_array(jsonb_build_object(
      'number', r.attempt_number, 'id', r.attempt_id, 'startedAt', r.attempt_started_at,
      'endedAt', now(), 'status', 'CRASHED', 'worker', r.lease_owner)),
    available_at = now(),
    order_at = now() - r.priority_s * interval '1 second',
    lease_owner = null, lease_expires_at = null, updated_at = now()
  from expired e
  where r.id = e.id
  returning r.id, r.queue, r.concurrency_key, r.status
),
deltas as (
  select queue, concurrency_key as key, -count(*)::int as d_running,
         count(*) filter (where status = 'QUEUED')::int as d_queued
  from rescued group by 1, 2
),
${APPLY_COUNTER_DELTAS},
notify as materialized (
  select pg_notify('${READY_CHANNEL}', '') from (select 1) one
  where exists (select 1 from rescued where status = 'QUEUED')
)
select r.id, r.status from rescued r left join notify on true`;

export async function rescueExpiredLeases(
  db: Queryable,
  limit = 1000,
): Promise<Array<{ id: string; status: string }>> {
  const { rows } = await db.query<{ id: string; status: string }>(RESCUE, [limit]);
  return rows;
}

/**
 * Graceful shutdown: gives attempts that did not finish within the grace period back to the
 * queue without counting them (attempt number restored), so a deploy burns no attempt.
 */
const RELEASE = /* sql */ `
with ${LOCK_EXECUTING_ATTEMPTS},
released as (
  update ms_runs r set
    status = 'QUEUED', attempt_number = r.attempt_number - 1, attempt_id = null,
    lease_owner = null, lease_expires_at = null, available_at = now(),
    order_at = now() - r.priority_s * interval '1 second', updated_at = now()
  from locked l where r.id = l.id and r.status = 'EXECUTING'
  returning r.id, r.queue, r.concurrency_key
),
deltas as (
  select queue, concurrency_key as key, -count(*)::int as d_running, count(*)::int as d_queued
  from released group by 1, 2
),
${APPLY_COUNTER_DELTAS},
notify as materialized (
  select pg_notify('${READY_CHANNEL}', '') from (select 1) one where exists (select 1 from released)
)
select r.id from released r left join notify on true`;

export async function releaseAttempts(db: Queryable, attemptIds: string[]): Promise<string[]> {
  if (attemptIds.length === 0) return [];
  const { rows } = await db.query<{ id: string }>(RELEASE, [JSON.stringify(attemptIds)]);
  return rows.map((r) => r.id);
}
