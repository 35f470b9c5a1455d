import type { Queryable } from "../store/db.js";
import { APPLY_COUNTER_DELTAS, READY_CHANNEL } from "./counters.js";

/** One run to insert; times are resolved by the database (`delayMs`) or given absolute (`runAt`). */
export interface NewRun {
  id: string;
  task_id: string;
  queue: string;
  concurrency_key: string;
  payload: string | null;
  payload_type: string;
  metadata: Record<string, unknown> | null;
  tags: string[];
  priority_s: number;
  delay_ms: number | null;
  run_at: string | null;
  ttl_s: number | null;
  max_attempts: number;
  max_duration_s: number | null;
  idempotency_key: string | null;
  parent_run_id: string | null;
  root_run_id: string | null;
  batch_id: string | null;
  depth: number;
  /** A parent waits on this run (triggerAndWait). */
  resume_parent?: boolean;
}

/**
 * Inserts runs in one statement (a 1,000-item batch is one round trip), counts the queued
 * ones into their keys and wakes the workers. A run with a start time in the future is
 * DELAYED and counted when it is promoted. Its TTL counts from when it becomes queued.
 */
const INSERT_RUNS = /* sql */ `
with input as (
  select * from jsonb_to_recordset($1::jsonb) as r(
    id text, task_id text, queue text, concurrency_key text, payload text, payload_type text,
    metadata jsonb, tags jsonb, priority_s int, delay_ms bigint, run_at timestamptz, ttl_s float8,
    max_attempts int, max_duration_s int, idempotency_key text, parent_run_id text,
    root_run_id text, batch_id text, depth int, resume_parent boolean)
),
timed as (
  select i.*, coalesce(i.run_at, now() + i.delay_ms * interval '1 millisecond') as delayed_until,
         greatest(coalesce(i.run_at, now() + i.delay_ms * interval '1 millisecond'), now()) as start_at
  from input i
),
inserted as (
  insert into ms_runs (id, task_id, status, queue, concurrency_key, payload, payload_type, metadata, tags,
    priority_s, available_at, order_at, delayed_until, ttl_s, ttl_expires_at, max_attempts, max_duration_s,
    idempotency_key, parent_run_id, root_run_id, batch_id, depth, resume_parent)
  select id, task_id,
    case when delayed_until > now() then 'DELAYED' else 'QUEUED' end,
    queue, concurrency_key, payload, payload_type, coalesce(metadata, '{}'::jsonb),
    array(select jsonb_array_elements_text(coalesce(tags, '[]'::jsonb))),
    priority_s, start_at, start_at - priority_s * interval '1 second',
    case when delayed_until > now() then delayed_until end,
    ttl_s, start_at + ttl_s * interval '1 second', max_attempts, max_duration_s,
    idempotency_key, parent_run_id, root_run_id, batch_id, depth, coalesce(resume_parent, false)
  from timed
  returning id, queue, concurrency_key, status, created_at, tags
),
tagged as (
  insert into ms_run_tags (tag, run_id, created_at)
  select t, i.id, i.created_at from inserted i, unnest(i.tags) as t
  on conflict do nothing
  returning 1
),
deltas as (
  select queue, concurrency_key as key, 0 as d_running, count(*)::int as d_queued
  from inserted where status = 'QUEUED' group by 1, 2
),
${APPLY_COUNTER_DELTAS},
notify as materialized (
  select pg_notify('${READY_CHANNEL}', '') from (select 1) one where exists (select 1 from deltas)
)
select i.id, i.status, i.created_at from inserted i left join notify on true`;

export async function insertRuns(
  db: Queryable,
  runs: NewRun[],
): Promise<Array<{ id: string; status: string }>> {
  if (runs.length === 0) return [];
  const { rows } = await db.query<{ id: string; status: string }>(
    INSERT_RUNS,
    [JSON.stringify(runs)],
    "ms_insert_runs",
  );
  return rows;
}

/**
 * Claims idempotency keys for new runs. Sorted so concurrent batches lock keys in one order.
 * A live key (not expired) is left alone and not returned; an expired one is taken over.
 * Concurrent claimers of one key queue on its unique index: the first commits, the rest
 * see a live key and return the first run's id from `existingRunIds`.
 */
const CLAIM_KEYS = /* sql */ `
insert into ms_idempotency_keys as k (task_id, key, run_id, expires_at)
select task_id, key, run_id, now() + ttl_s * interval '1 second'
from jsonb_to_recordset($1::jsonb) as r(task_id text, key text, run_id text, ttl_s float8)
order by task_id, key
on conflict (task_id, key) do update
  set run_id = excluded.run_id, expires_at = excluded.expires_at
  where k.expires_at <= now()
returning task_id, key, run_id`;

export interface KeyClaim {
  task_id: string;
  key: string;
  run_id: string;
  ttl_s: number;
}

export async function claimIdempotencyKeys(
  db: Queryable,
  claims: KeyClaim[],
): Promise<Array<{ task_id: string; key: string; run_id: string }>> {
  if (claims.length === 0) return [];
  const { rows } = await db.query<{ task_id: string; key: string; run_id: string }>(CLAIM_KEYS, [
    JSON.stringify(claims),
  ]);
  return rows;
}

export async function existingRunIds(
  db: Queryable,
  keys: Array<{ task_id: string; key: string }>,
): Promise<Array<{ task_id: string; key: string; run_id: string }>> {
  if (keys.length === 0) return [];
  const { rows } = await db.query<{ task_id: string; key: string; run_id: string }>(
    `select k.task_id, k.key, k.run_id from ms_idempotency_keys k
     join jsonb_to_recordset($1::jsonb) as r(task_id text, key text) on r.task_id = k.task_id and r.key = k.key`,
    [JSON.stringify(keys)],
  );
  return rows;
}

export async function insertBatch(db: Queryable, id: string, runCount: number): Promise<void> {
  await db.query("insert into ms_batches (id, run_count) values ($1, $2)", [id, runCount]);
}
