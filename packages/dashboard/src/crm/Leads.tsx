import { useEffect, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { query } from "../api.js";
import { ErrorNote } from "../components/ui.js";
import { formatDate, relative } from "../format.js";
import { useApi, useDebounced } from "../hooks.js";
import { type ProspectRow, STAGES } from "./types.js";
import { CrmPage, personName, wsApi, wsLink } from "./workspace.js";

/** Leads by score, highest first: filter by stage, search by name, email or company. */
export function LeadsPage() {
  return (
    <CrmPage title="Leads" listPath="/crm/leads">
      {(ws) => <Leads workspaceId={ws} />}
    </CrmPage>
  );
}

function Leads({ workspaceId }: { workspaceId: string }) {
  const [params, setParams] = useSearchParams();
  const stage = params.get("stage") ?? "";
  const [text, setText] = useState(params.get("q") ?? "");
  const typed = useDebounced(text.trim(), 300);
  const q = params.get("q") ?? "";

  const update = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: only typing triggers this
  useEffect(() => {
    if (typed !== q) update("q", typed);
  }, [typed]);

  const leads = useApi<{ data: ProspectRow[] }>(
    wsApi(workspaceId, `/prospects${query({ stage: stage || undefined, q: q || undefined, limit: 100 })}`),
    10_000,
  );
  const rows = leads.data?.data ?? [];

  return (
    <>
      <form className="card filter-row" aria-label="Filter leads" onSubmit={(e) => e.preventDefault()}>
        <label className="field">
          <span>Stage</span>
          <select value={stage} onChange={(e) => update("stage", e.target.value)}>
            <option value="">Any stage</option>
            {STAGES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Search leads</span>
          <input
            type="search"
            value={text}
            placeholder="Name, email or company"
            onChange={(e) => setText(e.target.value)}
          />
        </label>
      </form>
      <ErrorNote error={leads.error} />
      <div className="table-wrap card flush">
        <table className="table" aria-busy={leads.loading && !leads.data}>
          <caption className="sr-only">Leads, highest score first</caption>
          <thead>
            <tr>
              <th scope="col">Lead</th>
              <th scope="col">Score</th>
              <th scope="col">Stage</th>
              <th scope="col" className="hide-sm">
                Company
              </th>
              <th scope="col" className="hide-sm">
                Job title
              </th>
              <th scope="col" className="hide-sm">
                Scored
              </th>
              <th scope="col" className="hide-sm">
                Last activity
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((p) => (
              <tr key={p.id} data-prospect-id={p.id}>
                <td>
                  <Link to={wsLink(`/crm/leads/${encodeURIComponent(p.id)}`, workspaceId)}>
                    {personName(p)}
                  </Link>
                  {p.email && personName(p) !== p.email ? <div className="muted small">{p.email}</div> : null}
                </td>
                <td>
                  {p.score === null ? (
                    <span className="muted">not scored</span>
                  ) : (
                    <strong data-score={p.score}>{p.score}</strong>
                  )}
                </td>
                <td>{p.stage}</td>
                <td className="hide-sm">{p.company ?? "–"}</td>
                <td className="hide-sm">{p.jobTitle ?? "–"}</td>
                <td className="hide-sm" title={formatDate(p.scoredAt)}>
                  {p.scoredAt ? relative(p.scoredAt) : "–"}
                </td>
                <td className="hide-sm" title={formatDate(p.lastActivityAt)}>
                  {p.lastActivityAt ? relative(p.lastActivityAt) : "–"}
                </td>
              </tr>
            ))}
            {leads.data && rows.length === 0 ? (
              <tr>
                <td colSpan={7} className="empty">
                  No leads match.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      {rows.length === 100 ? (
        <p className="muted small">The 100 highest scores; narrow the search to see others.</p>
      ) : null}
    </>
  );
}
