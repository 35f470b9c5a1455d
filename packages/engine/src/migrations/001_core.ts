/**
 * The core tables. Payloads and outputs are kept as text with a content type (as
 * Trigger.dev stores them), so a superjson payload from the HTTP API round-trips unchanged
 * and no JSON is parsed on the hot path.
 */
export const up = /* sql */ `
create table ms_runs (
  id                 text primary key,
  task_id            text not null,
  status             text not null,
  queue              text not null,
  concurrency_key    text not null default '',
  payload            text,
  payload_type       text not null default 'application/json',
  output             text,
  output_type        text not null default 'application/json',
  error              jsonb,
  metadata           jsonb not null default '{}'::jsonb,
  tags               text[] not null default '{}',
  priority_s         integer not null default 0,
  -- earliest start (delay, retry backoff); order_at = available_at - priority, the dequeue order
  available_at       timestamptz not null default now(),
  order_at           timestamptz not null default now(),
  delayed_until      timestamptz,
  ttl_s              double precision,
  ttl_expires_at     timestamptz,
  max_attempts       integer not null,
  max_duration_s     integer,
  attempt_number     integer not null default 0,
  attempt_id         text,
  attempt_started_at timestamptz,
  attempts           jsonb not null default '[]'::jsonb,
  lease_owner        text,
  lease_expires_at   timestamptz,
  idempotency_key    text,
  parent_run_id      text,
  root_run_id        text,
  batch_id           text,
  depth              integer not null default 0,
  is_test            boolean not null default false,
  created_at         timestamptz not null default now(),
  updated_at         timestamptz not null default now(),
  started_at         timestamptz,
  completed_at       timestamptz
);

-- The claim reads one key's ready runs in dequeue order.
create index ms_runs_ready on ms_runs (queue, concurrency_key, order_at) where status = 'QUEUED';
create index ms_runs_leases on ms_runs (lease_expires_at) where status = 'EXECUTING';
create index ms_runs_delayed on ms_runs (available_at) where status = 'DELAYED';
create index ms_runs_ttl on ms_runs (ttl_expires_at)
  where status in ('QUEUED', 'DELAYED') and ttl_expires_at is not null;
-- Listing indexes. Every claim and completion rewrites the run row and, since status
-- changes, every index on it (no HOT update): each index here costs WAL and CPU twice per
-- run. Listing by status or task therefore scans newest-first on this one index and filters;
-- the dashboard issue revisits this with measurements at 100,000 runs.
create index ms_runs_created on ms_runs (created_at desc, id desc);

-- Tags are filtered through their own table, written once at trigger time: a GIN index on
-- ms_runs.tags would be rewritten by every claim and completion (no HOT update is possible
-- when status changes) and measured at about a third of the hot path's cost.
create table ms_run_tags (
  tag        text not null,
  run_id     text not null,
  created_at timestamptz not null default now(),
  primary key (tag, run_id)
);
create index ms_run_tags_recent on ms_run_tags (tag, created_at desc);
create index ms_runs_batch on ms_runs (batch_id) where batch_id is not null;

create table ms_queues (
  name              text primary key,
  concurrency_limit integer,
  total_limit       integer,
  paused            boolean not null default false,
  -- maintained only while total_limit is set (it would be a hot row otherwise)
  running           integer not null default 0,
  updated_at        timestamptz not null default now()
);

-- One row per queue and concurrency key: the counters the fair claim reads and the limit
-- check relies on. They change in the same statement as the runs they count.
create table ms_queue_keys (
  queue       text not null,
  key         text not null,
  running     integer not null default 0,
  queued      integer not null default 0,
  last_served bigint not null default 0,
  primary key (queue, key)
);
create index ms_queue_keys_ready on ms_queue_keys (queue, last_served) where queued > 0;
create sequence ms_serve_seq;

create table ms_idempotency_keys (
  task_id    text not null,
  key        text not null,
  run_id     text not null,
  expires_at timestamptz not null,
  primary key (task_id, key)
);

create table ms_batches (
  id         text primary key,
  run_count  integer not null,
  created_at timestamptz not null default now()
);

create table ms_logs (
  id         bigserial primary key,
  run_id     text not null,
  attempt    integer not null,
  level      text not null,
  message    text not null,
  data       jsonb,
  created_at timestamptz not null default now()
);
create index ms_logs_run on ms_logs (run_id, id);
`;
