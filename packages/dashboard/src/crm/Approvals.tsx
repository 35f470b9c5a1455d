import { useRealtimeRun } from "@mainspring/react";
import { type FormEvent, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { api, query } from "../api.js";
import { ErrorNote, RunLink, Section, StatusBadge } from "../components/ui.js";
import { formatDate, relative } from "../format.js";
import { useAction, useApi } from "../hooks.js";
import type { Approval, ApprovalStatus } from "./types.js";
import { CrmBadge, CrmPage, wsApi } from "./workspace.js";

const STATUSES: ApprovalStatus[] = ["pending", "approved", "rejected", "expired"];

/** The approvals inbox of a workspace: approve or reject with a comment; the waiting run resumes. */
export function ApprovalsPage() {
  return (
    <CrmPage title="Approvals" listPath="/crm/approvals">
      {(ws) => <Approvals workspaceId={ws} />}
    </CrmPage>
  );
}

function Approvals({ workspaceId }: { workspaceId: string }) {
  const [params, setParams] = useSearchParams();
  const status = params.get("status") ?? "pending";
  const list = useApi<{ approvals: Approval[] }>(
    wsApi(workspaceId, `/approvals${query({ status: status === "all" ? undefined : status, limit: 100 })}`),
    3000,
  );
  // decisions made on this page stay in view (with their run, live) after they leave the list
  const [decided, setDecided] = useState<Approval[]>([]);
  const rows = list.data?.approvals ?? [];

  return (
    <>
      <form className="card filter-row" aria-label="Filter approvals" onSubmit={(e) => e.preventDefault()}>
        <label className="field">
          <span>Status</span>
          <select
            value={status}
            onChange={(e) => {
              const next = new URLSearchParams(params);
              next.set("status", e.target.value);
              setParams(next, { replace: true });
            }}
          >
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
            <option value="all">any status</option>
          </select>
        </label>
      </form>

      {decided.length ? (
        <Section title="Decided here" id="decided">
          <ul className="plain">
            {decided.map((a) => (
              <li key={a.id} data-approval-id={a.id}>
                <CrmBadge status={a.status} /> <strong>{a.title}</strong>
                {a.comment ? <span className="muted"> “{a.comment}”</span> : null}
                {a.runId ? (
                  <span className="small">
                    {" "}
                    · run <RunLink id={a.runId} /> <LiveRunStatus runId={a.runId} />
                  </span>
                ) : null}
              </li>
            ))}
          </ul>
        </Section>
      ) : null}

      <ErrorNote error={list.error} />
      <h2 className="sr-only">
        {status === "all" ? "All approvals" : `${status[0]?.toUpperCase()}${status.slice(1)} approvals`}
      </h2>
      {rows.map((a) => (
        <ApprovalCard
          key={a.id}
          approval={a}
          onDecided={(d) => {
            setDecided((all) => [d, ...all.filter((x) => x.id !== d.id)]);
            list.reload();
          }}
        />
      ))}
      {list.data && rows.length === 0 ? (
        <div className="card">
          <p className="muted">
            {status === "pending" ? "Nothing waits for a decision." : "No approvals match."}
          </p>
        </div>
      ) : null}
    </>
  );
}

/** A run's status as it changes (realtime), e.g. WAITING then COMPLETED once decided. */
function LiveRunStatus({ runId }: { runId: string }) {
  const { run } = useRealtimeRun(runId);
  return run ? (
    <span className="live-run-status" data-run-status={run.status} aria-live="polite">
      <StatusBadge status={run.status} />
    </span>
  ) : null;
}

function ApprovalCard({ approval: a, onDecided }: { approval: Approval; onDecided: (a: Approval) => void }) {
  const [comment, setComment] = useState("");
  const decide = useAction(async (approve: boolean) => {
    const { approval } = await api<{ approval: Approval }>(
      `/api/v1/app/approvals/${encodeURIComponent(a.id)}/${approve ? "approve" : "reject"}`,
      { body: comment.trim() ? { comment: comment.trim() } : {} },
    );
    onDecided(approval);
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void decide.run(true);
  };
  const headingId = `approval-${a.id}-heading`;
  return (
    <article className="card" aria-labelledby={headingId} data-approval-id={a.id} data-status={a.status}>
      <div className="row">
        <h3 id={headingId} style={{ margin: 0 }}>
          {a.title}
        </h3>
        <CrmBadge status={a.status} />
      </div>
      {a.description ? <p>{a.description}</p> : null}
      <p className="muted small">
        {a.type} <span className="mono">{a.entityId}</span>
        {a.requestedBy ? ` · requested by ${a.requestedBy}` : ""} · {relative(a.createdAt)}
        {a.expiresAt && a.status === "pending"
          ? ` · expires ${relative(a.expiresAt)} (${formatDate(a.expiresAt)})`
          : ""}
        {a.runId ? (
          <>
            {" "}
            · run <RunLink id={a.runId} />
          </>
        ) : null}
      </p>
      {a.status === "pending" ? (
        <form onSubmit={submit} aria-label={`Decide: ${a.title}`}>
          <label className="field">
            <span>Comment (optional)</span>
            <textarea
              className="crm-comment"
              rows={2}
              value={comment}
              onChange={(e) => setComment(e.target.value)}
            />
          </label>
          <ErrorNote error={decide.error} />
          <div className="row" style={{ marginTop: "0.5rem" }}>
            <button type="submit" className="button primary" disabled={decide.busy}>
              Approve
            </button>
            <button
              type="button"
              className="button danger"
              disabled={decide.busy}
              onClick={() => decide.run(false)}
            >
              Reject
            </button>
          </div>
        </form>
      ) : (
        <p className="small">
          {a.status === "expired"
            ? "Expired"
            : `${a.status[0]?.toUpperCase()}${a.status.slice(1)} by ${a.decidedBy ?? "–"}`}
          {a.decidedAt ? ` ${relative(a.decidedAt)}` : ""}
          {a.comment ? `: “${a.comment}”` : ""}
        </p>
      )}
    </article>
  );
}
