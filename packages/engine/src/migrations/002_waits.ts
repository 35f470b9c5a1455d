/**
 * Durable waits: waitpoints (a duration, a token, a child run), which runs wait on which
 * waitpoints, and each run's journal of durable operations for replay.
 */
export const up = /* sql */ `
alter table ms_runs
  add column resuming      boolean not null default false, -- queued again after a wait: no new attempt
  add column resume_parent boolean not null default false, -- a parent waits on this run (triggerAndWait)
  add column has_journal   boolean not null default false;

create table ms_waitpoints (
  id                         text primary key,
  type                       text not null,                    -- DURATION | TOKEN | RUN
  status                     text not null default 'WAITING',  -- WAITING | COMPLETED | TIMED_OUT
  run_id                     text,                             -- RUN: the child run waited on
  complete_after             timestamptz,                      -- DURATION: when; TOKEN: its timeout
  output                     text,
  output_type                text not null default 'application/json',
  idempotency_key            text,
  idempotency_key_expires_at timestamptz,
  tags                       text[] not null default '{}',
  created_at                 timestamptz not null default now(),
  completed_at               timestamptz
);
create index ms_waitpoints_due on ms_waitpoints (complete_after)
  where status = 'WAITING' and complete_after is not null;
create index ms_waitpoints_child on ms_waitpoints (run_id) where type = 'RUN' and status = 'WAITING';
create unique index ms_waitpoints_idempotency on ms_waitpoints (idempotency_key) where idempotency_key is not null;
create index ms_waitpoints_tokens on ms_waitpoints (created_at desc, id desc) where type = 'TOKEN';

-- A run blocked on waitpoints; it resumes when its last row here is deleted.
create table ms_run_waits (
  run_id       text not null,
  waitpoint_id text not null,
  primary key (run_id, waitpoint_id)
);
create index ms_run_waits_waitpoint on ms_run_waits (waitpoint_id);

-- Durable operations in the order the run performed them; replay returns their results.
create table ms_journal (
  run_id     text not null,
  seq        integer not null,
  kind       text not null,
  key        text not null,
  data       jsonb,
  result     text,
  created_at timestamptz not null default now(),
  primary key (run_id, seq)
);
`;
