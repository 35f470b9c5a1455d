import type { Queryable } from "../store/db.js";
import type { RunRow } from "./rows.js";

/**
 * The fair claim: one statement takes up to `$3` ready runs for this worker.
 *
 * 1. Queues: unlimited-total queues are read without locking; queues with a total limit
 *    (across keys) are locked SKIP LOCKED, so one claimer at a time counts against it.
 * 2. Keys: (queue, concurrency key) rows with queued runs and a free slot, least recently
 *    served first, locked SKIP LOCKED. That ordering is the fairness: a key that has not been
 *    served goes first, so a tenant with 100,000 queued runs delays another tenant's single
 *    run by at most one claim. Only as many keys as can fill the batch are used.
 * 3. Runs: for each key, its oldest ready runs (order_at = available time − priority),
 *    `limit free`, also SKIP LOCKED, and re-checked as QUEUED in the update. A claim therefore
 *    never waits on a lock: a run another claimer holds, or one being completed, is skipped.
 * 4. The runs become EXECUTING with a fresh attempt id (the fencing token), a lease from the
 *    database clock, and the key and queue counters move in the same statement, so a limit
 *    holds across any number of processes.
 *
 * Parameters: $1 queue names, $2 task ids this worker can run, $3 batch size,
 * $4 worker id, $5 lease in ms.
 */
const CLAIM = /* sql */ `
with limited_queues as (
  select name, concurrency_limit, total_limit, running
  from ms_queues
  where name = any(array(select jsonb_array_elements_text($1::jsonb)))
    and not paused and total_limit is not null and running < total_limit
  for update skip locked
),
queues as (
  select name, concurrency_limit, total_limit, running from limited_queues
  union all
  select name, concurrency_limit, null, 0 from ms_queues
  where name = any(array(select jsonb_array_elements_text($1::jsonb)))
    and not paused and total_limit is null
),
locked_keys as (
  select k.queue, k.key, k.last_served,
         least(coalesce(q.concurrency_limit, 1000000) - k.running, k.queued,
               coalesce(q.total_limit - q.running, 1000000), $3::int) as free
  from ms_queue_keys k join queues q on q.name = k.queue
  where k.queued > 0 and k.running < coalesce(q.concurrency_limit, 1000000)
    -- keys whose queued runs are all backing off (or of tasks this worker lacks) must not
    -- take the batch's places from keys that have work ready
    and exists (
      select 1 from ms_runs r
      where r.queue = k.queue and r.concurrency_key = k.key and r.status = 'QUEUED'
        and r.available_at <= now()
        and r.task_id = any(array(select jsonb_array_elements_text($2::jsonb))))
  order by k.last_served
  limit $3::int
  for update of k skip locked
),
keys as (
  select queue, key, last_served, least(free, $3::int - taken_before) as free
  from (
    select lk.*, coalesce(sum(free) over (order by last_served rows between unbounded preceding and 1 preceding), 0) as taken_before
    from locked_keys lk
  ) s
  where taken_before < $3::int and free > 0
),
picked as (
  select r.id, r.resuming, k.queue, k.last_served, r.order_at
  from keys k
  cross join lateral (
    select id, resuming, order_at from ms_runs
    where queue = k.queue and concurrency_key = k.key and status = 'QUEUED'
      and available_at <= now()
      and task_id = any(array(select jsonb_array_elements_text($2::jsonb)))
    order by order_at
    limit k.free
    for update skip locked
  ) r
),
capped as (
  select p.id, p.resuming from (
    select p.*, row_number() over (partition by p.queue order by p.last_served, p.order_at) as nth
    from picked p
  ) p
  join queues q on q.name = p.queue
  where q.total_limit is null or p.nth <= q.total_limit - q.running
),
claimed as (
  update ms_runs r set
    status = 'EXECUTING',
    -- a run resumed after a wait continues its attempt; anything else starts a new one
    attempt_number = case when c.resuming then r.attempt_number else r.attempt_number + 1 end,
    resuming = false,
    attempt_id = gen_random_uuid()::text,
    -- and keeps its start time: the attempt began before the wait
    attempt_started_at = case when c.resuming then coalesce(r.attempt_started_at, now()) else now() end,
    lease_owner = $4,
    lease_expires_at = now() + $5::int * interval '1 millisecond',
    started_at = coalesce(r.started_at, now()),
    updated_at = now()
  from capped c
  where r.id = c.id and r.status = 'QUEUED'
  returning r.id, r.task_id, r.status, r.queue, r.concurrency_key, r.payload, r.payload_type, r.metadata,
    r.tags, r.priority_s, r.max_attempts, r.max_duration_s, r.attempt_number, r.attempt_id,
    r.attempt_started_at, r.idempotency_key, r.parent_run_id, r.root_run_id, r.batch_id, r.depth,
    r.is_test, r.created_at, r.available_at, r.started_at, r.has_journal, r.resume_parent, c.resuming as resumed
),
deltas as (
  select queue, concurrency_key as key, count(*)::int as d_running, -count(*)::int as d_queued
  from claimed group by 1, 2
),
served as (
  update ms_queue_keys k set
    running = k.running + d.d_running,
    queued = k.queued + d.d_queued,
    last_served = nextval('ms_serve_seq')
  from deltas d
  where k.queue = d.queue and k.key = d.key
  returning 1
),
queue_counts as (
  update ms_queues q set running = q.running + t.d
  from (select queue, sum(d_running)::int as d from deltas group by queue) t
  where q.name = t.queue and q.total_limit is not null
  returning 1
)
select * from claimed`;

export interface ClaimParams {
  queues: string[];
  taskIds: string[];
  limit: number;
  workerId: string;
  leaseMs: number;
}

/** The columns a claim returns: what an attempt needs, not the run's history. */
export type ClaimedRow = { has_journal: boolean; resume_parent: boolean; resumed: boolean } & Omit<
  RunRow,
  | "output"
  | "output_type"
  | "error"
  | "attempts"
  | "lease_owner"
  | "lease_expires_at"
  | "delayed_until"
  | "ttl_s"
  | "ttl_expires_at"
  | "updated_at"
  | "completed_at"
>;

export async function claimRuns(db: Queryable, p: ClaimParams): Promise<ClaimedRow[]> {
  if (p.limit <= 0 || p.queues.length === 0) return [];
  const { rows } = await db.query<ClaimedRow>(
    CLAIM,
    [JSON.stringify(p.queues), JSON.stringify(p.taskIds), p.limit, p.workerId, p.leaseMs],
    "ms_claim",
  );
  return rows;
}
