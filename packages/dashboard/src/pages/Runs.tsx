import { useEffect, useMemo, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { api, query } from "../api.js";
import { ErrorNote, PageHeader, RunLink, StatusBadge, Tags } from "../components/ui.js";
import { formatDate, formatDuration, relative } from "../format.js";
import { useAction, useApi, useDebounced } from "../hooks.js";
import {
  type ListedRun,
  type Page,
  type QueueInfo,
  RUN_STATUSES,
  type RunStatus,
  type TaskInfo,
} from "../types.js";

const PERIODS: Array<[string, string, number]> = [
  ["", "Any time", 0],
  ["15m", "Last 15 minutes", 15 * 60_000],
  ["1h", "Last hour", 3_600_000],
  ["24h", "Last 24 hours", 86_400_000],
  ["7d", "Last 7 days", 7 * 86_400_000],
];
const LIVE_MS = 2000;
const splitList = (v: string | null) =>
  (v ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

interface BulkResult {
  action: "cancel" | "replay";
  matched: number;
  succeeded: number;
  /** Runs a cancel left alone: they had already finished. */
  skipped: string[];
  failed: Array<{ id: string; error: string }>;
  more: boolean;
  /** The filter to send for the next runs (end time frozen, cursor) when more matched. */
  continue?: Record<string, unknown>;
}

/** Every run, newest first: filters in the URL, cursor pages, live refresh, bulk cancel and replay. */
export function RunsPage() {
  const [params, setParams] = useSearchParams();
  const statuses = splitList(params.get("status")) as RunStatus[];
  const task = params.get("task") ?? "";
  const queue = params.get("queue") ?? "";
  const period = params.get("period") ?? "";
  const rootOnly = params.get("root") === "1";
  const after = params.get("after") ?? undefined;
  const [tagText, setTagText] = useState(params.get("tags") ?? "");
  const tagsTyped = useDebounced(tagText, 300);
  const tags = splitList(params.get("tags"));
  const [live, setLive] = useState(true);
  const [history, setHistory] = useState<string[]>([]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [confirming, setConfirming] = useState<"cancel" | "replay">();
  const [bulkResult, setBulkResult] = useState<BulkResult>();

  const update = (changes: Record<string, string | undefined>, keepPage = false) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    if (!keepPage) {
      next.delete("after");
      setHistory([]);
    }
    setSelected(new Set());
    setParams(next, { replace: !keepPage });
  };

  // typed tags reach the URL (and the query) once typing pauses
  // biome-ignore lint/correctness/useExhaustiveDependencies: only typing triggers this
  useEffect(() => {
    const wanted = splitList(tagsTyped).join(",");
    if (wanted !== splitList(params.get("tags")).join(",")) update({ tags: wanted || undefined });
  }, [tagsTyped]);

  // the period is relative to when the filter was chosen, rounded so polling reuses the URL
  const from = useMemo(() => {
    const ms = PERIODS.find(([key]) => key === period)?.[2] ?? 0;
    return ms ? Math.floor((Date.now() - ms) / 10_000) * 10_000 : undefined;
  }, [period]);

  const filter = {
    "filter[status]": statuses,
    "filter[taskIdentifier]": task || undefined,
    "filter[tag]": tags,
    "filter[queue]": queue || undefined,
    "filter[createdAt][from]": from,
    "filter[rootOnly]": rootOnly ? "true" : undefined,
  };
  const path = `/api/v1/runs${query({ ...filter, "page[size]": 25, "page[after]": after })}`;
  const runs = useApi<Page<ListedRun>>(path, live && !after ? LIVE_MS : undefined);
  const tasks = useApi<{ data: TaskInfo[] }>("/api/v1/dashboard/tasks");
  const queues = useApi<{ data: QueueInfo[] }>("/api/v1/dashboard/queues");

  const bulk = useAction(
    async (action: "cancel" | "replay", ids?: string[], next?: Record<string, unknown>) => {
      const body = ids
        ? { action, runIds: ids }
        : next
          ? { action, filter: next }
          : {
              action,
              filter: {
                status: statuses.length ? statuses : undefined,
                taskIdentifier: task || undefined,
                tag: tags.length ? tags : undefined,
                queue: queue || undefined,
                from,
                rootOnly: rootOnly || undefined,
              },
            };
      const result = await api<BulkResult>("/api/v1/dashboard/runs/bulk", { body });
      setBulkResult(result);
      setSelected(new Set());
      setConfirming(undefined);
      runs.reload();
    },
  );

  const toggleStatus = (s: RunStatus) =>
    update({
      status:
        (statuses.includes(s) ? statuses.filter((x) => x !== s) : [...statuses, s]).join(",") || undefined,
    });
  const rows = runs.data?.data ?? [];
  const allSelected = rows.length > 0 && rows.every((r) => selected.has(r.id));
  const filtered = statuses.length + tags.length > 0 || task || queue || period || rootOnly;

  return (
    <>
      <PageHeader title="Runs">
        <label className="switch">
          <input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} />
          Live updates
        </label>
        <Link className="button" to="/test">
          Trigger a test run
        </Link>
      </PageHeader>

      <form className="card filters" aria-label="Filter runs" onSubmit={(e) => e.preventDefault()}>
        <fieldset className="chips">
          <legend>Status</legend>
          {RUN_STATUSES.map((s) => (
            <label key={s} className={`chip${statuses.includes(s) ? " on" : ""}`}>
              <input type="checkbox" checked={statuses.includes(s)} onChange={() => toggleStatus(s)} />
              {s.replace("_", " ").toLowerCase()}
            </label>
          ))}
        </fieldset>
        <div className="filter-row">
          <label className="field">
            <span>Task</span>
            <select value={task} onChange={(e) => update({ task: e.target.value || undefined })}>
              <option value="">All tasks</option>
              {tasks.data?.data.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.id}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Tags (any of, comma-separated)</span>
            <input
              type="search"
              name="tags"
              value={tagText}
              placeholder="workspace:w_1, user:42"
              onChange={(e) => setTagText(e.target.value)}
            />
          </label>
          <label className="field">
            <span>Queue</span>
            <select value={queue} onChange={(e) => update({ queue: e.target.value || undefined })}>
              <option value="">All queues</option>
              {queues.data?.data.map((q) => (
                <option key={q.name} value={q.name}>
                  {q.name}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Created</span>
            <select value={period} onChange={(e) => update({ period: e.target.value || undefined })}>
              {PERIODS.map(([key, label]) => (
                <option key={key} value={key}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <label className="switch">
            <input
              type="checkbox"
              checked={rootOnly}
              onChange={(e) => update({ root: e.target.checked ? "1" : undefined })}
            />
            Root runs only
          </label>
          {filtered ? (
            <button
              type="button"
              className="button ghost"
              onClick={() => {
                setTagText("");
                setParams(new URLSearchParams(), { replace: true });
              }}
            >
              Clear filters
            </button>
          ) : null}
        </div>
      </form>

      <section className="bulkbar" aria-label="Bulk actions">
        {selected.size > 0 ? (
          <>
            <span>{selected.size} selected</span>
            <button
              type="button"
              className="button"
              disabled={bulk.busy}
              onClick={() => bulk.run("cancel", [...selected])}
            >
              Cancel selected
            </button>
            <button
              type="button"
              className="button"
              disabled={bulk.busy}
              onClick={() => bulk.run("replay", [...selected])}
            >
              Replay selected
            </button>
          </>
        ) : confirming ? (
          <>
            <span role="status">
              {confirming === "cancel" ? "Cancel" : "Replay"} every run matching these filters (up to 500)?
            </span>
            <button
              type="button"
              className="button danger"
              disabled={bulk.busy}
              onClick={() => bulk.run(confirming)}
            >
              Yes, {confirming} them
            </button>
            <button type="button" className="button ghost" onClick={() => setConfirming(undefined)}>
              No
            </button>
          </>
        ) : (
          <>
            <button type="button" className="button ghost" onClick={() => setConfirming("cancel")}>
              Cancel all matching…
            </button>
            <button type="button" className="button ghost" onClick={() => setConfirming("replay")}>
              Replay all matching…
            </button>
          </>
        )}
        {bulkResult ? (
          <span className="muted" role="status">
            {bulkResult.action === "cancel" ? "Canceled" : "Replayed"} {bulkResult.succeeded} of{" "}
            {bulkResult.matched}
            {bulkResult.skipped?.length ? `, ${bulkResult.skipped.length} had already finished` : ""}
            {bulkResult.failed.length ? `, ${bulkResult.failed.length} failed` : ""}
            {bulkResult.more ? "; more matched" : ""}
          </span>
        ) : null}
        {bulkResult?.more && bulkResult.continue ? (
          <button
            type="button"
            className="button ghost"
            disabled={bulk.busy}
            onClick={() => bulk.run(bulkResult.action, undefined, bulkResult.continue)}
          >
            {bulkResult.action === "cancel" ? "Cancel" : "Replay"} the next ones
          </button>
        ) : null}
        <ErrorNote error={bulk.error} />
      </section>

      <ErrorNote error={runs.error} />
      <div className="table-wrap card flush">
        <table className="table" aria-busy={runs.loading && !runs.data}>
          <caption className="sr-only">Runs, newest first</caption>
          <thead>
            <tr>
              <th scope="col" className="check">
                <input
                  type="checkbox"
                  aria-label="Select all runs on this page"
                  checked={allSelected}
                  onChange={() => setSelected(allSelected ? new Set() : new Set(rows.map((r) => r.id)))}
                />
              </th>
              <th scope="col">Run</th>
              <th scope="col">Task</th>
              <th scope="col">Status</th>
              <th scope="col">Tags</th>
              <th scope="col" className="hide-sm">
                Queue
              </th>
              <th scope="col">Created</th>
              <th scope="col" className="hide-sm">
                Duration
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((run) => (
              <tr key={run.id} data-run-id={run.id} data-status={run.status}>
                <td className="check">
                  <input
                    type="checkbox"
                    aria-label={`Select run ${run.id}`}
                    checked={selected.has(run.id)}
                    onChange={() => {
                      const next = new Set(selected);
                      if (!next.delete(run.id)) next.add(run.id);
                      setSelected(next);
                    }}
                  />
                </td>
                <td>
                  <RunLink id={run.id} />
                  {run.depth > 0 ? <span className="muted small"> child</span> : null}
                </td>
                <td>{run.taskIdentifier}</td>
                <td>
                  <StatusBadge status={run.status} />
                </td>
                <td>
                  <Tags tags={run.tags} />
                </td>
                <td className="hide-sm mono small">{run.queue}</td>
                <td title={formatDate(run.createdAt)}>{relative(run.createdAt)}</td>
                <td className="hide-sm">
                  {run.startedAt
                    ? formatDuration(
                        (run.finishedAt ? Date.parse(run.finishedAt) : Date.now()) -
                          Date.parse(run.startedAt),
                      )
                    : "–"}
                </td>
              </tr>
            ))}
            {runs.data && rows.length === 0 ? (
              <tr>
                <td colSpan={8} className="empty">
                  No runs match.
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
          onClick={() => {
            const prev = history.slice(0, -1);
            setHistory(prev);
            update({ after: history.at(-1) || undefined }, true);
          }}
        >
          ← Newer
        </button>
        <button
          type="button"
          className="button"
          disabled={!runs.data?.pagination.next}
          onClick={() => {
            setHistory([...history, after ?? ""]);
            update({ after: runs.data?.pagination.next }, true);
          }}
        >
          Older →
        </button>
        {after ? <span className="muted small">Live updates show on the first page</span> : null}
      </nav>
    </>
  );
}
