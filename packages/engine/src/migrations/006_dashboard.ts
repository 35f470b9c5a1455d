/**
 * The dashboard's queue view counts WAITING runs per queue and concurrency key every few
 * seconds; waiting runs hold no slot, so `ms_queue_keys` does not count them. Without this
 * index that count reads every run (measured at 100,000 runs: docs/benchmarks.md). It is
 * partial: a run enters it when it suspends and leaves it when it resumes, so runs that never
 * wait (the hot path's claim and completion) never touch it. Built in the migration's
 * transaction: writes to ms_runs wait while it builds (it reads the whole table); on a large
 * existing table, create it first by hand with CREATE INDEX CONCURRENTLY (same name).
 */
export const up = /* sql */ `
create index if not exists ms_runs_waiting on ms_runs (queue, concurrency_key) where status = 'WAITING';
`;
