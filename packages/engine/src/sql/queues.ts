import type { Queryable } from "../store/db.js";

export interface QueueConfig {
  name: string;
  concurrencyLimit?: number;
  totalConcurrencyLimit?: number;
}

/**
 * Writes the queues defined in code. When a total limit is newly set, `running` is recounted
 * from the keys, since it is only maintained while a total limit exists.
 */
export async function syncQueues(db: Queryable, queues: QueueConfig[]): Promise<void> {
  if (queues.length === 0) return;
  await db.query(
    `insert into ms_queues as q (name, concurrency_limit, total_limit)
     select name, concurrency_limit, total_limit
     from jsonb_to_recordset($1::jsonb) as c(name text, concurrency_limit int, total_limit int)
     order by name
     on conflict (name) do update set
       concurrency_limit = excluded.concurrency_limit,
       total_limit = excluded.total_limit,
       running = case when q.total_limit is null and excluded.total_limit is not null
         then (select coalesce(sum(k.running), 0) from ms_queue_keys k where k.queue = q.name)
         else q.running end,
       updated_at = now()`,
    [
      JSON.stringify(
        queues.map((q) => ({
          name: q.name,
          concurrency_limit: q.concurrencyLimit ?? null,
          total_limit: q.totalConcurrencyLimit ?? null,
        })),
      ),
    ],
  );
}

export async function setQueuePaused(db: Queryable, name: string, paused: boolean): Promise<boolean> {
  const { rowCount } = await db.query(
    "update ms_queues set paused = $2, updated_at = now() where name = $1",
    [name, paused],
  );
  return rowCount > 0;
}

export interface QueueStats {
  name: string;
  concurrencyLimit: number | null;
  totalConcurrencyLimit: number | null;
  paused: boolean;
  running: number;
  queued: number;
  keys: number;
}

export async function queueStats(db: Queryable): Promise<QueueStats[]> {
  const { rows } = await db.query<QueueStats>(
    `select q.name, q.concurrency_limit as "concurrencyLimit", q.total_limit as "totalConcurrencyLimit", q.paused,
            coalesce(sum(k.running), 0)::int as running, coalesce(sum(k.queued), 0)::int as queued,
            count(k.key)::int as keys
     from ms_queues q left join ms_queue_keys k on k.queue = q.name
     group by q.name order by q.name`,
  );
  return rows;
}
