import { useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { query } from "../api.js";
import { ErrorNote, PageHeader, StatusBadge, Tags } from "../components/ui.js";
import { formatDate, relative } from "../format.js";
import { useApi, useDebounced } from "../hooks.js";
import type { Page, WaitTokenInfo } from "../types.js";

const STATUSES = ["WAITING", "COMPLETED", "TIMED_OUT"] as const;

/** Wait tokens (approvals and other human or webhook waits), filterable, live. */
export function TokensPage() {
  const [params, setParams] = useSearchParams();
  const status = params.get("status") ?? "";
  const [tagText, setTagText] = useState(params.get("tags") ?? "");
  const tags = useDebounced(tagText, 300);
  const [cursors, setCursors] = useState<string[]>([]);
  const after = cursors.at(-1);
  const path = `/api/v1/waitpoints/tokens${query({
    "filter[status]": status || undefined,
    "filter[tags]": tags
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean),
    "page[size]": 25,
    "page[after]": after,
  })}`;
  const tokens = useApi<Page<WaitTokenInfo>>(path, after ? undefined : 3000);
  const rows = tokens.data?.data ?? [];

  return (
    <>
      <PageHeader title="Wait tokens" />
      <form className="card filter-row" aria-label="Filter tokens" onSubmit={(e) => e.preventDefault()}>
        <label className="field">
          <span>Status</span>
          <select
            value={status}
            onChange={(e) => {
              setCursors([]);
              setParams(e.target.value ? { status: e.target.value } : {}, { replace: true });
            }}
          >
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replace("_", " ").toLowerCase()}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Tags (any of)</span>
          <input
            type="search"
            value={tagText}
            onChange={(e) => {
              setCursors([]);
              setTagText(e.target.value);
            }}
          />
        </label>
      </form>
      <ErrorNote error={tokens.error} />
      <div className="table-wrap card flush">
        <table className="table">
          <caption className="sr-only">Wait tokens, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Token</th>
              <th scope="col">Status</th>
              <th scope="col">Tags</th>
              <th scope="col">Created</th>
              <th scope="col" className="hide-sm">
                Timeout
              </th>
              <th scope="col" className="hide-sm">
                Completed
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((t) => (
              <tr key={t.id} data-token-id={t.id}>
                <td>
                  <Link className="mono" to={`/tokens/${t.id}`}>
                    {t.id}
                  </Link>
                </td>
                <td>
                  <StatusBadge status={t.status} />
                </td>
                <td>
                  <Tags tags={t.tags} />
                </td>
                <td title={formatDate(t.createdAt)}>{relative(t.createdAt)}</td>
                <td className="hide-sm">{formatDate(t.timeoutAt)}</td>
                <td className="hide-sm">{formatDate(t.completedAt)}</td>
              </tr>
            ))}
            {tokens.data && rows.length === 0 ? (
              <tr>
                <td colSpan={6} className="empty">
                  No tokens match.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      <nav className="pager" aria-label="Pages">
        <button
          type="button"
          className="button"
          disabled={!after}
          onClick={() => setCursors(cursors.slice(0, -1))}
        >
          ← Newer
        </button>
        <button
          type="button"
          className="button"
          disabled={!tokens.data?.pagination.next}
          onClick={() => setCursors([...cursors, tokens.data!.pagination.next!])}
        >
          Older →
        </button>
      </nav>
    </>
  );
}
