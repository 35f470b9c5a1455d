/**
 * Counter maintenance, shared by every statement that moves runs in or out of QUEUED and
 * EXECUTING. Given a CTE named `deltas(queue, key, d_running, d_queued)` with one row per
 * (queue, key), it adds the deltas to `ms_queue_keys` (creating the row for a new key) and,
 * for queues with a total limit, to `ms_queues.running`.
 *
 * Lock order: key rows are upserted sorted by (queue, key), then queue rows. Every statement
 * that waits on these locks takes them in this one global order, so they cannot deadlock;
 * the claim never waits at all (it uses SKIP LOCKED), see claim.ts.
 */
export const APPLY_COUNTER_DELTAS = /* sql */ `
key_counts as (
  insert into ms_queue_keys as k (queue, key, running, queued)
  select queue, key, d_running, d_queued from deltas order by queue, key
  on conflict (queue, key) do update
    set running = k.running + excluded.running, queued = k.queued + excluded.queued
  returning 1
),
-- locked in name order: a batch touching several total-limited queues takes them in the same
-- order as every other batch
queue_locks as (
  select q.name from ms_queues q
  where q.total_limit is not null and q.name in (select queue from deltas where d_running <> 0)
  order by q.name
  for update
),
queue_counts as (
  update ms_queues q set running = q.running + t.d
  from (select queue, sum(d_running)::int as d from deltas group by queue) t, queue_locks l
  where q.name = t.queue and l.name = t.queue and t.d <> 0
  returning 1
)`;

/**
 * LOCK_ORDER: a statement that updates many runs and may wait for their locks locks them in
 * run id order first, so two such statements over the same runs (a worker's completion batch,
 * lease renewal, metadata flush and release all cover its executing attempts, on different
 * connections at once) queue behind each other instead of deadlocking. The claim never waits
 * (SKIP LOCKED) and so needs no order.
 *
 * This CTE, named `locked(id)`, locks the EXECUTING runs of the attempt ids in `$1` (a JSON
 * array). `materialized` keeps it a separate step, so its sort happens before its locks.
 */
export const LOCK_EXECUTING_ATTEMPTS = /* sql */ `
locked as materialized (
  select id from ms_runs
  where attempt_id = any(array(select jsonb_array_elements_text($1::jsonb))) and status = 'EXECUTING'
  order by id
  for no key update
)`;

/** Channel that wakes workers when runs become ready. */
export const READY_CHANNEL = "mainspring_ready";
/** Channel that tells the worker running a run that it was canceled. */
export const CANCEL_CHANNEL = "mainspring_cancel";
