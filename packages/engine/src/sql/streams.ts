import { FINAL_STATUSES } from "@mainspring/sdk";
import type { Db, Queryable } from "../store/db.js";

/** Stream statements: appends (locking explained at APPEND), reads, listing. */

/** NOTIFY channel of appends; the payload is `<run id> <stream id>`. */
export const STREAM_CHANNEL = "mainspring_stream";

const FINAL_LIST = FINAL_STATUSES.map((s) => `'${s}'`).join(", ");

/** Replay identity of a write from inside a run (see StreamService.append). */
export interface ChunkWriter {
  /** The writing run, and its attempt id (the fence). */
  runId: string;
  attemptId: string;
  /** Attempt number of the writing execution. */
  attempt: number;
  /** Durable operations the run had started when the write call was made. */
  segment: number;
  /** The write call's number within its segment. */
  call: number;
  /** The segment ends with a journaled operation (it is being replayed). */
  sealed: boolean;
  /** Position, within the call, of the first value. */
  firstN: number;
}

/**
 * Creates a stream row if the run has fewer than `maxStreams` streams. New streams of one run
 * are created under an advisory lock on the run, so the count is exact.
 */
export async function createStream(
  db: Db,
  runId: string,
  streamId: string,
  maxStreams: number,
): Promise<"created" | "limit"> {
  return db.transaction(async (tx) => {
    await tx.query("select pg_advisory_xact_lock(7263542, hashtext($1))", [runId]);
    const { rows } = await tx.query<{ n: number; here: boolean }>(
      `select count(*)::int as n, coalesce(bool_or(stream_id = $2), false) as here
       from ms_streams where run_id = $1`,
      [runId, streamId],
    );
    if (rows[0]!.here) return "created";
    if (rows[0]!.n >= maxStreams) return "limit";
    await tx.query("insert into ms_streams (run_id, stream_id) values ($1, $2)", [runId, streamId]);
    return "created";
  });
}

export interface AppendOutcome {
  /** The target run's status; undefined if it does not exist. */
  status?: string;
  /** The writer still owns its run (always true without a writer). */
  owner: boolean;
  /** The stream row exists (else nothing was written: create it and append again). */
  stream: boolean;
  /** Chunks not stored before (not replays), and how many of them fit the limits. */
  fresh: number;
  inserted: number;
  lastSeq: number | null;
  /** Index of the last chunk that was a replay of a stored one. */
  lastExisting: number | null;
}

/**
 * Appends chunks after the stream's end, in one statement. Locks, always in this order: the
 * target run FOR SHARE (a run cannot reach a final status while an append to it is
 * uncommitted, so a reader that sees the final status sees every chunk), then the stream row
 * FOR UPDATE (appends to one stream number and commit one at a time, so seq is dense and a
 * reader never sees a later chunk before an earlier one). The stream row's lock is taken on
 * top of the join that reads the run's CTE, so the run is always locked first; a transaction
 * holding a stream lock never waits for a run lock, and the hot path never locks stream rows,
 * so appends cannot deadlock with completions or with each other. Nothing is written if the
 * run is final, the writer lost its run, or the stream row does not exist yet.
 *
 * Replays: a write call from inside a run is identified by (writing run, segment, call,
 * lineage) in ms_stream_writes, which counts the call's chunks already stored; a replay of
 * the call skips that many and stores the rest. Lineage: in a segment being replayed
 * (sealed), the call matches whichever attempt wrote that segment (the highest one stored: a
 * retry keeps its predecessor's chunks once); in the segment an execution runs for the first
 * time it belongs to the current attempt, so a retry's new output is appended rather than
 * mistaken for the failed attempt's. Every lookup is by primary key (prefix). Fresh chunks
 * are numbered from the stream's length and cut where the chunk count or byte total would
 * pass the limits (the caller reports STREAM_LIMIT).
 */
const APPEND = /* sql */ `
with target as (
  select t.status,
         ($4::text is null or exists (
           select 1 from ms_runs w where w.id = $4::text and w.attempt_id = $12::text and w.status = 'EXECUTING'
         )) as owner
  from ms_runs t where t.id = $1
  for share
),
locked as (
  select s.length, s.bytes from ms_streams s, target t
  where s.run_id = $1 and s.stream_id = $2 and t.owner and t.status not in (${FINAL_LIST})
  for update of s
),
lineage as (
  select case when $9::boolean then coalesce(
    (select max(w.w_attempt) from ms_stream_writes w
     where w.run_id = $1 and w.stream_id = $2 and w.w_run = $4::text and w.w_seg = $5::int), $8::int)
  else $8::int end as attempt
),
prior as (
  select w.written, w.last_seq from ms_stream_writes w, lineage l
  where w.run_id = $1 and w.stream_id = $2 and w.w_run = $4::text and w.w_seg = $5::int
    and w.w_call = $6::int and w.w_attempt = l.attempt
),
input as (
  select (t.ord - 1)::int as i, t.value as data
  from jsonb_array_elements_text($3::jsonb) with ordinality as t(value, ord)
),
fresh as (
  select i.i, i.data,
         (row_number() over (order by i.i) - 1)::int as r,
         sum(octet_length(i.data)) over (order by i.i) as cum
  from input i
  where $7::int + i.i >= coalesce((select written from prior), 0)
),
ins as (
  insert into ms_stream_chunks (run_id, stream_id, seq, data)
  select $1, $2, l.length + f.r, f.data
  from fresh f, locked l
  where l.length + f.r < $10::int and l.bytes + f.cum <= $11::bigint
  returning seq, octet_length(data) as size
),
grown as (
  update ms_streams s set length = s.length + t.n, bytes = s.bytes + t.size, updated_at = now()
  from (select count(*)::int as n, coalesce(sum(size), 0)::bigint as size from ins) t
  where s.run_id = $1 and s.stream_id = $2 and t.n > 0
  returning 1
),
progress as (
  insert into ms_stream_writes as w (run_id, stream_id, w_run, w_seg, w_call, w_attempt, written, last_seq)
  select $1, $2, $4::text, $5::int, $6::int, l.attempt, $7::int + f.i + 1, c.last
  from (select count(*)::int as k, max(seq) as last from ins) c
  join fresh f on f.r = c.k - 1
  cross join lineage l
  where $4::text is not null
  on conflict (run_id, stream_id, w_run, w_seg, w_call, w_attempt)
  do update set written = excluded.written, last_seq = excluded.last_seq
  returning 1
),
notify as materialized (
  select pg_notify('${STREAM_CHANNEL}', $1 || ' ' || $2) from (select 1) one
  where exists (select 1 from ins)
)
select (select status from target) as status,
       coalesce((select owner from target), false) as owner,
       exists (select 1 from ms_streams where run_id = $1 and stream_id = $2) as stream,
       (select count(*)::int from fresh) as fresh,
       (select count(*)::int from ins) as inserted,
       (select max(seq) from ins) as last_seq,
       (select last_seq from prior) as last_existing
from (select 1) one left join notify on true`;

export async function appendChunks(
  db: Queryable,
  p: {
    runId: string;
    streamId: string;
    data: string[];
    writer: ChunkWriter | undefined;
    maxChunks: number;
    maxBytes: number;
  },
): Promise<AppendOutcome> {
  const w = p.writer;
  const { rows } = await db.query<{
    status: string | null;
    owner: boolean;
    stream: boolean;
    fresh: number;
    inserted: number;
    last_seq: number | null;
    last_existing: number | null;
  }>(
    APPEND,
    [
      p.runId,
      p.streamId,
      JSON.stringify(p.data),
      w?.runId ?? null,
      w?.segment ?? null,
      w?.call ?? null,
      w?.firstN ?? 0,
      w?.attempt ?? null,
      w?.sealed ?? false,
      p.maxChunks,
      p.maxBytes,
      w?.attemptId ?? null,
    ],
    "ms_stream_append",
  );
  const r = rows[0]!;
  return {
    status: r.status ?? undefined,
    owner: r.owner,
    stream: r.stream,
    fresh: r.fresh,
    inserted: r.inserted,
    lastSeq: r.last_seq === null ? null : Number(r.last_seq),
    lastExisting: r.last_existing === null ? null : Number(r.last_existing),
  };
}

/**
 * Up to `limit` chunks from `from`, and the run's status in the same snapshot: a final status
 * here means no chunk is missing. Undefined status: the run does not exist.
 */
export async function readChunks(
  db: Queryable,
  runId: string,
  streamId: string,
  from: number,
  limit: number,
): Promise<{ status?: string; chunks: Array<{ seq: number; data: string }> }> {
  const { rows } = await db.query<{ status: string; seq: number | null; data: string | null }>(
    `select r.status, c.seq, c.data
     from ms_runs r
     left join lateral (
       select seq, data from ms_stream_chunks
       where run_id = r.id and stream_id = $2 and seq >= $3
       order by seq limit $4
     ) c on true
     where r.id = $1
     order by c.seq`,
    [runId, streamId, from, limit],
  );
  if (rows.length === 0) return { chunks: [] };
  return {
    status: rows[0]!.status,
    chunks: rows.filter((r) => r.seq !== null).map((r) => ({ seq: Number(r.seq), data: r.data! })),
  };
}

export interface StreamRow {
  stream_id: string;
  length: number;
  bytes: string;
  created_at: Date;
  updated_at: Date;
}

export async function listStreamRows(db: Queryable, runId: string): Promise<StreamRow[]> {
  const { rows } = await db.query<StreamRow>(
    `select stream_id, length, bytes, created_at, updated_at from ms_streams
     where run_id = $1 order by created_at, stream_id`,
    [runId],
  );
  return rows;
}

/** Which of these runs are in a final status. */
export async function finishedRunIds(db: Queryable, runIds: string[]): Promise<string[]> {
  if (runIds.length === 0) return [];
  const { rows } = await db.query<{ id: string }>(
    `select id from ms_runs
     where id = any(array(select jsonb_array_elements_text($1::jsonb))) and status in (${FINAL_LIST})`,
    [JSON.stringify(runIds)],
  );
  return rows.map((r) => r.id);
}
