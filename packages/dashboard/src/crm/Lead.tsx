import { useParams } from "react-router-dom";
import { TimeChart } from "../components/Chart.js";
import { Code, ErrorNote, Facts, RunLink, Section } from "../components/ui.js";
import { formatDate, relative } from "../format.js";
import { useApi } from "../hooks.js";
import type { Factor, ProspectDetail } from "./types.js";
import { CrmPage, personName, wsApi } from "./workspace.js";

const FACTOR_LABELS: Record<string, string> = {
  email: "Email",
  phone: "Phone",
  company: "Company",
  jobTitle: "Job title",
  estimatedValue: "Estimated value",
  stage: "Stage",
  recentActivity: "Recent activity",
};
const factorLabel = (f: string) => FACTOR_LABELS[f] ?? f;

/** One lead: its score explained factor by factor, the score's history, and its activities. */
export function LeadPage() {
  return (
    <CrmPage title="Lead" listPath="/crm/leads">
      {(ws) => <Lead workspaceId={ws} />}
    </CrmPage>
  );
}

function Lead({ workspaceId }: { workspaceId: string }) {
  const { prospectId = "" } = useParams();
  const detail = useApi<ProspectDetail>(
    wsApi(workspaceId, `/prospects/${encodeURIComponent(prospectId)}`),
    10_000,
  );
  const p = detail.data?.prospect;
  if (!p) return <ErrorNote error={detail.error} />;
  const history = detail.data?.history ?? [];
  const activities = detail.data?.activities ?? [];
  return (
    <>
      <ErrorNote error={detail.error} />
      <p className="subtitle">
        <strong id="lead-name">{personName(p)}</strong> <span className="mono muted small">{p.id}</span>
      </p>
      <ul className="stats" aria-label="Score">
        <li className="card stat">
          <span className="stat-value" id="lead-score" data-score={p.score ?? ""}>
            {p.score ?? "–"}
          </span>
          <span className="stat-label">score (version {p.scoreVersion ?? "–"})</span>
        </li>
        <li className="card stat">
          <span className="stat-value">{p.stage}</span>
          <span className="stat-label">stage</span>
        </li>
        <li className="card stat">
          <span className="stat-value">
            {p.estimatedValue === null ? "–" : p.estimatedValue.toLocaleString()}
          </span>
          <span className="stat-label">estimated value</span>
        </li>
      </ul>
      <div className="grid-2">
        <Section title="Score breakdown" id="breakdown">
          {p.breakdown?.length ? (
            <Breakdown factors={p.breakdown} total={p.score} />
          ) : (
            <p className="muted">Not scored yet.</p>
          )}
          <p className="muted small">
            Scored {p.scoredAt ? `${relative(p.scoredAt)} (${formatDate(p.scoredAt)})` : "never"}.
          </p>
        </Section>
        <Section title="Contact">
          <Facts
            items={{
              Email: p.email ?? "–",
              Phone: p.phone ?? "–",
              Company: p.company ?? "–",
              "Job title": p.jobTitle ?? "–",
              Source: p.source ?? "–",
              Created: formatDate(p.createdAt),
              "Last activity": formatDate(p.lastActivityAt),
            }}
          />
        </Section>
      </div>
      <Section title="Score history" id="history">
        {history.length > 1 ? (
          <TimeChart
            times={[...history].reverse().map((h) => Date.parse(h.scoredAt) / 1000)}
            series={[
              { label: "score", color: "#4f46e5", values: [...history].reverse().map((h) => h.score) },
            ]}
            summary={`Score over time: ${history.length} scorings, from ${history.at(-1)?.score} to ${history[0]?.score}`}
            height={160}
          />
        ) : null}
        {history.length === 0 ? (
          <p className="muted">No scoring recorded.</p>
        ) : (
          <div className="table-wrap">
            <table className="table" id="score-history">
              <caption className="sr-only">Scorings, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Scored</th>
                  <th scope="col">Score</th>
                  <th scope="col">Changed factors</th>
                  <th scope="col" className="hide-sm">
                    Version
                  </th>
                  <th scope="col" className="hide-sm">
                    Run
                  </th>
                </tr>
              </thead>
              <tbody>
                {history.map((h, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: history rows only append, in order
                  <tr key={`${h.scoredAt}-${i}`}>
                    <td title={formatDate(h.scoredAt)}>{relative(h.scoredAt)}</td>
                    <td>{h.score}</td>
                    <td>{changes(h.breakdown, history[i + 1]?.breakdown)}</td>
                    <td className="hide-sm">{h.version}</td>
                    <td className="hide-sm">
                      {h.runId ? <RunLink id={h.runId} /> : <span className="muted">by hand</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
      <Section title="Activities">
        {activities.length === 0 ? (
          <p className="muted">No activity recorded.</p>
        ) : (
          <ul className="plain">
            {activities.map((a) => (
              <li key={a.id}>
                <strong>{a.kind}</strong>{" "}
                <span className="muted small" title={formatDate(a.occurredAt)}>
                  {relative(a.occurredAt)}
                </span>
                {a.details && Object.keys(a.details as object).length ? (
                  <details>
                    <summary>Details</summary>
                    <Code value={a.details} label={`Details of ${a.kind}`} />
                  </details>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </Section>
    </>
  );
}

function Breakdown({ factors, total }: { factors: Factor[]; total: number | null }) {
  return (
    <div className="table-wrap">
      <table className="table crm-table" id="score-breakdown">
        <caption className="sr-only">Points per factor, and why</caption>
        <thead>
          <tr>
            <th scope="col">Factor</th>
            <th scope="col">Points</th>
            <th scope="col">Evidence</th>
          </tr>
        </thead>
        <tbody>
          {factors.map((f) => (
            <tr key={f.factor} data-factor={f.factor}>
              <th scope="row">{factorLabel(f.factor)}</th>
              <td>
                <meter
                  min={0}
                  max={f.max}
                  value={f.points}
                  aria-label={`${factorLabel(f.factor)}: ${f.points} of ${f.max}`}
                />{" "}
                <span className="small">
                  {f.points}/{f.max}
                </span>
              </td>
              <td>{f.evidence}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">Total</th>
            <td>
              <strong>{total ?? factors.reduce((n, f) => n + f.points, 0)}</strong>
              <span className="small muted">/{factors.reduce((n, f) => n + f.max, 0)}</span>
            </td>
            <td />
          </tr>
        </tfoot>
      </table>
    </div>
  );
}

/** What moved between two scorings: "Stage +20, Recent activity −5". */
function changes(now: Factor[] | undefined, before: Factor[] | undefined): string {
  if (!now) return "–";
  if (!before) return "first scoring";
  const moved = now
    .map((f) => ({ f, d: f.points - (before.find((b) => b.factor === f.factor)?.points ?? 0) }))
    .filter(({ d }) => d !== 0)
    .map(({ f, d }) => `${factorLabel(f.factor)} ${d > 0 ? "+" : "−"}${Math.abs(d)}`);
  return moved.length ? moved.join(", ") : "no change";
}
