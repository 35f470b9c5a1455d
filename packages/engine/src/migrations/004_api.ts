/**
 * The HTTP API's own state: secret API keys (only their SHA-256 is kept; the key is shown once,
 * at creation) and the server's signing secret for public access tokens (JWTs), created on
 * first use so every process serving one database signs and verifies with the same secret.
 */
export const up = /* sql */ `
create table ms_api_keys (
  id            text primary key,                       -- key_…
  name          text not null,
  environment   text not null check (environment in ('dev', 'prod')),
  -- the first characters of the key, to tell keys apart in listings without revealing them
  prefix        text not null,
  hash          text not null unique,                   -- hex SHA-256 of the whole key
  created_at    timestamptz not null default now(),
  last_used_at  timestamptz,
  revoked_at    timestamptz
);

-- payloads the official client offloads (over 128 KB) before triggering: it PUTs the data to a
-- signed URL, then triggers with the packet's name; the trigger reads the packet back
create table ms_packets (
  name        text primary key,
  data        text not null,
  data_type   text not null,
  created_at  timestamptz not null default now()
);

-- the official client's two-phase batch: the batch is created with its size, then its items
-- are streamed; the runs are inserted when every item has arrived
create table ms_batch_requests (
  id               text primary key,                 -- the batch id its runs get
  run_count        integer not null,
  idempotency_key  text unique,
  sealed_at        timestamptz,
  created_at       timestamptz not null default now()
);

-- one-time trigger tokens that were used (their SHA-256); a token expires, so rows older
-- than the longest token lifetime can go
create table ms_spent_tokens (
  hash        text primary key,
  spent_at    timestamptz not null default now()
);

create table ms_server_secrets (
  name        text primary key,
  value       text not null,
  created_at  timestamptz not null default now()
);

-- runs.retrieve lists a run's children
create index ms_runs_parent on ms_runs (parent_run_id, created_at desc, id desc) where parent_run_id is not null;
`;
