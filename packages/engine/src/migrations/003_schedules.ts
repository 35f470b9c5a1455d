/**
 * Schedules (Trigger.dev's `schedules`): one row per schedule, and one row per slot that fired.
 * The slot's primary key (schedule, slot time) is what makes a slot fire at most once, whatever
 * the number of processes; see sql/schedules.ts.
 */
export const up = /* sql */ `
create table ms_schedules (
  id                text primary key,                   -- sched_…
  task_id           text not null,
  type              text not null check (type in ('DECLARATIVE', 'IMPERATIVE')),
  active            boolean not null default true,
  -- why an inactive schedule is inactive: 'user' (deactivate()) or 'sync' (its declarative
  -- task was gone at a start; a later start that finds the task again reactivates it)
  deactivated_by    text,
  -- declarative schedules use the task id; imperative ones the caller's key
  deduplication_key text not null,
  external_id       text,
  cron              text not null,
  timezone          text not null default 'UTC',
  next_run_at       timestamptz,                        -- the next slot; null if the pattern has none
  last_run_at       timestamptz,                        -- the last slot that fired (lastTimestamp)
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now()
);
create unique index ms_schedules_dedup on ms_schedules (type, deduplication_key);
-- the scheduler's only hot read: active schedules by next slot
create index ms_schedules_due on ms_schedules (next_run_at) where active;
create index ms_schedules_list on ms_schedules (created_at desc, id desc);

create table ms_schedule_slots (
  schedule_id text not null references ms_schedules (id) on delete cascade,
  slot_at     timestamptz not null,
  run_id      text not null,
  created_at  timestamptz not null default now(),
  primary key (schedule_id, slot_at)
);
`;
