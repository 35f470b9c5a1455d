import type { ReactNode } from "react";
import { Link } from "react-router-dom";
import { ApiError } from "../api.js";
import { pretty } from "../format.js";
import type { RunStatus } from "../types.js";

const STATUS_TONE: Record<string, string> = {
  COMPLETED: "ok",
  FAILED: "bad",
  CRASHED: "bad",
  SYSTEM_FAILURE: "bad",
  TIMED_OUT: "bad",
  EXPIRED: "muted",
  CANCELED: "muted",
  EXECUTING: "live",
  WAITING: "wait",
  QUEUED: "queued",
  DELAYED: "queued",
  TIMED_OUT_TOKEN: "bad",
};

/** A run, token or attempt status as a colored pill (the text is the status: no color-only meaning). */
export function StatusBadge({ status }: { status: RunStatus | string }) {
  return <span className={`badge badge-${STATUS_TONE[status] ?? "muted"}`}>{status.replace("_", " ")}</span>;
}

export function RunLink({ id }: { id: string }) {
  return (
    <Link className="mono" to={`/runs/${id}`}>
      {id}
    </Link>
  );
}

export function Tags({ tags }: { tags: string[] }) {
  if (tags.length === 0) return <span className="muted">–</span>;
  return (
    <span className="tags">
      {tags.map((t) => (
        <span key={t} className="tag">
          {t}
        </span>
      ))}
    </span>
  );
}

/** JSON (or text) in a scrollable, labelled block. */
export function Code({ value, label, empty = "none" }: { value: unknown; label: string; empty?: string }) {
  const text = pretty(value);
  return text ? (
    <pre className="code" title={label}>
      {text}
    </pre>
  ) : (
    <p className="muted">{empty}</p>
  );
}

export function ErrorNote({ error }: { error: Error | undefined }) {
  if (!error) return null;
  return (
    <p className="error-note" role="alert">
      {error instanceof ApiError ? <strong>{error.code}: </strong> : null}
      {error.message}
    </p>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <header className="page-header">
      <h1>{title}</h1>
      {children ? <div className="page-actions">{children}</div> : null}
    </header>
  );
}

export function Section({ title, children, id }: { title: string; children: ReactNode; id?: string }) {
  const headingId = `${id ?? title.toLowerCase().replace(/\W+/g, "-")}-heading`;
  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>{title}</h2>
      {children}
    </section>
  );
}

/** Label/value pairs. */
export function Facts({ items }: { items: Record<string, ReactNode> }) {
  return (
    <dl className="facts">
      {Object.entries(items).map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v ?? "–"}</dd>
        </div>
      ))}
    </dl>
  );
}
