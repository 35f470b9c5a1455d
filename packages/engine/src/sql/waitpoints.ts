import type { Db, Queryable } from "../store/db.js";
import { APPLY_COUNTER_DELTAS, READY_CHANNEL } from "./counters.js";

export type WaitpointType = "DURATION" | "TOKEN" | "RUN";
export type WaitpointStatus = "WAITING" | "COMPLETED" | "TIMED_OUT";

export interface WaitpointRow {
  id: string;
  type: WaitpointType;
  status: WaitpointStatus;
  run_id: string | null;
  complete_after: Date | null;
  output: string | null;
  output_type: string;
  idempotency_key: string | null;
  idempotency_key_expires_at: Date | null;
  tags: string[];
  created_at: Date;
  completed_at: Date | null;
}

export interface NewWaitpoint {
  id: string;
  type: WaitpointType;
  run_id?: string | null;
  /** DURATION: milliseconds from now (database time); TOKEN: timeout from now. */
  after_ms?: number | null;
  /** Absolute time instead of after_ms. */
  at?: string | null;
  idempotency_key?: string | null;
  idempotency_ttl_s?: number | null;
  tags?: string[];
}

/**
 * Inserts waitpoints. A token with an idempotency key that is still live is not created
 * again: the existing one is returned with `cached = true` (an expired key is taken over).
 */
export async function insertWaitpoints(
  db: Queryable,
  waitpoints: NewWaitpoint[],
): Promise<Array<{ id: string; requested_id: string; cached: boolean }>> {
  if (waitpoints.length === 0) return [];
  const { rows } = await db.query<{ id: string; requested_id: string; cached: boolean }>(
    `with input as (
       select * from jsonb_to_recordset($1::jsonb) as w(id text, type text, run_id text, after_ms float8, at timestamptz,
         idempotency_key text, idempotency_ttl_s float8, tags jsonb)
     ),
     inserted as (
       insert into ms_waitpoints as wp (id, type, run_id, complete_after, idempotency_key, idempotency_key_expires_at, tags)
       select id, type, run_id, coalesce(at, now() + after_ms * interval '1 millisecond'),
              idempotency_key, now() + coalesce(idempotency_ttl_s, 2592000) * interval '1 second',
              array(select jsonb_array_elements_text(coalesce(tags, '[]'::jsonb)))
       from input order by idempotency_key
       on conflict (idempotency_key) where idempotency_key is not null do update set
         id = excluded.id, status = 'WAITING', complete_after = excluded.complete_after, output = null,
         idempotency_key_expires_at = excluded.idempotency_key_expires_at, tags = excluded.tags,
         created_at = now(), completed_at = null
       where wp.idempotency_key_expires_at <= now()
       returning id
     )
     select i.id as requested_id,
            coalesce(ins.id, existing.id) as id,
            ins.id is null as cached
     from input i
     left join inserted ins on ins.id = i.id
     left join ms_waitpoints existing on ins.id is null and existing.idempotency_key = i.idempotency_key`,
    [JSON.stringify(waitpoints)],
  );
  return rows;
}

export async function getWaitpoint(db: Queryable, id: string): Promise<WaitpointRow | undefined> {
  const { rows } = await db.query<WaitpointRow>("select * from ms_waitpoints where id = $1", [id]);
  return rows[0];
}

export async function getWaitpoints(db: Queryable, ids: string[]): Promise<WaitpointRow[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<WaitpointRow>(
    "select * from ms_waitpoints where id = any(array(select jsonb_array_elements_text($1::jsonb)))",
    [JSON.stringify(ids)],
  );
  return rows;
}

/**
 * Suspends an executing attempt on waitpoints. The waitpoints are locked FOR SHARE first:
 * a completion in progress finishes before we look, and one that comes after our commit
 * finds our ms_run_waits rows. If every waitpoint is already complete, the run is queued
 * again at once (it replays to the point it reached) instead of waiting. Fenced by attempt
 * id; returns "fenced" if the attempt no longer owns the run. The slot is given back.
 */
export async function suspendRun(
  db: Db,
  run: { id: string; attempt_id: string; metadata?: Record<string, unknown> | null },
  waitpointIds: string[],
): Promise<"waiting" | "requeued" | "fenced"> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string; status: WaitpointStatus }>(
      `select id, status from ms_waitpoints
       where id = any(array(select jsonb_array_elements_text($1::jsonb))) order by id for share`,
      [JSON.stringify(waitpointIds)],
    );
    const pending = rows.filter((w) => w.status === "WAITING").map((w) => w.id);
    const status = pending.length > 0 ? "WAITING" : "QUEUED";
    const moved = await tx.query<{ id: string }>(
      `with moved as (
         update ms_runs r set status = $3, resuming = $3 = 'QUEUED', metadata = coalesce($5::jsonb, r.metadata),
           order_at = case when $3 = 'QUEUED' then r.created_at - interval '1000 years' else r.order_at end,
           available_at = now(), lease_owner = null, lease_expires_at = null, updated_at = now()
         where r.id = $1 and r.attempt_id = $2 and r.status = 'EXECUTING'
         returning r.id, r.queue, r.concurrency_key
       ),
       waits as (
         insert into ms_run_waits (run_id, waitpoint_id)
         select m.id, w from moved m, jsonb_array_elements_text($4::jsonb) as w
         on conflict do nothing
         returning 1
       ),
       deltas as (
         select queue, concurrency_key as key, -1 as d_running, case when $3 = 'QUEUED' then 1 else 0 end as d_queued
         from moved
       ),
       ${APPLY_COUNTER_DELTAS}
       select id from moved`,
      [
        run.id,
        run.attempt_id,
        status,
        JSON.stringify(pending),
        run.metadata ? JSON.stringify(run.metadata) : null,
      ],
    );
    if (moved.rows.length === 0) return "fenced";
    if (status === "QUEUED") await tx.query(`select pg_notify('${READY_CHANNEL}', '')`);
    return status === "WAITING" ? "waiting" : "requeued";
  });
}

export interface WaitpointCompletion {
  id: string;
  status: "COMPLETED" | "TIMED_OUT";
  output?: string | null;
  output_type?: string;
}

/**
 * Completes waitpoints (each at most once) and resumes the runs whose last wait this was.
 * The blocked runs are locked in id order before their remaining waits are counted, so two
 * completions of one run's waitpoints cannot both think the other is still pending.
 * Returns the ids actually completed by this call and the runs resumed.
 */
export async function completeWaitpoints(
  db: Db,
  completions: WaitpointCompletion[],
): Promise<{ completed: string[]; resumed: string[] }> {
  if (completions.length === 0) return { completed: [], resumed: [] };
  return db.transaction(async (tx) => {
    const done = await tx.query<{ id: string }>(
      `update ms_waitpoints w set status = c.status, output = c.output,
         output_type = coalesce(c.output_type, w.output_type), completed_at = now()
       from (select * from jsonb_to_recordset($1::jsonb) as c(id text, status text, output text, output_type text)
             order by id) c
       where w.id = c.id and w.status = 'WAITING'
       returning w.id`,
      [JSON.stringify(completions)],
    );
    const completed = done.rows.map((r) => r.id);
    if (completed.length === 0) return { completed, resumed: [] };
    const ids = JSON.stringify(completed);
    await tx.query(
      `select id from ms_runs where id in (
         select run_id from ms_run_waits where waitpoint_id = any(array(select jsonb_array_elements_text($1::jsonb))))
       order by id for update`,
      [ids],
    );
    const blocked = await tx.query<{ run_id: string }>(
      `delete from ms_run_waits where waitpoint_id = any(array(select jsonb_array_elements_text($1::jsonb)))
       returning run_id`,
      [ids],
    );
    if (blocked.rows.length === 0) return { completed, resumed: [] };
    const resumed = await tx.query<{ id: string }>(
      `with resumed as (
         update ms_runs r set status = 'QUEUED', resuming = true, available_at = now(),
           order_at = r.created_at - interval '1000 years', updated_at = now()
         where r.id = any(array(select jsonb_array_elements_text($1::jsonb))) and r.status = 'WAITING'
           and not exists (select 1 from ms_run_waits w where w.run_id = r.id)
         returning r.id, r.queue, r.concurrency_key
       ),
       deltas as (
         select queue, concurrency_key as key, 0 as d_running, count(*)::int as d_queued from resumed group by 1, 2
       ),
       ${APPLY_COUNTER_DELTAS},
       notify as materialized (
         select pg_notify('${READY_CHANNEL}', '') from (select 1) one where exists (select 1 from resumed)
       )
       select r.id from resumed r left join notify on true`,
      [JSON.stringify([...new Set(blocked.rows.map((r) => r.run_id))])],
    );
    return { completed, resumed: resumed.rows.map((r) => r.id) };
  });
}

/**
 * Waitpoints that time has completed: durations that elapsed (COMPLETED), tokens past their
 * timeout (TIMED_OUT), and child runs that reached a final status by any path (a sweep, so a
 * parent resumes even if the worker that finished the child died before telling it).
 */
export async function dueWaitpoints(db: Queryable, limit = 500): Promise<WaitpointCompletion[]> {
  const { rows } = await db.query<{ id: string; type: WaitpointType }>(
    `(select id, type from ms_waitpoints
      where status = 'WAITING' and complete_after <= now() and type in ('DURATION', 'TOKEN')
      order by complete_after limit $1)
     union all
     (select w.id, w.type from ms_waitpoints w join ms_runs r on r.id = w.run_id
      where w.type = 'RUN' and w.status = 'WAITING'
        and r.status in ('COMPLETED', 'FAILED', 'CANCELED', 'CRASHED', 'SYSTEM_FAILURE', 'EXPIRED', 'TIMED_OUT')
      limit $1)`,
    [limit],
  );
  return rows.map((r) => ({ id: r.id, status: r.type === "TOKEN" ? "TIMED_OUT" : "COMPLETED" }));
}

/** Open RUN waitpoints on these child runs, if the children really reached a final status. */
export async function childWaitpoints(db: Queryable, runIds: string[]): Promise<string[]> {
  if (runIds.length === 0) return [];
  const { rows } = await db.query<{ id: string }>(
    `select w.id from ms_waitpoints w join ms_runs r on r.id = w.run_id
     where w.type = 'RUN' and w.status = 'WAITING'
       and w.run_id = any(array(select jsonb_array_elements_text($1::jsonb)))
       and r.status in ('COMPLETED', 'FAILED', 'CANCELED', 'CRASHED', 'SYSTEM_FAILURE', 'EXPIRED', 'TIMED_OUT')`,
    [JSON.stringify(runIds)],
  );
  return rows.map((r) => r.id);
}

export interface JournalEntry {
  seq: number;
  kind: string;
  key: string;
  data: unknown;
  result: string | null;
}

export async function loadJournal(db: Queryable, runId: string): Promise<JournalEntry[]> {
  const { rows } = await db.query<JournalEntry>(
    "select seq, kind, key, data, result from ms_journal where run_id = $1 order by seq",
    [runId],
  );
  return rows;
}

/**
 * Appends a journal entry, fenced: only the attempt that owns the run may write its journal.
 * Returns false when fenced out (the attempt lost its run).
 */
export async function appendJournal(
  db: Queryable,
  run: { id: string; attempt_id: string },
  entry: { seq: number; kind: string; key: string; data?: unknown; result?: string | null },
): Promise<boolean> {
  const { rows } = await db.query<{ ok: number }>(
    `with owner as (
       update ms_runs set has_journal = true where id = $1 and attempt_id = $2 and status = 'EXECUTING' returning id
     )
     insert into ms_journal (run_id, seq, kind, key, data, result)
     select id, $3, $4, $5, $6::jsonb, $7 from owner
     returning 1 as ok`,
    [
      run.id,
      run.attempt_id,
      entry.seq,
      entry.kind,
      entry.key,
      entry.data === undefined ? null : JSON.stringify(entry.data),
      entry.result ?? null,
    ],
  );
  return rows.length > 0;
}

export interface ListTokensFilter {
  status?: WaitpointStatus | WaitpointStatus[];
  tags?: string | string[];
  idempotencyKey?: string;
  limit?: number;
  after?: string;
}

export async function listTokenRows(db: Queryable, filter: ListTokensFilter): Promise<WaitpointRow[]> {
  const where = ["type = 'TOKEN'"];
  const params: unknown[] = [];
  const add = (sql: (p: string) => string, value: unknown) => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  const statuses = filter.status === undefined ? undefined : [filter.status].flat();
  if (statuses)
    add(
      (p) => `status = any(array(select jsonb_array_elements_text(${p}::jsonb)))`,
      JSON.stringify(statuses),
    );
  const tags = filter.tags === undefined ? undefined : [filter.tags].flat();
  if (tags) add((p) => `tags && array(select jsonb_array_elements_text(${p}::jsonb))`, JSON.stringify(tags));
  if (filter.idempotencyKey) add((p) => `idempotency_key = ${p}`, filter.idempotencyKey);
  if (filter.after) add((p) => `id < ${p}`, filter.after);
  params.push(Math.min(Math.max(filter.limit ?? 25, 1), 100));
  const { rows } = await db.query<WaitpointRow>(
    `select * from ms_waitpoints where ${where.join(" and ")} order by id desc limit $${params.length}`,
    params,
  );
  return rows;
}
