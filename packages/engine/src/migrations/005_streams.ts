/**
 * Streams (Trigger.dev v4.1+ `streams.define`): one row per (run, stream) holding the dense
 * length, and one row per chunk. Number 004 belongs to the HTTP API's tables; the runner
 * applies whatever versions a store lacks, so the two can land in either order.
 */
export const up = /* sql */ `
create table ms_streams (
  run_id     text not null,
  stream_id  text not null,
  length     integer not null default 0,  -- chunks stored; the next chunk's seq
  bytes      bigint not null default 0,   -- sum of the chunks' sizes (UTF-8 JSON)
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (run_id, stream_id)
);

-- seq is dense from 0 per stream: appends lock the ms_streams row, so they number and commit
-- in one order, and a reader that saw seq n has seen every seq below it.
create table ms_stream_chunks (
  run_id     text not null,
  stream_id  text not null,
  seq        integer not null,
  data       text not null,               -- the chunk as JSON text
  created_at timestamptz not null default now(),
  primary key (run_id, stream_id, seq)
);

-- Replay bookkeeping for writes from inside runs: one row per write call (an append, a pipe,
-- a writer), identified by the writing run, the durable segment it was made in (how many
-- durable operations the run had started), its number within the segment, and the attempt
-- (lineage) it belongs to. "written" chunks of the call are stored: positions 0..written-1.
-- A replay of the call skips those and stores only what comes after.
create table ms_stream_writes (
  run_id     text not null,
  stream_id  text not null,
  w_run      text not null,
  w_seg      integer not null,
  w_call     integer not null,
  w_attempt  integer not null,
  written    integer not null,
  last_seq   integer not null,             -- index of the call's last stored chunk
  primary key (run_id, stream_id, w_run, w_seg, w_call, w_attempt)
);
`;
