import type { Queryable } from "../store/db.js";

/**
 * Schedule SQL. Times come from the database: every statement that needs "now" reads `now()`,
 * and the service computes cron slots from the `db_now` these statements return, never from
 * the process clock.
 */

export interface ScheduleRow {
  id: string;
  task_id: string;
  type: "DECLARATIVE" | "IMPERATIVE";
  active: boolean;
  deactivated_by: "user" | "sync" | null;
  deduplication_key: string;
  external_id: string | null;
  cron: string;
  timezone: string;
  next_run_at: Date | null;
  last_run_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export async function dbNow(db: Queryable): Promise<Date> {
  const { rows } = await db.query<{ now: Date }>("select now() as now");
  return rows[0]!.now;
}

export async function getSchedule(db: Queryable, id: string): Promise<ScheduleRow | undefined> {
  const { rows } = await db.query<ScheduleRow>("select * from ms_schedules where id = $1", [id]);
  return rows[0];
}

/**
 * Locks one schedule for a read-modify-write (update, activate) and returns it with the
 * database's time. Other writers of the row, and the scheduler's firing transaction, wait
 * (the scheduler skips it instead: SKIP LOCKED), so a slot is never computed from a stale row.
 */
export async function lockSchedule(
  tx: Queryable,
  where: { id: string } | { deduplicationKey: string },
): Promise<(ScheduleRow & { db_now: Date }) | undefined> {
  const { rows } =
    "id" in where
      ? await tx.query<ScheduleRow & { db_now: Date }>(
          "select *, now() as db_now from ms_schedules where id = $1 for update",
          [where.id],
        )
      : await tx.query<ScheduleRow & { db_now: Date }>(
          `select *, now() as db_now from ms_schedules
           where type = 'IMPERATIVE' and deduplication_key = $1 for update`,
          [where.deduplicationKey],
        );
  return rows[0];
}

export interface NewSchedule {
  id: string;
  task_id: string;
  deduplication_key: string;
  external_id: string | null;
  cron: string;
  timezone: string;
  next_run_at: Date | null;
}

/**
 * Inserts an imperative schedule unless one with its deduplication key exists (a concurrent
 * create may have won: the caller then locks and updates that one). Returns the new row.
 */
export async function insertImperative(tx: Queryable, s: NewSchedule): Promise<ScheduleRow | undefined> {
  const { rows } = await tx.query<ScheduleRow>(
    `insert into ms_schedules (id, task_id, type, deduplication_key, external_id, cron, timezone, next_run_at)
     values ($1, $2, 'IMPERATIVE', $3, $4, $5, $6, $7)
     on conflict (type, deduplication_key) do nothing
     returning *`,
    [s.id, s.task_id, s.deduplication_key, s.external_id, s.cron, s.timezone, s.next_run_at],
  );
  return rows[0];
}

/** Writes the fields a caller may change; the row is locked by the caller. */
export async function writeSchedule(
  tx: Queryable,
  id: string,
  s: Pick<
    ScheduleRow,
    "task_id" | "external_id" | "cron" | "timezone" | "next_run_at" | "active" | "deactivated_by"
  >,
): Promise<ScheduleRow> {
  const { rows } = await tx.query<ScheduleRow>(
    `update ms_schedules set task_id = $2, external_id = $3, cron = $4, timezone = $5, next_run_at = $6,
       active = $7, deactivated_by = $8, updated_at = now()
     where id = $1 returning *`,
    [id, s.task_id, s.external_id, s.cron, s.timezone, s.next_run_at, s.active, s.deactivated_by],
  );
  return rows[0]!;
}

/**
 * Deletes an imperative schedule, or a declarative one whose task no longer declares it (sync
 * deactivated it); its slots go with it. Returns false when none matched.
 */
export async function deleteSchedule(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query(
    "delete from ms_schedules where id = $1 and (type = 'IMPERATIVE' or deactivated_by = 'sync')",
    [id],
  );
  return rowCount > 0;
}

export async function listSchedules(
  db: Queryable,
  limit: number,
  offset: number,
): Promise<{ rows: ScheduleRow[]; count: number }> {
  const [page, total] = await Promise.all([
    db.query<ScheduleRow>("select * from ms_schedules order by created_at desc, id desc limit $1 offset $2", [
      limit,
      offset,
    ]),
    db.query<{ n: number }>("select count(*)::int as n from ms_schedules"),
  ]);
  return { rows: page.rows, count: Number(total.rows[0]!.n) };
}

/** Declarative schedules as of this process's code; `next_run_at` is computed from `db_now`. */
export interface DeclaredRow {
  id: string;
  task_id: string;
  cron: string;
  timezone: string;
  next_run_at: string | null;
}

/**
 * Declarative schedules: present ones are created or updated by task id; a changed pattern or
 * time zone, or a schedule coming back after `sync` had deactivated it, takes the freshly
 * computed next slot. With `deactivateMissing`, declarative schedules whose task has no cron
 * here any more are deactivated (not deleted: their slot history stays, and a later start with
 * the task reactivates them). A schedule the user deactivated stays so.
 *
 * Run it under SYNC_LOCK: two processes starting at once then sync one after the other (their
 * upserts and deactivations would otherwise lock rows in different orders). It waits on a
 * firing transaction's row locks at most for that transaction's length.
 */
const SYNC_DECLARATIVE = /* sql */ `
with input as (
  select * from jsonb_to_recordset($1::jsonb)
    as r(id text, task_id text, cron text, timezone text, next_run_at timestamptz)
),
upserted as (
  insert into ms_schedules as s (id, task_id, type, deduplication_key, cron, timezone, next_run_at)
  select id, task_id, 'DECLARATIVE', task_id, cron, timezone, next_run_at from input order by task_id
  on conflict (type, deduplication_key) do update set
    cron = excluded.cron,
    timezone = excluded.timezone,
    next_run_at = case
      when s.cron <> excluded.cron or s.timezone <> excluded.timezone or s.deactivated_by = 'sync'
        or s.next_run_at is null
      then excluded.next_run_at else s.next_run_at end,
    active = case when s.deactivated_by = 'sync' then true else s.active end,
    deactivated_by = case when s.deactivated_by = 'sync' then null else s.deactivated_by end,
    updated_at = now()
  returning s.id
),
orphaned as (
  update ms_schedules s set active = false, deactivated_by = 'sync', updated_at = now()
  where $2::boolean and s.type = 'DECLARATIVE' and s.active
    and not exists (select 1 from input i where i.task_id = s.task_id)
  returning s.id
)
select (select count(*) from upserted)::int as upserted, (select count(*) from orphaned)::int as deactivated`;

/** Advisory lock key for SYNC_DECLARATIVE (the migration lock is 7263541). */
const SYNC_LOCK = 7263542;

export async function syncDeclarativeSchedules(
  tx: Queryable,
  declared: DeclaredRow[],
  deactivateMissing: boolean,
): Promise<{ upserted: number; deactivated: number }> {
  await tx.query("select pg_advisory_xact_lock($1)", [SYNC_LOCK]);
  const { rows } = await tx.query<{ upserted: number; deactivated: number }>(SYNC_DECLARATIVE, [
    JSON.stringify(declared),
    deactivateMissing,
  ]);
  return rows[0]!;
}

/**
 * Milliseconds until the earliest active schedule of these tasks is due (negative when one is
 * overdue), or undefined when none is active. One index read; the scheduler's idle cost.
 */
export async function nextScheduleDueInMs(db: Queryable, taskIds: string[]): Promise<number | undefined> {
  const { rows } = await db.query<{ ms: number | null }>(
    `select extract(epoch from (min(next_run_at) - now())) * 1000 as ms
     from ms_schedules where active and next_run_at is not null and task_id = any($1::text[])`,
    [taskIds],
    "ms_schedule_next_due",
  );
  const ms = rows[0]?.ms;
  return ms === null || ms === undefined ? undefined : Number(ms);
}

/**
 * The firing transaction's first statement: due schedules (next slot at or before the
 * database's now), oldest first, locked FOR UPDATE SKIP LOCKED. A schedule another process is
 * firing is skipped, never waited on; once that process commits, the row's next_run_at is in
 * the future and no longer matches (READ COMMITTED re-checks the condition on the new row
 * version), so a slot cannot be taken twice. Only tasks this process knows are considered: a
 * process without the task's code could not build its run.
 */
const LOCK_DUE = /* sql */ `
select id, task_id, type, external_id, cron, timezone, next_run_at, last_run_at, now() as db_now
from ms_schedules
where active and next_run_at <= now() and task_id = any($1::text[])
order by next_run_at
limit $2::int
for update skip locked`;

export type DueRow = Pick<
  ScheduleRow,
  "id" | "task_id" | "type" | "external_id" | "cron" | "timezone" | "last_run_at"
> & { next_run_at: Date; db_now: Date };

export async function lockDueSchedules(tx: Queryable, taskIds: string[], limit: number): Promise<DueRow[]> {
  const { rows } = await tx.query<DueRow>(LOCK_DUE, [taskIds, limit], "ms_schedule_lock_due");
  return rows;
}

export interface Firing {
  schedule_id: string;
  /** The slot to fire, or null to only move next_run_at on (the run could not be built). */
  slot_at: string | null;
  run_id: string | null;
  next_run_at: string | null;
}

/**
 * The firing transaction's second statement, for rows locked by LOCK_DUE: insert one slot row
 * per schedule (the primary key (schedule, slot) makes a slot fire at most once, even if a
 * row lock were ever bypassed), and advance next_run_at. last_run_at moves only for slots
 * actually inserted. Returns the slots inserted: only their runs are then inserted, in the
 * same transaction, so a slot row and its run commit together or not at all.
 */
const RECORD_SLOTS = /* sql */ `
with input as (
  select * from jsonb_to_recordset($1::jsonb)
    as r(schedule_id text, slot_at timestamptz, run_id text, next_run_at timestamptz)
),
slots as (
  insert into ms_schedule_slots (schedule_id, slot_at, run_id)
  select schedule_id, slot_at, run_id from input where slot_at is not null order by schedule_id
  on conflict (schedule_id, slot_at) do nothing
  returning schedule_id, run_id
),
advanced as (
  update ms_schedules s set
    next_run_at = i.next_run_at,
    last_run_at = case when exists (select 1 from slots where slots.schedule_id = s.id)
      then i.slot_at else s.last_run_at end,
    updated_at = now()
  from input i where s.id = i.schedule_id
  returning s.id
)
select schedule_id, run_id from slots`;

export async function recordSlots(
  tx: Queryable,
  firings: Firing[],
): Promise<Array<{ schedule_id: string; run_id: string }>> {
  if (firings.length === 0) return [];
  const { rows } = await tx.query<{ schedule_id: string; run_id: string }>(
    RECORD_SLOTS,
    [JSON.stringify(firings)],
    "ms_schedule_record_slots",
  );
  return rows;
}
