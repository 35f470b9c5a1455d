import { type ListRunsFilter, MainspringError, type RunMetadata, type RunStatus } from "@mainspring/sdk";
import type { Db, Queryable } from "../store/db.js";
import { APPLY_COUNTER_DELTAS, CANCEL_CHANNEL, LOCK_EXECUTING_ATTEMPTS } from "./counters.js";
import type { RunRow } from "./rows.js";

export async function getRunRow(db: Queryable, id: string): Promise<RunRow | undefined> {
  const { rows } = await db.query<RunRow>("select * from ms_runs where id = $1", [id]);
  return rows[0];
}

export async function getRunRows(db: Queryable, ids: string[]): Promise<RunRow[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<RunRow>(
    "select * from ms_runs where id = any(array(select jsonb_array_elements_text($1::jsonb)))",
    [JSON.stringify(ids)],
  );
  return rows;
}

const asArray = <T>(value: T | T[] | undefined): T[] | undefined =>
  value === undefined ? undefined : Array.isArray(value) ? value : [value];

/**
 * Cursor over (created_at desc, id desc), opaque to callers. The time is kept to the
 * microsecond (`cursor_at`, formatted by the database): a JS Date keeps milliseconds, and runs
 * created by one statement (a batch) share one timestamp, so a truncated cursor skipped them.
 */
function encodeCursor(row: { cursor_at: string; id: string }): string {
  return Buffer.from(JSON.stringify([row.cursor_at, row.id])).toString("base64url");
}

function decodeCursor(cursor: string): [string, string] {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new Error("bad cursor");
  }
  if (!Array.isArray(value) || value.length !== 2 || Number.isNaN(Date.parse(String(value[0]))))
    throw new Error("bad cursor");
  return value as [string, string];
}

/**
 * Lists runs newest first with filters; tag filters match runs having any of the tags. One tag
 * (the common case: a workspace, a campaign) walks that tag's index newest first and fetches
 * each run by id, so a rare tag costs a few rows, not a scan of the newest runs (a tag on 0.1%
 * of 100,000 runs: 62 ms → 2 ms on PostgreSQL). A tag row's created_at is its run's.
 */
export async function listRunRows(
  db: Queryable,
  filter: ListRunsFilter,
): Promise<{ rows: RunRow[]; nextCursor?: string }> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (p: string) => string, value: unknown) => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  const anyOf = (p: string) => `any(array(select jsonb_array_elements_text(${p}::jsonb)))`;
  const status = asArray(filter.status);
  if (status) add((p) => `r.status = ${anyOf(p)}`, JSON.stringify(status));
  const taskIds = asArray(filter.taskIdentifier);
  if (taskIds) add((p) => `r.task_id = ${anyOf(p)}`, JSON.stringify(taskIds));
  const queues = asArray(filter.queue);
  if (queues) add((p) => `r.queue = ${anyOf(p)}`, JSON.stringify(queues));
  const tags = asArray(filter.tag);
  const oneTag = tags?.length === 1 ? tags[0] : undefined;
  if (oneTag !== undefined) add((p) => `t.tag = ${p}`, oneTag);
  else if (tags)
    add((p) => `r.id in (select run_id from ms_run_tags where tag = ${anyOf(p)})`, JSON.stringify(tags));
  if (filter.from !== undefined)
    add((p) => `r.created_at >= ${p}::timestamptz`, new Date(filter.from).toISOString());
  if (filter.to !== undefined)
    add((p) => `r.created_at <= ${p}::timestamptz`, new Date(filter.to).toISOString());
  if (filter.rootOnly) where.push("r.parent_run_id is null");
  if (filter.batch) add((p) => `r.batch_id = ${p}`, filter.batch);
  if (filter.parentId) add((p) => `r.parent_run_id = ${p}`, filter.parentId);
  // Sort and page on the tag row's columns when walking a tag's index (the same values).
  const [at, id] = oneTag !== undefined ? ["t.created_at", "t.run_id"] : ["r.created_at", "r.id"];
  if (filter.after) {
    const [createdAt, lastId] = decodeCursor(filter.after);
    params.push(createdAt, lastId);
    where.push(`(${at}, ${id}) < ($${params.length - 1}::timestamptz, $${params.length})`);
  }
  const limit = Math.min(Math.max(Math.floor(Number(filter.limit ?? 25)) || 25, 1), 100);
  params.push(limit + 1);
  const from = oneTag !== undefined ? "ms_run_tags t join ms_runs r on r.id = t.run_id" : "ms_runs r";
  const { rows } = await db.query<RunRow & { cursor_at: string }>(
    `select r.*, to_char(r.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_at
     from ${from} ${where.length ? `where ${where.join(" and ")}` : ""}
     order by ${at} desc, ${id} desc limit $${params.length}`,
    params,
  );
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { rows: page, nextCursor: rows.length > limit && last ? encodeCursor(last) : undefined };
}

const CANCELABLE: RunStatus[] = ["DELAYED", "QUEUED", "EXECUTING", "WAITING"];

/**
 * Cancels a run that has not finished. Counters move with it; the worker executing it is told
 * over NOTIFY (and finds out at its next heartbeat at the latest) and its result is fenced out.
 * Returns the status the run had, or undefined if it was already finished.
 */
const CANCEL = /* sql */ `
with before as (
  select id, status as was from ms_runs
  where id = $1 and status = any(array(select jsonb_array_elements_text($2::jsonb)))
  for update
),
canceled as (
  update ms_runs r set status = 'CANCELED', completed_at = now(), updated_at = now(),
    lease_owner = null, lease_expires_at = null
  from before b where r.id = b.id
  returning r.id, r.queue, r.concurrency_key, b.was
),
deltas as (
  select queue, concurrency_key as key,
         case when was = 'EXECUTING' then -1 else 0 end as d_running,
         case when was = 'QUEUED' then -1 else 0 end as d_queued
  from canceled
),
${APPLY_COUNTER_DELTAS},
notify as materialized (
  select pg_notify('${CANCEL_CHANNEL}', $1) from (select 1) one where exists (select 1 from canceled where was = 'EXECUTING')
)
select c.was from canceled c left join notify on true`;

export async function cancelRunRow(db: Queryable, id: string): Promise<RunStatus | undefined> {
  const { rows } = await db.query<{ was: RunStatus }>(CANCEL, [id, JSON.stringify(CANCELABLE)]);
  const was = rows[0]?.was;
  // A separate statement, so it sees wait rows a suspension committed while the cancel waited
  // for the run's lock (one statement's snapshot would predate them).
  if (was !== undefined) await db.query("delete from ms_run_waits where run_id = $1", [id]);
  return was;
}

/** Moves a DELAYED run's start; returns false if the run is not DELAYED. */
export async function rescheduleRunRow(
  db: Queryable,
  id: string,
  at: { delayMs: number } | { runAt: Date },
): Promise<boolean> {
  const start =
    "delayMs" in at ? `now() + ${Math.round(at.delayMs)} * interval '1 millisecond'` : "$2::timestamptz";
  const params: unknown[] = [id];
  if ("runAt" in at) params.push(at.runAt.toISOString());
  const { rowCount } = await db.query(
    `update ms_runs set available_at = ${start}, delayed_until = ${start},
       order_at = ${start} - priority_s * interval '1 second',
       ttl_expires_at = case when ttl_s is null then null else ${start} + ttl_s * interval '1 second' end,
       updated_at = now()
     where id = $1 and status = 'DELAYED'`,
    params,
  );
  return rowCount > 0;
}

/**
 * Adds tags (deduplicated, order kept) in one statement, so concurrent calls cannot pass the
 * limit between a read and a write. Returns the resulting tags, `"limit"` if the result would
 * have more than `maxTags`, or undefined if the run does not exist.
 */
export async function addRunTags(
  db: Queryable,
  id: string,
  tags: string[],
  maxTags: number,
): Promise<string[] | "limit" | undefined> {
  const { rows } = await db.query<{ tags: string[] | null; found: boolean }>(
    `with merged as (
       select r.id, r.created_at, array(
           select t from unnest(r.tags || array(select jsonb_array_elements_text($2::jsonb))) with ordinality as u(t, n)
           group by t order by min(n)) as tags
       from ms_runs r where r.id = $1
       for update
     ),
     updated as (
       update ms_runs r set tags = m.tags, updated_at = now()
       from merged m where r.id = m.id and cardinality(m.tags) <= $3
       returning r.id, r.tags, r.created_at
     ),
     indexed as (
       insert into ms_run_tags (tag, run_id, created_at)
       select t, u.id, u.created_at from updated u, unnest(u.tags) as t
       on conflict do nothing
       returning 1
     )
     select (select tags from updated) as tags, exists (select 1 from merged) as found`,
    [id, JSON.stringify(tags), maxTags],
  );
  const row = rows[0];
  if (!row?.found) return undefined;
  return row.tags ?? "limit";
}

/** Writes metadata of executing runs (the periodic flush); fenced by attempt id. */
export async function writeMetadata(
  db: Queryable,
  updates: Array<{ attempt_id: string; metadata: Record<string, unknown> }>,
): Promise<void> {
  if (updates.length === 0) return;
  await db.query(
    `with ${LOCK_EXECUTING_ATTEMPTS}
     update ms_runs r set metadata = u.metadata, updated_at = now()
     from jsonb_to_recordset($2::jsonb) as u(attempt_id text, metadata jsonb), locked l
     where r.id = l.id and r.attempt_id = u.attempt_id and r.status = 'EXECUTING'`,
    [JSON.stringify(updates.map((u) => u.attempt_id)), JSON.stringify(updates)],
  );
}

export interface LogLine {
  run_id: string;
  attempt: number;
  level: string;
  message: string;
  data: Record<string, unknown> | null;
  at: string;
}

export async function insertLogs(db: Queryable, lines: LogLine[]): Promise<void> {
  if (lines.length === 0) return;
  await db.query(
    `insert into ms_logs (run_id, attempt, level, message, data, created_at)
     select run_id, attempt, level, message, data, at
     from jsonb_to_recordset($1::jsonb) as l(run_id text, attempt int, level text, message text, data jsonb, at timestamptz)`,
    [JSON.stringify(lines)],
  );
}

export interface StoredLogLine {
  id: string;
  attempt: number;
  level: string;
  message: string;
  data: unknown;
  created_at: Date;
}

/**
 * Which of a run's log lines to read (line ids are increasing, not consecutive): none of these
 * reads them all; `limit` alone the newest `limit`; `before` the newest `limit` older than that
 * line; `after` the oldest `limit` newer than it. Always returned oldest first.
 */
export interface LogPage {
  before?: string;
  after?: string;
  limit?: number;
}

export async function listLogs(db: Queryable, runId: string, page: LogPage = {}): Promise<StoredLogLine[]> {
  // `l.id`, not `id`: ORDER BY a bare name means the output column, here the id as text, which
  // sorts "100" before "99"
  const columns = "l.id::text as id, l.attempt, l.level, l.message, l.data, l.created_at";
  if (page.limit === undefined && page.before === undefined && page.after === undefined) {
    const { rows } = await db.query<StoredLogLine>(
      `select ${columns} from ms_logs l where l.run_id = $1 order by l.id`,
      [runId],
    );
    return rows;
  }
  const limit = page.limit ?? 1000;
  if (page.after !== undefined) {
    const { rows } = await db.query<StoredLogLine>(
      `select ${columns} from ms_logs l where l.run_id = $1 and l.id > $2::bigint order by l.id limit $3`,
      [runId, page.after, limit],
    );
    return rows;
  }
  const { rows } = await db.query<StoredLogLine>(
    `select ${columns} from ms_logs l where l.run_id = $1 and ($2::bigint is null or l.id < $2::bigint)
     order by l.id desc limit $3`,
    [runId, page.before ?? null, limit],
  );
  return rows.reverse();
}

/**
 * Changes a run's metadata from outside the run, in one transaction. An executing run owns its
 * metadata (its attempt flushes it), so changing it from outside would be lost at the next
 * flush: that is refused with RUN_EXECUTING.
 */
export async function updateRunMetadata(
  db: Db,
  runId: string,
  apply: (current: RunMetadata) => RunMetadata,
  maxBytes: number,
): Promise<RunMetadata> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ status: string; metadata: RunMetadata }>(
      "select status, metadata from ms_runs where id = $1 for update",
      [runId],
    );
    const row = rows[0];
    if (!row) throw new MainspringError("RUN_NOT_FOUND", `Run "${runId}" does not exist`);
    if (row.status === "EXECUTING") {
      throw new MainspringError(
        "RUN_EXECUTING",
        `Run "${runId}" is executing and owns its metadata; change it from inside the run, or once it is waiting or finished`,
      );
    }
    const next = apply(structuredClone(row.metadata ?? {}));
    const text = JSON.stringify(next);
    if (Buffer.byteLength(text) > maxBytes) {
      throw new MainspringError(
        "METADATA_TOO_LARGE",
        `Metadata would be ${Buffer.byteLength(text)} bytes; the limit is ${maxBytes}`,
      );
    }
    await tx.query("update ms_runs set metadata = $2::jsonb, updated_at = now() where id = $1", [
      runId,
      text,
    ]);
    return next;
  });
}
