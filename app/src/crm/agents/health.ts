import type { CrmDb } from "../../db/store.js";
import { agentModelProvider } from "./provider.js";
import { listActiveAgents } from "./store.js";

export interface HealthIssue {
  kind: "stuck_executions" | "failure_rate" | "provider_unreachable" | "provider_not_configured";
  message: string;
  details?: unknown;
}

export interface AgentHealth {
  agentId: string;
  workspaceId: string;
  status: "healthy" | "degraded" | "unhealthy";
  issues: HealthIssue[];
}

export const HEALTH_DEFAULTS = {
  /** A row still `running` this long after it started is stuck (execute-agent's maxDuration is 15 min). */
  stuckAfterMs: 20 * 60_000,
  /** Failure rate over the last `window` finished executions above which an agent is unhealthy. */
  maxFailureRate: 0.5,
  window: 20,
  /** Fewer finished executions than this: the rate is not judged. */
  minExecutions: 3,
  probeTimeoutMs: 5_000,
};

/**
 * Checks every active agent: executions stuck in `running`, a failure rate above the threshold
 * over its recent executions, and whether the configured provider answers (probed once per
 * check). Stores one `crm_agent_health_checks` row per agent and the latest result on the agent
 * (`health`), in one transaction.
 */
export async function checkAgentHealth(
  db: CrmDb,
  options: Partial<typeof HEALTH_DEFAULTS> & { runId?: string; workspaceId?: string } = {},
): Promise<{
  checkedAt: string;
  provider: { ok: boolean; name?: string; error?: string };
  agents: AgentHealth[];
}> {
  const o = { ...HEALTH_DEFAULTS, ...options };
  const agents = await listActiveAgents(db, options.workspaceId);
  const provider = await probeProvider(o.probeTimeoutMs);
  const { rows: stats } = await db.query<{
    agentId: string;
    stuck: number;
    finished: number;
    failed: number;
  }>(
    `select a.id as "agentId",
       (select count(*)::int from crm_agent_executions e where e.agent_id = a.id and e.status = 'running'
          and e.started_at < now() - ($2::int * interval '1 millisecond')) as stuck,
       (select count(*)::int from (select status from crm_agent_executions e where e.agent_id = a.id
          and e.status in ('completed', 'failed') order by e.finished_at desc limit $3) r) as finished,
       (select count(*)::int from (select status from crm_agent_executions e where e.agent_id = a.id
          and e.status in ('completed', 'failed') order by e.finished_at desc limit $3) r where r.status = 'failed') as failed
     from crm_agents a where a.id = any($1::text[])`,
    [agents.map((a) => a.id), o.stuckAfterMs, o.window],
  );
  const byId = new Map(stats.map((s) => [s.agentId, s]));
  const results: AgentHealth[] = agents.map((agent) => {
    const s = byId.get(agent.id) ?? { stuck: 0, finished: 0, failed: 0 };
    const issues: HealthIssue[] = [];
    let status: AgentHealth["status"] = "healthy";
    if (!provider.ok) {
      status = "unhealthy";
      issues.push(
        provider.name
          ? {
              kind: "provider_unreachable",
              message: `Provider ${provider.name} did not answer: ${provider.error}`,
            }
          : { kind: "provider_not_configured", message: provider.error ?? "No provider configured" },
      );
    }
    const rate = s.finished > 0 ? s.failed / s.finished : 0;
    if (s.finished >= o.minExecutions && rate > o.maxFailureRate) {
      status = "unhealthy";
      issues.push({
        kind: "failure_rate",
        message: `${s.failed} of the last ${s.finished} executions failed (threshold ${Math.round(o.maxFailureRate * 100)}%)`,
        details: { failed: s.failed, finished: s.finished, rate },
      });
    }
    if (s.stuck > 0) {
      if (status === "healthy") status = "degraded";
      issues.push({
        kind: "stuck_executions",
        message: `${s.stuck} execution(s) running for more than ${Math.round(o.stuckAfterMs / 60_000)} minutes`,
        details: { count: s.stuck },
      });
    }
    return { agentId: agent.id, workspaceId: agent.workspaceId, status, issues };
  });
  const checkedAt = new Date().toISOString();
  if (results.length > 0) {
    await db.transaction(async (tx) => {
      await tx.query(
        `insert into crm_agent_health_checks (workspace_id, agent_id, status, issues, run_id, checked_at)
         select r.workspace_id, r.agent_id, r.status, r.issues, $2, $3::timestamptz
         from jsonb_to_recordset($1::jsonb) as r(workspace_id text, agent_id text, status text, issues jsonb)`,
        [
          JSON.stringify(
            results.map((r) => ({
              workspace_id: r.workspaceId,
              agent_id: r.agentId,
              status: r.status,
              issues: r.issues,
            })),
          ),
          options.runId ?? null,
          checkedAt,
        ],
      );
      await tx.query(
        `update crm_agents a set health = jsonb_build_object('status', r.status, 'issues', r.issues, 'checkedAt', $2::text)
         from jsonb_to_recordset($1::jsonb) as r(agent_id text, status text, issues jsonb) where a.id = r.agent_id`,
        [
          JSON.stringify(results.map((r) => ({ agent_id: r.agentId, status: r.status, issues: r.issues }))),
          checkedAt,
        ],
      );
    });
  }
  return { checkedAt, provider, agents: results };
}

async function probeProvider(timeoutMs: number): Promise<{ ok: boolean; name?: string; error?: string }> {
  let provider: ReturnType<typeof agentModelProvider>;
  try {
    provider = agentModelProvider();
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  if (!provider.probe) return { ok: true, name: provider.name };
  try {
    await provider.probe(AbortSignal.timeout(timeoutMs));
    return { ok: true, name: provider.name };
  } catch (error) {
    return { ok: false, name: provider.name, error: error instanceof Error ? error.message : String(error) };
  }
}
