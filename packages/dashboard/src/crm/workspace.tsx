import { type ReactNode, useEffect } from "react";
import { useNavigate, useSearchParams } from "react-router-dom";
import { ErrorNote, PageHeader } from "../components/ui.js";
import { useApi } from "../hooks.js";
import type { Workspace } from "./types.js";
import "./crm.css";

/**
 * The CRM pages read one workspace, kept in the URL as `?ws=<id>` (so a link or a reload shows
 * the same workspace) and remembered in localStorage for the navigation's links, which carry none.
 */
const REMEMBERED = "mainspring.crm.workspace";

function remembered(): string | null {
  try {
    return localStorage.getItem(REMEMBERED);
  } catch {
    return null;
  }
}

/** `/api/v1/app/workspaces/<ws><rest>`. */
export function wsApi(workspaceId: string, rest: string): string {
  return `/api/v1/app/workspaces/${encodeURIComponent(workspaceId)}${rest}`;
}

/** A dashboard link within the workspace: `/crm/leads/x?ws=<id>`. */
export function wsLink(path: string, workspaceId: string): string {
  return `${path}${path.includes("?") ? "&" : "?"}ws=${encodeURIComponent(workspaceId)}`;
}

/**
 * The workspace of the page: `?ws=`, else the remembered one, else the first. `onChange` (when
 * given) is where switching workspace goes, e.g. a detail page back to its list.
 */
export function useWorkspace() {
  const [params, setParams] = useSearchParams();
  const workspaces = useApi<{ data: Workspace[] }>("/api/v1/app/workspaces");
  const list = workspaces.data?.data;
  const inUrl = params.get("ws");
  const fallback = list?.find((w) => w.id === remembered())?.id ?? list?.[0]?.id;
  const workspaceId = inUrl ?? fallback;

  // a page opened without ?ws= gets one (replacing the history entry, so Back still works)
  useEffect(() => {
    if (inUrl || !fallback) return;
    const next = new URLSearchParams(params);
    next.set("ws", fallback);
    setParams(next, { replace: true });
  }, [inUrl, fallback, params, setParams]);

  useEffect(() => {
    if (!workspaceId) return;
    try {
      localStorage.setItem(REMEMBERED, workspaceId);
    } catch {
      // private mode: the URL still carries it
    }
  }, [workspaceId]);

  return {
    workspaceId,
    workspace: list?.find((w) => w.id === workspaceId),
    workspaces: list,
    error: workspaces.error,
    loaded: workspaces.data !== undefined,
  };
}

/** The workspace picker: a labelled select. */
export function WorkspacePicker({
  workspaces,
  value,
  onChange,
}: {
  workspaces: Workspace[] | undefined;
  value: string | undefined;
  onChange: (id: string) => void;
}) {
  return (
    <label className="field">
      <span>Workspace</span>
      <select value={value ?? ""} onChange={(e) => onChange(e.target.value)} disabled={!workspaces}>
        {value && !workspaces?.some((w) => w.id === value) ? <option value={value}>{value}</option> : null}
        {workspaces?.map((w) => (
          <option key={w.id} value={w.id}>
            {w.name} ({w.tier})
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * A CRM page's frame: the heading with the workspace picker, then the page for the chosen
 * workspace. Switching workspace goes to `listPath` in the new workspace (detail pages pass their
 * list; list pages keep only ?ws=).
 */
export function CrmPage({
  title,
  listPath,
  actions,
  children,
}: {
  title: string;
  listPath: string;
  actions?: ReactNode;
  children: (workspaceId: string) => ReactNode;
}) {
  const { workspaceId, workspaces, error, loaded } = useWorkspace();
  const navigate = useNavigate();
  return (
    <>
      <PageHeader title={title}>
        {actions}
        <WorkspacePicker
          workspaces={workspaces}
          value={workspaceId}
          onChange={(id) => navigate(wsLink(listPath, id))}
        />
      </PageHeader>
      <ErrorNote error={error} />
      {loaded && !workspaceId ? (
        <div className="card">
          <p>
            No CRM workspace yet. Create one with <code className="mono">npm run crm</code>, or start on an
            empty embedded store to get the demo workspaces.
          </p>
        </div>
      ) : null}
      {workspaceId ? children(workspaceId) : null}
    </>
  );
}

const TONES: Record<string, string> = {
  // campaigns
  draft: "muted",
  scheduled: "queued",
  awaiting_approval: "wait",
  sending: "live",
  paused: "wait",
  sent: "ok",
  failed: "bad",
  canceled: "muted",
  // ledger rows
  pending: "queued",
  suppressed: "muted",
  skipped: "muted",
  unknown: "wait",
  // documents
  indexed: "ok",
  indexing: "live",
  // approvals
  approved: "ok",
  rejected: "bad",
  expired: "muted",
  // agents and executions
  active: "ok",
  error: "bad",
  running: "live",
  waiting_approval: "wait",
  completed: "ok",
};

/** A CRM status as a colored pill; the text is the status (no color-only meaning). */
export function CrmBadge({ status }: { status: string }) {
  return <span className={`badge badge-${TONES[status] ?? "muted"}`}>{status.replaceAll("_", " ")}</span>;
}

export function personName(p: { firstName: string | null; lastName: string | null; email: string | null }) {
  return [p.firstName, p.lastName].filter(Boolean).join(" ") || p.email || "(no name)";
}
