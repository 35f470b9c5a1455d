/**
 * Email: campaigns gain pause and audit columns, sequences get enrollments, and one send
 * ledger holds every message the CRM ever meant to send. The ledger's unique keys are the
 * exactly-once guarantee: one row per (campaign, address) and per (enrollment, step), and the
 * row's state moves forward only (see crm/email/ledger.ts for the state machine).
 */
export const up = `
alter table crm_campaigns drop constraint crm_campaigns_status_check;
alter table crm_campaigns add constraint crm_campaigns_status_check
  check (status in ('draft', 'scheduled', 'awaiting_approval', 'sending', 'paused', 'sent', 'failed', 'canceled'));
alter table crm_campaigns
  add column from_address    text,
  add column status_reason   text,
  add column materialized_at timestamptz,
  add column started_at      timestamptz,
  add column finished_at     timestamptz,
  add column send_run_id     text,
  add column sender          text,            -- host:pid of the process sending now (operations)
  add column resumes         integer not null default 0;
alter table crm_campaigns add constraint crm_campaigns_ws_id unique (workspace_id, id);

create table crm_suppressions (
  workspace_id  text not null references crm_workspaces(id) on delete cascade,
  email         text not null,           -- lower-cased
  reason        text not null check (reason in ('unsubscribe', 'bounce', 'complaint', 'manual')),
  source        text,
  created_at    timestamptz not null default now(),
  primary key (workspace_id, email)
);

create table crm_sequence_enrollments (
  id            text primary key,
  workspace_id  text not null,
  sequence_id   text not null,
  sequence_name text,
  prospect_id   text not null,
  run_id        text,
  status        text not null default 'active' check (status in ('active', 'completed', 'stopped', 'canceled')),
  stop_reason   text,
  started_at    timestamptz not null default now(),
  finished_at   timestamptz,
  unique (workspace_id, id),
  foreign key (workspace_id, prospect_id) references crm_prospects (workspace_id, id) on delete cascade
);
create index crm_sequence_enrollments_prospect on crm_sequence_enrollments (workspace_id, prospect_id);

create table crm_send_ledger (
  id             bigint generated always as identity primary key,
  workspace_id   text not null,
  campaign_id    text,
  enrollment_id  text,
  step_number    integer,
  prospect_id    text,
  email          text not null,          -- lower-cased
  name           text,
  vars           jsonb not null default '{}'::jsonb,  -- template variables, snapshotted with the audience
  message_id     text not null unique,   -- deterministic: the same row always has the same Message-ID
  state          text not null default 'pending'
                 check (state in ('pending', 'sending', 'sent', 'failed', 'suppressed', 'skipped', 'unknown')),
  attempt_id     text,                   -- the run attempt that claimed it (sending)
  transport      text,                   -- 'local' or 'smtp', set with the claim: decides crash recovery
  tries          integer not null default 0,
  claimed_at     timestamptz,
  finished_at    timestamptz,
  detail         text,                   -- SMTP response, error, or the reason for a skip
  created_at     timestamptz not null default now(),
  check ((campaign_id is null) <> (enrollment_id is null)),
  unique (campaign_id, email),
  unique (enrollment_id, step_number),
  foreign key (workspace_id, campaign_id) references crm_campaigns (workspace_id, id) on delete cascade,
  foreign key (workspace_id, enrollment_id) references crm_sequence_enrollments (workspace_id, id) on delete cascade
);
-- The sender walks a campaign's pending rows in id order; stats group by state.
create index crm_send_ledger_campaign_state on crm_send_ledger (campaign_id, state, id);

-- The local mailbox: what the default transport (no SMTP_URL) delivers to, written in the
-- same transaction that marks the ledger row sent. One row per Message-ID.
create table crm_mailbox (
  id            bigint generated always as identity primary key,
  workspace_id  text not null,
  message_id    text not null unique,
  transport     text not null,
  to_address    text not null,
  subject       text not null,
  raw           text not null,
  created_at    timestamptz not null default now()
);
create index crm_mailbox_ws on crm_mailbox (workspace_id, id desc);
`;
