import { ErrorNote, RunLink, Section } from "../components/ui.js";
import { formatDate, formatDuration, relative } from "../format.js";
import { useApi } from "../hooks.js";
import type { Agent, AgentExecution } from "./types.js";
import { CrmBadge, CrmPage, wsApi } from "./workspace.js";

/** A workspace's agents with their totals, and their latest executions (each run's page streams it live). */
export function AgentsPage() {
  return (
    <CrmPage title="Agents" listPath="/crm/agents">
      {(ws) => <Agents workspaceId={ws} />}
    </CrmPage>
  );
}

function Agents({ workspaceId }: { workspaceId: string }) {
  const res = useApi<{ agents: Agent[]; executions: AgentExecution[] }>(wsApi(workspaceId, "/agents"), 3000);
  const agents = res.data?.agents ?? [];
  const executions = res.data?.executions ?? [];
  const nameOf = (id: string) => agents.find((a) => a.id === id)?.name ?? id;
  return (
    <>
      <ErrorNote error={res.error} />
      <Section title="Agents">
        <div className="table-wrap">
          <table className="table">
            <caption className="sr-only">Agents by name</caption>
            <thead>
              <tr>
                <th scope="col">Agent</th>
                <th scope="col">Status</th>
                <th scope="col" className="hide-sm">
                  Model
                </th>
                <th scope="col">Executions</th>
                <th scope="col" className="hide-sm">
                  Tokens
                </th>
              </tr>
            </thead>
            <tbody>
              {agents.map((a) => (
                <tr key={a.id} data-agent-id={a.id}>
                  <td>{a.name}</td>
                  <td>
                    <CrmBadge status={a.status} />
                  </td>
                  <td className="hide-sm mono small">{a.model ?? "–"}</td>
                  <td>{a.executions}</td>
                  <td className="hide-sm">{a.totalTokens.toLocaleString()}</td>
                </tr>
              ))}
              {res.data && agents.length === 0 ? (
                <tr>
                  <td colSpan={5} className="empty">
                    No agents in this workspace.
                  </td>
                </tr>
              ) : null}
            </tbody>
          </table>
        </div>
      </Section>
      <Section title="Latest executions">
        <div className="table-wrap">
          <table className="table">
            <caption className="sr-only">
              Agent executions, newest first; each links to its run, whose page shows the live output
            </caption>
            <thead>
              <tr>
                <th scope="col">Agent</th>
                <th scope="col">Status</th>
                <th scope="col">Run (live output)</th>
                <th scope="col">Started</th>
                <th scope="col" className="hide-sm">
                  Duration
                </th>
                <th scope="col" className="hide-sm">
                  Tokens
                </th>
                <th scope="col" className="hide-sm">
                  Tool calls
                </th>
                <th scope="col" className="hide-sm">
                  Cost
                </th>
              </tr>
            </thead>
            <tbody>
              {executions.map((e) => (
                <tr key={e.id} data-execution-id={e.id}>
                  <td>{nameOf(e.agentId)}</td>
                  <td>
                    <CrmBadge status={e.status} />
                    {e.error ? <div className="small error-note">{e.error}</div> : null}
                  </td>
                  <td>{e.runId ? <RunLink id={e.runId} /> : <span className="muted">–</span>}</td>
                  <td title={formatDate(e.startedAt)}>{e.startedAt ? relative(e.startedAt) : "–"}</td>
                  <td className="hide-sm">{formatDuration(e.durationMs)}</td>
                  <td className="hide-sm">{e.totalTokens?.toLocaleString() ?? "–"}</td>
                  <td className="hide-sm">{e.toolCalls ?? "–"}</td>
                  <td className="hide-sm">{e.costUsd === null ? "–" : `$${e.costUsd.toFixed(4)}`}</td>
                </tr>
              ))}
              {res.data && executions.length === 0 ? (
                <tr>
                  <td colSpan={8} className="empty">
                    No executions yet.
                  </td>
                </tr>
              ) : null}
            </tbody>
          </table>
        </div>
      </Section>
    </>
  );
}
