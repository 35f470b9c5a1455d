import { Link } from "react-router-dom";
import { ErrorNote } from "../components/ui.js";
import { formatDate } from "../format.js";
import { useApi } from "../hooks.js";
import type { Campaign } from "./types.js";
import { CrmBadge, CrmPage, wsApi, wsLink } from "./workspace.js";

/** Rows that reached a final state (the ledger's counts, or a campaign's stored stats). */
export function doneOf(c: Partial<Record<string, number>>): number {
  return (c.sent ?? 0) + (c.failed ?? 0) + (c.suppressed ?? 0) + (c.skipped ?? 0) + (c.unknown ?? 0);
}

/** A workspace's campaigns, newest first, with their status and progress (live while one sends). */
export function CampaignsPage() {
  return (
    <CrmPage title="Campaigns" listPath="/crm/campaigns">
      {(ws) => <Campaigns workspaceId={ws} />}
    </CrmPage>
  );
}

function Campaigns({ workspaceId }: { workspaceId: string }) {
  const list = useApi<{ data: Campaign[] }>(wsApi(workspaceId, "/campaigns"), 3000);
  const rows = list.data?.data ?? [];
  return (
    <>
      <ErrorNote error={list.error} />
      <div className="table-wrap card flush">
        <table className="table" aria-busy={list.loading && !list.data}>
          <caption className="sr-only">Campaigns, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Campaign</th>
              <th scope="col">Status</th>
              <th scope="col">Progress</th>
              <th scope="col" className="hide-sm">
                Audience
              </th>
              <th scope="col" className="hide-sm">
                Scheduled for
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((c) => {
              const total = c.stats.total ?? 0;
              const done = doneOf(c.stats);
              return (
                <tr key={c.id} data-campaign-id={c.id} data-status={c.status}>
                  <td>
                    <Link to={wsLink(`/crm/campaigns/${encodeURIComponent(c.id)}`, workspaceId)}>
                      {c.name}
                    </Link>
                    <div className="muted small">{c.subject}</div>
                  </td>
                  <td>
                    <CrmBadge status={c.status} />
                  </td>
                  <td>
                    {total ? (
                      <>
                        <progress
                          max={total}
                          value={done}
                          aria-label={`${c.name}: ${done} of ${total} done`}
                        />{" "}
                        <span className="small">
                          {c.stats.sent ?? 0} sent of {total}
                        </span>
                      </>
                    ) : (
                      <span className="muted">not started</span>
                    )}
                  </td>
                  <td className="hide-sm">{c.audience.replaceAll("_", " ")}</td>
                  <td className="hide-sm">{formatDate(c.scheduledFor)}</td>
                </tr>
              );
            })}
            {list.data && rows.length === 0 ? (
              <tr>
                <td colSpan={5} className="empty">
                  No campaigns in this workspace.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
    </>
  );
}
