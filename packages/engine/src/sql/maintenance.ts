import type { Queryable } from "../store/db.js";
import { APPLY_COUNTER_DELTAS, READY_CHANNEL } from "./counters.js";

/** DELAYED runs whose time has come become QUEUED (and are counted into their keys). */
const PROMOTE_DELAYED = /* sql */ `
with due as (
  select id from ms_runs
  where status = 'DELAYED' and available_at <= now()
  order by available_at
  limit $1::int
  for update skip locked
),
promoted as (
  update ms_runs r set status = 'QUEUED', updated_at = now()
  from due where r.id = due.id
  returning r.queue, r.concurrency_key
),
deltas as (
  select queue, concurrency_key as key, 0 as d_running, count(*)::int as d_queued from promoted group by 1, 2
),
${APPLY_COUNTER_DELTAS},
notify as materialized (
  select pg_notify('${READY_CHANNEL}', '') from (select 1) one where exists (select 1 from promoted)
)
select count(*)::int as n from promoted left join notify on true`;

export async function promoteDelayedRuns(db: Queryable, limit = 1000): Promise<number> {
  const { rows } = await db.query<{ n: number }>(PROMOTE_DELAYED, [limit]);
  return rows[0]?.n ?? 0;
}

/** Runs not started before their TTL end EXPIRED (Trigger.dev's `ttl`). */
const EXPIRE_TTL = /* sql */ `
with due as (
  select id, status as was from ms_runs
  -- TTL is about starting late: a run that has started once (retrying, resumed, released) keeps going
  where status in ('QUEUED', 'DELAYED') and ttl_expires_at <= now() and started_at is null
  limit $1::int
  for update skip locked
),
expired as (
  update ms_runs r set status = 'EXPIRED', completed_at = now(), updated_at = now(),
    error = jsonb_build_object('type', 'INTERNAL_ERROR', 'name', 'TTLExpiredError', 'code', 'TTL_EXPIRED',
      'message', 'The run did not start within its ttl of ' || r.ttl_s || 's')
  from due where r.id = due.id
  returning r.id, r.queue, r.concurrency_key, due.was
),
deltas as (
  select queue, concurrency_key as key, 0 as d_running, -count(*)::int as d_queued
  from expired where was = 'QUEUED' group by 1, 2
),
${APPLY_COUNTER_DELTAS}
select id from expired`;

export async function expireRuns(db: Queryable, limit = 1000): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(EXPIRE_TTL, [limit]);
  return rows.map((r) => r.id);
}

/** Milliseconds until the next DELAYED run or timed waitpoint is due, so the pass can sleep until then. */
export async function nextDueInMs(db: Queryable): Promise<number | undefined> {
  const { rows } = await db.query<{ ms: number | null }>(
    `select extract(epoch from (least(
       (select min(available_at) from ms_runs where status = 'DELAYED'),
       (select min(complete_after) from ms_waitpoints where status = 'WAITING' and complete_after is not null)
     ) - now())) * 1000 as ms`,
  );
  const ms = rows[0]?.ms;
  return ms === null || ms === undefined ? undefined : Math.max(0, Number(ms));
}
