import type { CrmDb, CrmQueryable } from "../../db/store.js";
import { newId } from "../ids.js";
import type { Tier } from "../tiers.js";
import { AgentInputError } from "./errors.js";

export const AGENT_TOOLS = ["search_knowledge_base", "lookup_prospect", "request_approval"] as const;
export type AgentToolName = (typeof AGENT_TOOLS)[number];

/** A small JSON-Schema subset for an agent's inputs: object properties and required keys. */
export interface AgentInputSchema {
  properties?: Record<
    string,
    { type?: "string" | "number" | "boolean" | "object" | "array"; description?: string }
  >;
  required?: string[];
}

export interface Agent {
  id: string;
  workspaceId: string;
  name: string;
  description: string | null;
  systemPrompt: string;
  status: "active" | "paused" | "error";
  model: string | null;
  inputSchema: AgentInputSchema;
  promptTemplate: string | null;
  tools: AgentToolName[];
  maxSteps: number;
  stats: AgentStats | Record<string, never>;
  health: unknown;
}

export interface AgentStats {
  runs: number;
  succeeded: number;
  failed: number;
  /** 0..1 over finished executions. */
  successRate: number;
  avgDurationMs: number;
  totalTokens: number;
  costUsd: number;
  lastRunAt: string | null;
}

const AGENT_COLUMNS = `id, workspace_id as "workspaceId", name, description, system_prompt as "systemPrompt", status,
  model, input_schema as "inputSchema", prompt_template as "promptTemplate", tools, max_steps as "maxSteps", stats, health`;

export interface NewAgent {
  name: string;
  description?: string;
  systemPrompt?: string;
  model?: string;
  inputSchema?: AgentInputSchema;
  promptTemplate?: string;
  tools?: AgentToolName[];
  maxSteps?: number;
  status?: Agent["status"];
}

export async function createAgent(db: CrmQueryable, workspaceId: string, agent: NewAgent): Promise<Agent> {
  for (const t of agent.tools ?? []) {
    if (!AGENT_TOOLS.includes(t))
      throw new AgentInputError(
        "INVALID_INPUT",
        `Unknown agent tool "${t}" (known: ${AGENT_TOOLS.join(", ")})`,
      );
  }
  const { rows } = await db.query<Agent>(
    `insert into crm_agents (id, workspace_id, name, description, system_prompt, model, input_schema, prompt_template, tools, max_steps, status)
     values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9::text[], $10, $11) returning ${AGENT_COLUMNS}`,
    [
      newId("ag"),
      workspaceId,
      agent.name,
      agent.description ?? null,
      agent.systemPrompt ?? "",
      agent.model ?? null,
      JSON.stringify(agent.inputSchema ?? {}),
      agent.promptTemplate ?? null,
      agent.tools ?? [],
      agent.maxSteps ?? 5,
      agent.status ?? "active",
    ],
  );
  return rows[0]!;
}

/** The agent of that workspace, or AGENT_NOT_FOUND (an agent of another workspace is not found). */
export async function getAgent(db: CrmQueryable, workspaceId: string, agentId: string): Promise<Agent> {
  const { rows } = await db.query<Agent>(
    `select ${AGENT_COLUMNS} from crm_agents where workspace_id = $1 and id = $2`,
    [workspaceId, agentId],
  );
  if (!rows[0])
    throw new AgentInputError(
      "AGENT_NOT_FOUND",
      `Agent "${agentId}" does not exist in workspace "${workspaceId}"`,
    );
  return rows[0];
}

export async function listActiveAgents(
  db: CrmQueryable,
  workspaceId?: string,
): Promise<Array<Agent & { tier: Tier }>> {
  const { rows } = await db.query<Agent & { tier: Tier }>(
    `select x.*, w.tier from (select ${AGENT_COLUMNS} from crm_agents
       where status = 'active' and ($1::text is null or workspace_id = $1)) x
     join crm_workspaces w on w.id = x."workspaceId" order by x."workspaceId", x.id`,
    [workspaceId ?? null],
  );
  return rows;
}

/** Checks inputs against the agent's schema: required keys present, declared types right. */
export function validateInputs(schema: AgentInputSchema, inputs: Record<string, unknown>): string | null {
  for (const key of schema.required ?? []) {
    if (inputs[key] === undefined || inputs[key] === null) return `input "${key}" is required`;
  }
  for (const [key, spec] of Object.entries(schema.properties ?? {})) {
    const value = inputs[key];
    if (value === undefined || value === null || !spec.type) continue;
    const actual = Array.isArray(value) ? "array" : typeof value;
    if (actual !== spec.type) return `input "${key}" must be ${spec.type}, got ${actual}`;
  }
  return null;
}

/** The user message: the template with {{key}} replaced, or the inputs as JSON. */
export function renderPrompt(template: string | null, inputs: Record<string, unknown>): string {
  if (!template) return JSON.stringify(inputs, null, 2);
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, key: string) => {
    const v = inputs[key];
    return v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v);
  });
}

export interface ExecutionRow {
  id: string;
  workspaceId: string;
  agentId: string;
  runId: string;
  status: "running" | "waiting_approval" | "completed" | "failed";
  inputs: Record<string, unknown>;
  output: string | null;
  error: string | null;
  errorCode: string | null;
  triggeredBy: string | null;
  model: string | null;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  usageByModel: Record<string, { inputTokens: number; outputTokens: number; costUsd: number }>;
  costUsd: number;
  toolCalls: number;
  approvalId: string | null;
  startedAt: Date;
  finishedAt: Date | null;
  durationMs: number | null;
}

const EXECUTION_COLUMNS = `id, workspace_id as "workspaceId", agent_id as "agentId", run_id as "runId", status, inputs, output,
  error, error_code as "errorCode", triggered_by as "triggeredBy", model, input_tokens as "inputTokens",
  output_tokens as "outputTokens", total_tokens as "totalTokens", usage_by_model as "usageByModel",
  cost_usd::float8 as "costUsd", tool_calls as "toolCalls", approval_id as "approvalId", started_at as "startedAt",
  finished_at as "finishedAt", duration_ms as "durationMs"`;

/**
 * One row per run: a replay or retry of the same run finds the row it created (a retry after a
 * failed attempt sets it back to `running`; the error stays until the execution ends).
 */
export async function startExecution(
  db: CrmQueryable,
  e: {
    workspaceId: string;
    agentId: string;
    runId: string;
    inputs: unknown;
    triggeredBy?: string;
    model: string | null;
  },
): Promise<ExecutionRow> {
  await db.query(
    `insert into crm_agent_executions (id, workspace_id, agent_id, run_id, inputs, triggered_by, model)
     values ($1, $2, $3, $4, $5::jsonb, $6, $7)
     on conflict (run_id) do update set status = 'running' where crm_agent_executions.status = 'failed'`,
    [
      newId("ex"),
      e.workspaceId,
      e.agentId,
      e.runId,
      JSON.stringify(e.inputs ?? {}),
      e.triggeredBy ?? null,
      e.model,
    ],
  );
  const { rows } = await db.query<ExecutionRow>(
    `select ${EXECUTION_COLUMNS} from crm_agent_executions where run_id = $1`,
    [e.runId],
  );
  return rows[0]!;
}

export async function getExecution(db: CrmQueryable, executionId: string): Promise<ExecutionRow | undefined> {
  const { rows } = await db.query<ExecutionRow>(
    `select ${EXECUTION_COLUMNS} from crm_agent_executions where id = $1`,
    [executionId],
  );
  return rows[0];
}

export async function listExecutions(db: CrmQueryable, agentId: string, limit = 50): Promise<ExecutionRow[]> {
  const { rows } = await db.query<ExecutionRow>(
    `select ${EXECUTION_COLUMNS} from crm_agent_executions where agent_id = $1 order by started_at desc, id limit $2`,
    [agentId, limit],
  );
  return rows;
}

export async function setExecutionStatus(
  db: CrmQueryable,
  executionId: string,
  status: "running" | "waiting_approval",
  approvalId?: string | null,
): Promise<void> {
  await db.query(
    `update crm_agent_executions set status = $2, approval_id = coalesce($3, approval_id)
     where id = $1 and status in ('running', 'waiting_approval')`,
    [executionId, status, approvalId ?? null],
  );
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

/**
 * Records the end of an execution and the agent's stats in one transaction. The agent row is
 * locked first, so two executions ending at once cannot each miss the other in the stats.
 */
export async function finishExecution(
  db: CrmDb,
  end: {
    executionId: string;
    agentId: string;
    status: "completed" | "failed";
    output?: string | null;
    error?: string | null;
    errorCode?: string | null;
    usageByModel?: Record<string, { inputTokens: number; outputTokens: number; costUsd: number }>;
    toolCalls?: number;
  },
): Promise<{ execution: ExecutionRow; stats: AgentStats }> {
  const byModel = end.usageByModel ?? {};
  const totals = Object.values(byModel).reduce(
    (t, u) => ({
      input: t.input + u.inputTokens,
      output: t.output + u.outputTokens,
      cost: t.cost + u.costUsd,
    }),
    { input: 0, output: 0, cost: 0 },
  );
  return db.transaction(async (tx) => {
    await tx.query("select id from crm_agents where id = $1 for update", [end.agentId]);
    const { rows } = await tx.query<ExecutionRow>(
      `update crm_agent_executions set status = $2, output = $3, error = $4, error_code = $5,
         input_tokens = $6::int, output_tokens = $7::int, total_tokens = $6::int + $7::int, usage_by_model = $8::jsonb, cost_usd = $9::numeric,
         tool_calls = $10::int, finished_at = now(),
         duration_ms = greatest(0, (extract(epoch from (now() - started_at)) * 1000)::integer)
       where id = $1 returning ${EXECUTION_COLUMNS}`,
      [
        end.executionId,
        end.status,
        end.output ?? null,
        end.error ?? null,
        end.errorCode ?? null,
        totals.input,
        totals.output,
        JSON.stringify(byModel),
        totals.cost,
        end.toolCalls ?? 0,
      ],
    );
    const { rows: statRows } = await tx.query<{ stats: AgentStats }>(
      `update crm_agents a set stats = s.stats, updated_at = now() from (
         select jsonb_build_object(
           'runs', count(*),
           'succeeded', count(*) filter (where status = 'completed'),
           'failed', count(*) filter (where status = 'failed'),
           'successRate', coalesce(round((count(*) filter (where status = 'completed'))::numeric / nullif(count(*), 0), 4), 0),
           'avgDurationMs', coalesce(round(avg(duration_ms)), 0),
           'totalTokens', coalesce(sum(total_tokens), 0),
           'costUsd', coalesce(sum(cost_usd), 0),
           'lastRunAt', max(finished_at)) as stats
         from crm_agent_executions where agent_id = $1 and status in ('completed', 'failed')) s
       where a.id = $1 returning a.stats`,
      [end.agentId],
    );
    const raw = statRows[0]!.stats as unknown as Record<string, unknown>;
    const stats: AgentStats = {
      runs: Number(raw.runs),
      succeeded: Number(raw.succeeded),
      failed: Number(raw.failed),
      successRate: Number(raw.successRate),
      avgDurationMs: Number(raw.avgDurationMs),
      totalTokens: Number(raw.totalTokens),
      costUsd: Number(raw.costUsd),
      lastRunAt: (raw.lastRunAt as string | null) ?? null,
    };
    return { execution: rows[0]!, stats };
  });
}

/** Tokens the workspace's agents used this calendar month (UTC), finished or not. */
export async function tokensUsedThisMonth(
  db: CrmQueryable,
  workspaceId: string,
  now = new Date(),
): Promise<number> {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const { rows } = await db.query<{ used: string | number }>(
    `select coalesce(sum(total_tokens), 0) as used from crm_agent_executions where workspace_id = $1 and started_at >= $2`,
    [workspaceId, start.toISOString()],
  );
  return Number(rows[0]?.used ?? 0);
}
