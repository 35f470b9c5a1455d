import { type FormEvent, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { query } from "../api.js";
import { ErrorNote, Section } from "../components/ui.js";
import { formatDate, relative } from "../format.js";
import { useApi } from "../hooks.js";
import type { DocumentRow, SearchResult } from "./types.js";
import { CrmBadge, CrmPage, wsApi } from "./workspace.js";

/** Documents with their index status, and hybrid search over the workspace's indexed chunks. */
export function DocumentsPage() {
  return (
    <CrmPage title="Documents" listPath="/crm/documents">
      {(ws) => <Documents workspaceId={ws} />}
    </CrmPage>
  );
}

/** The search API marks matches with **…**: shown as <mark>, as text (never as HTML). */
function Snippet({ text }: { text: string }) {
  return (
    <>
      {text.split("**").map((part, i) =>
        // biome-ignore lint/suspicious/noArrayIndexKey: the parts never reorder
        i % 2 === 1 ? <mark key={i}>{part}</mark> : <span key={i}>{part}</span>,
      )}
    </>
  );
}

function Documents({ workspaceId }: { workspaceId: string }) {
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const [text, setText] = useState(q);
  const docs = useApi<{ data: DocumentRow[] }>(wsApi(workspaceId, "/documents?limit=200"), 5000);
  const search = useApi<SearchResult>(q ? wsApi(workspaceId, `/search${query({ q, limit: 10 })}`) : null);
  const rows = docs.data?.data ?? [];
  const counts: Record<string, number> = {};
  for (const d of rows) counts[d.status] = (counts[d.status] ?? 0) + 1;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const next = new URLSearchParams(params);
    if (text.trim()) next.set("q", text.trim());
    else next.delete("q");
    setParams(next);
  };

  return (
    <>
      <Section title="Search">
        <form className="filter-row" aria-label="Document search" onSubmit={submit}>
          <label className="field inline">
            <span>Search documents</span>
            <input
              type="search"
              value={text}
              placeholder="how do I get a refund"
              onChange={(e) => setText(e.target.value)}
            />
          </label>
          <button type="submit" className="button primary">
            Search
          </button>
        </form>
        <ErrorNote error={search.error} />
        {q && search.data ? (
          <div id="search-results" aria-live="polite">
            <p className="muted small">
              {search.data.hits.length} result{search.data.hits.length === 1 ? "" : "s"} for “
              {search.data.query}” (full text + vectors: {search.data.embeddingModel},{" "}
              {search.data.vectorMode})
            </p>
            <ol className="plain">
              {search.data.hits.map((h) => (
                <li key={h.itemId} data-item-id={h.itemId}>
                  <strong>{h.title}</strong>
                  {h.heading ? <span className="muted small"> · {h.heading}</span> : null}
                  <div className="small">
                    <Snippet text={h.snippet} />
                  </div>
                  <span className="muted small">
                    score {h.score.toFixed(4)} · full-text rank {h.fullTextRank ?? "–"} · vector rank{" "}
                    {h.vectorRank ?? "–"}
                  </span>
                </li>
              ))}
            </ol>
          </div>
        ) : q && search.loading ? (
          <p className="muted">Searching…</p>
        ) : null}
      </Section>

      <ErrorNote error={docs.error} />
      <p className="muted small" aria-live="polite">
        {rows.length} document{rows.length === 1 ? "" : "s"}
        {Object.keys(counts).length
          ? `: ${Object.entries(counts)
              .map(([s, n]) => `${n} ${s}`)
              .join(", ")}`
          : ""}
      </p>
      <div className="table-wrap card flush">
        <table className="table" aria-busy={docs.loading && !docs.data}>
          <caption className="sr-only">Documents, most recently updated first</caption>
          <thead>
            <tr>
              <th scope="col">Document</th>
              <th scope="col">Index status</th>
              <th scope="col">Chunks</th>
              <th scope="col" className="hide-sm">
                Indexed
              </th>
              <th scope="col" className="hide-sm">
                Updated
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <tr key={d.id} data-document-id={d.id} data-status={d.status}>
                <td>
                  {d.title}
                  {d.source ? <div className="muted small break">{d.source}</div> : null}
                </td>
                <td>
                  <CrmBadge status={d.status} />
                  {d.error ? <div className="small error-note">{d.error}</div> : null}
                </td>
                <td>{d.chunks ?? "–"}</td>
                <td className="hide-sm">{formatDate(d.indexedAt)}</td>
                <td className="hide-sm" title={formatDate(d.updatedAt)}>
                  {relative(d.updatedAt)}
                </td>
              </tr>
            ))}
            {docs.data && rows.length === 0 ? (
              <tr>
                <td colSpan={5} className="empty">
                  No documents in this workspace.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
    </>
  );
}
