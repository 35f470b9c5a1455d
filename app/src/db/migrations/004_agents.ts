/**
 * Agents and approvals (part 3). Agents gain a model, an input schema, a prompt template and
 * their tools; every execution is one row (inputs, output, error, usage and cost per model,
 * duration, run id); health checks are kept; approvals gain the decision's comment and the
 * run that asked. References stay composite (workspace_id, id), as in part 1.
 */
export const up = `
alter table crm_agents
  add column model            text,
  add column input_schema     jsonb not null default '{}'::jsonb,
  add column prompt_template  text,
  add column tools            text[] not null default '{}',
  add column max_steps        integer not null default 5 check (max_steps between 1 and 20),
  add column health           jsonb;
alter table crm_agents add constraint crm_agents_ws_id unique (workspace_id, id);

create table crm_agent_executions (
  id                 text primary key,
  workspace_id       text not null,
  agent_id           text not null,
  run_id             text not null unique,
  status             text not null default 'running'
                     check (status in ('running', 'waiting_approval', 'completed', 'failed')),
  inputs             jsonb not null default '{}'::jsonb,
  output             text,
  error              text,
  error_code         text,
  triggered_by       text,
  model              text,
  input_tokens       integer not null default 0,
  output_tokens      integer not null default 0,
  total_tokens       integer not null default 0,
  -- per model: { "<model>": { inputTokens, outputTokens, costUsd } }
  usage_by_model     jsonb not null default '{}'::jsonb,
  cost_usd           numeric(18, 9) not null default 0,
  tool_calls         integer not null default 0,
  approval_id        text,
  started_at         timestamptz not null default now(),
  finished_at        timestamptz,
  duration_ms        integer,
  foreign key (workspace_id, agent_id) references crm_agents (workspace_id, id) on delete cascade
);
create index crm_agent_executions_agent on crm_agent_executions (agent_id, started_at desc);
create index crm_agent_executions_ws_month on crm_agent_executions (workspace_id, started_at);

create table crm_agent_health_checks (
  id            bigint generated always as identity primary key,
  workspace_id  text not null,
  agent_id      text not null,
  status        text not null check (status in ('healthy', 'degraded', 'unhealthy')),
  issues        jsonb not null default '[]'::jsonb,
  run_id        text,
  checked_at    timestamptz not null default now(),
  foreign key (workspace_id, agent_id) references crm_agents (workspace_id, id) on delete cascade
);
create index crm_agent_health_checks_agent on crm_agent_health_checks (agent_id, checked_at desc);

alter table crm_approvals
  add column comment   text,
  add column run_id    text;
alter table crm_approvals add constraint crm_approvals_ws_id unique (workspace_id, id);
create index crm_approvals_ws_status on crm_approvals (workspace_id, status, created_at desc);
`;
