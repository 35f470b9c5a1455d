/**
 * The CRM's tables, in the engine's database and schema (the connection's search_path, so
 * MAINSPRING_DB_SCHEMA applies). Every row carries `workspace_id`, and every reference between
 * tenant rows is a composite key (workspace_id, id): a row can never point into another
 * workspace, whatever the application code does.
 */
export const up = `
create table crm_workspaces (
  id          text primary key,
  name        text not null,
  slug        text not null unique,
  tier        text not null check (tier in ('free', 'starter', 'professional', 'enterprise')),
  is_demo     boolean not null default false,
  created_at  timestamptz not null default now()
);

create table crm_users (
  id            text primary key,
  workspace_id  text not null references crm_workspaces(id) on delete cascade,
  email         text not null,
  name          text not null,
  role          text not null default 'member' check (role in ('owner', 'admin', 'member')),
  created_at    timestamptz not null default now(),
  unique (workspace_id, email)
);

create table crm_prospects (
  id                text primary key,
  workspace_id      text not null references crm_workspaces(id) on delete cascade,
  first_name        text,
  last_name         text,
  email             text,
  phone             text,
  company           text,
  job_title         text,
  estimated_value   numeric(14, 2),
  stage             text not null default 'new'
                    check (stage in ('new', 'contacted', 'qualified', 'proposal', 'negotiation', 'won', 'lost')),
  source            text,
  last_activity_at  timestamptz,
  score             integer,
  score_breakdown   jsonb,
  score_version     integer,
  scored_at         timestamptz,
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  unique (workspace_id, id)
);
-- unique (workspace_id, id) above also serves bulk scoring's keyset pages (workspace, id order);
-- a second index on the same columns cost ~15% of bulk scoring's time in index writes.
create index crm_prospects_ws_score on crm_prospects (workspace_id, score desc nulls last);

-- One row per scoring of a lead: the score, the factors with their evidence, the version.
create table crm_score_history (
  id            bigint generated always as identity primary key,
  workspace_id  text not null,
  prospect_id   text not null,
  score         integer not null,
  breakdown     jsonb not null,
  version       integer not null,
  run_id        text,
  scored_at     timestamptz not null default now(),
  foreign key (workspace_id, prospect_id) references crm_prospects (workspace_id, id) on delete cascade
);
create index crm_score_history_prospect on crm_score_history (prospect_id, scored_at desc);

create table crm_activities (
  id            text primary key,
  workspace_id  text not null,
  prospect_id   text not null,
  kind          text not null check (kind in ('email_sent', 'email_opened', 'email_replied', 'call', 'meeting', 'note', 'form_submitted')),
  occurred_at   timestamptz not null default now(),
  details       jsonb not null default '{}'::jsonb,
  foreign key (workspace_id, prospect_id) references crm_prospects (workspace_id, id) on delete cascade
);
create index crm_activities_prospect on crm_activities (prospect_id, occurred_at desc);

create table crm_contacts (
  id               text primary key,
  workspace_id     text not null references crm_workspaces(id) on delete cascade,
  prospect_id      text,
  email            text not null,
  name             text,
  phone            text,
  company          text,
  unsubscribed_at  timestamptz,
  created_at       timestamptz not null default now(),
  unique (workspace_id, email),
  foreign key (workspace_id, prospect_id) references crm_prospects (workspace_id, id) on delete set null (prospect_id)
);

-- Knowledge items (documents). indexed_hash is the content hash at the last successful index:
-- an item is unindexed when it differs from content_hash.
create table crm_knowledge_items (
  id             text primary key,
  workspace_id   text not null references crm_workspaces(id) on delete cascade,
  title          text not null,
  source         text,
  content        text not null default '',
  content_hash   text not null,
  indexed_hash   text,
  status         text not null default 'pending' check (status in ('pending', 'indexed', 'failed')),
  chunk_count    integer not null default 0,
  index_error    text,
  indexed_at     timestamptz,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  unique (workspace_id, id)
);
create index crm_knowledge_items_ws on crm_knowledge_items (workspace_id, status);

-- Chunks: the embedding column is added by the next migration, as pgvector's vector when
-- the server has it and as real[] when it does not.
create table crm_chunks (
  id               bigint generated always as identity primary key,
  workspace_id     text not null,
  item_id          text not null,
  ordinal          integer not null,
  heading          text not null default '',
  content          text not null,
  content_hash     text not null,
  embedding_model  text not null,
  tsv              tsvector generated always as
                   (setweight(to_tsvector('english', heading), 'A') || to_tsvector('english', content)) stored,
  unique (item_id, ordinal),
  foreign key (workspace_id, item_id) references crm_knowledge_items (workspace_id, id) on delete cascade
);
create index crm_chunks_ws on crm_chunks (workspace_id, embedding_model);
create index crm_chunks_hash on crm_chunks (workspace_id, content_hash);
create index crm_chunks_tsv on crm_chunks using gin (tsv);

-- Tables the later parts fill (campaigns, agents, approvals, sequences); created now so the
-- data model is whole and every reference is scoped by workspace from the start.
create table crm_campaigns (
  id             text primary key,
  workspace_id   text not null references crm_workspaces(id) on delete cascade,
  name           text not null,
  subject        text not null,
  body           text not null,
  audience       text not null check (audience in ('all_leads', 'new_leads', 'qualified_leads', 'contacts')),
  status         text not null default 'draft'
                 check (status in ('draft', 'scheduled', 'sending', 'sent', 'failed', 'canceled')),
  scheduled_for  timestamptz,
  stats          jsonb not null default '{}'::jsonb,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now()
);

create table crm_agents (
  id             text primary key,
  workspace_id   text not null references crm_workspaces(id) on delete cascade,
  name           text not null,
  description    text,
  system_prompt  text not null default '',
  status         text not null default 'active' check (status in ('active', 'paused', 'error')),
  stats          jsonb not null default '{}'::jsonb,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now()
);

create table crm_approvals (
  id             text primary key,
  workspace_id   text not null references crm_workspaces(id) on delete cascade,
  type           text not null,
  entity_id      text not null,
  title          text not null,
  description    text,
  status         text not null default 'pending' check (status in ('pending', 'approved', 'rejected', 'expired')),
  requested_by   text,
  token_id       text,
  decided_by     text,
  decided_at     timestamptz,
  expires_at     timestamptz,
  created_at     timestamptz not null default now()
);

create table crm_sequences (
  id             text primary key,
  workspace_id   text not null references crm_workspaces(id) on delete cascade,
  name           text not null,
  steps          jsonb not null default '[]'::jsonb,
  created_at     timestamptz not null default now()
);
`;
