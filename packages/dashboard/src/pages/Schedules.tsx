import { type FormEvent, useEffect, useMemo, useState } from "react";
import { api } from "../api.js";
import { ErrorNote, PageHeader, Section } from "../components/ui.js";
import { formatDate, relative } from "../format.js";
import { useAction, useApi, useDebounced } from "../hooks.js";
import type { Schedule, TaskInfo } from "../types.js";

interface SchedulePage {
  data: Schedule[];
  pagination: { currentPage: number; totalPages: number; count: number };
}

interface Preview {
  valid: boolean;
  error?: string;
  cron: string;
  timezone: string;
  description: string;
  nextRuns: string[];
}

const timeZones = (): string[] => {
  try {
    return (Intl as unknown as { supportedValuesOf(k: string): string[] }).supportedValuesOf("timeZone");
  } catch {
    return ["UTC"];
  }
};

/** Create or edit an imperative schedule; the cron is checked by the server as you type. */
function ScheduleForm({
  tasks,
  editing,
  onDone,
}: {
  tasks: TaskInfo[];
  editing?: Schedule;
  onDone: () => void;
}) {
  const [task, setTask] = useState(editing?.task ?? tasks[0]?.id ?? "");
  const [cron, setCron] = useState(editing?.generator.expression ?? "0 * * * *");
  const [timezone, setTimezone] = useState(editing?.timezone ?? "UTC");
  const [externalId, setExternalId] = useState(editing?.externalId ?? "");
  const [dedup, setDedup] = useState(editing?.deduplicationKey ?? "");
  const [preview, setPreview] = useState<Preview>();
  const [previewError, setPreviewError] = useState<Error>();
  const zones = useMemo(timeZones, []);
  const checked = useDebounced(`${cron}\u0000${timezone}`, 250);

  useEffect(() => {
    const [c, tz] = checked.split("\u0000");
    const controller = new AbortController();
    api<Preview>("/api/v1/dashboard/schedules/preview", {
      body: { cron: c, timezone: tz },
      signal: controller.signal,
    })
      .then((p) => {
        setPreview(p.valid ? p : undefined);
        setPreviewError(p.valid ? undefined : new Error(p.error));
      })
      .catch((e: Error) => {
        if (controller.signal.aborted) return;
        setPreview(undefined);
        setPreviewError(e);
      });
    return () => controller.abort();
  }, [checked]);

  const save = useAction(async () => {
    const body = { task, cron, timezone, externalId: externalId || undefined };
    if (editing) await api(`/api/v1/schedules/${editing.id}`, { method: "PUT", body });
    else
      await api("/api/v1/schedules", {
        body: { ...body, deduplicationKey: dedup || `${task}:${cron}:${timezone}` },
      });
    onDone();
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void save.run();
  };

  return (
    <form className="card stack" onSubmit={submit} aria-label={editing ? "Edit schedule" : "New schedule"}>
      <h2>{editing ? `Edit ${editing.id}` : "New schedule"}</h2>
      <div className="filter-row">
        <label className="field">
          <span>Task (defined with schedules.task)</span>
          <select value={task} onChange={(e) => setTask(e.target.value)} required>
            {tasks.map((t) => (
              <option key={t.id} value={t.id}>
                {t.id}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Cron pattern</span>
          <input
            name="cron"
            className="mono"
            value={cron}
            onChange={(e) => setCron(e.target.value)}
            aria-invalid={previewError !== undefined}
            aria-describedby="cron-preview"
            required
          />
        </label>
        <label className="field">
          <span>Time zone</span>
          <select name="timezone" value={timezone} onChange={(e) => setTimezone(e.target.value)}>
            {zones.includes("UTC") ? null : <option value="UTC">UTC</option>}
            {zones.map((z) => (
              <option key={z} value={z}>
                {z}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>External id (optional)</span>
          <input value={externalId} onChange={(e) => setExternalId(e.target.value)} />
        </label>
        {editing ? null : (
          <label className="field">
            <span>Deduplication key (optional)</span>
            <input value={dedup} onChange={(e) => setDedup(e.target.value)} />
          </label>
        )}
      </div>
      <div id="cron-preview" aria-live="polite">
        {previewError ? (
          <p className="error-note">{previewError.message}</p>
        ) : preview ? (
          <p className="ok-note">
            {preview.description} ({preview.timezone}). Next:{" "}
            {preview.nextRuns
              .slice(0, 3)
              .map((d) => formatDate(d))
              .join(", ")}
          </p>
        ) : null}
      </div>
      <ErrorNote error={save.error} />
      <div className="row">
        <button
          className="button primary"
          type="submit"
          disabled={save.busy || previewError !== undefined || !task}
        >
          {editing ? "Save" : "Create schedule"}
        </button>
        <button className="button ghost" type="button" onClick={onDone}>
          Close
        </button>
      </div>
    </form>
  );
}

/** Cron schedules: next runs, enable/disable, create/edit/delete (imperative ones). */
export function SchedulesPage() {
  const [page, setPage] = useState(1);
  const schedules = useApi<SchedulePage>(`/api/v1/schedules?page=${page}&perPage=25`, 5000);
  const tasks = useApi<{ data: TaskInfo[] }>("/api/v1/dashboard/tasks");
  const scheduledTasks = (tasks.data?.data ?? []).filter((t) => t.scheduled);
  const [form, setForm] = useState<{ editing?: Schedule } | undefined>();
  const act = useAction(async (path: string, method: string = "POST") => {
    await api<unknown>(path, { method, body: method === "DELETE" ? undefined : {} });
    schedules.reload();
  });
  const rows = schedules.data?.data ?? [];

  return (
    <>
      <PageHeader title="Schedules">
        <button
          type="button"
          className="button primary"
          disabled={scheduledTasks.length === 0}
          onClick={() => setForm({})}
        >
          New schedule
        </button>
      </PageHeader>
      {form ? (
        <ScheduleForm
          key={form.editing?.id ?? "new"}
          tasks={scheduledTasks}
          editing={form.editing}
          onDone={() => {
            setForm(undefined);
            schedules.reload();
          }}
        />
      ) : null}
      <ErrorNote error={schedules.error ?? act.error} />
      <div className="table-wrap card flush">
        <table className="table">
          <caption className="sr-only">Schedules</caption>
          <thead>
            <tr>
              <th scope="col">Task</th>
              <th scope="col">Cron</th>
              <th scope="col">Next run</th>
              <th scope="col" className="hide-sm">
                Type
              </th>
              <th scope="col">Active</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((s) => (
              <tr key={s.id} data-schedule-id={s.id}>
                <td>
                  {s.task}
                  {s.externalId ? <div className="muted small">{s.externalId}</div> : null}
                </td>
                <td>
                  <span className="mono">{s.generator.expression}</span>
                  <div className="muted small">
                    {s.generator.description} · {s.timezone}
                  </div>
                </td>
                <td title={formatDate(s.nextRun)}>{s.nextRun ? relative(s.nextRun) : "–"}</td>
                <td className="hide-sm">{s.type.toLowerCase()}</td>
                <td>
                  <label className="switch">
                    <input
                      type="checkbox"
                      checked={s.active}
                      disabled={act.busy}
                      onChange={() =>
                        act.run(`/api/v1/schedules/${s.id}/${s.active ? "deactivate" : "activate"}`)
                      }
                    />
                    <span className="sr-only">
                      Active: {s.task} {s.generator.expression}
                    </span>
                  </label>
                </td>
                <td className="actions">
                  {s.type === "IMPERATIVE" ? (
                    <>
                      <button
                        type="button"
                        className="button ghost small"
                        onClick={() => setForm({ editing: s })}
                      >
                        Edit
                      </button>
                      <button
                        type="button"
                        className="button ghost small"
                        onClick={() => act.run(`/api/v1/schedules/${s.id}`, "DELETE")}
                      >
                        Delete
                      </button>
                    </>
                  ) : (
                    <span className="muted small">in code</span>
                  )}
                </td>
              </tr>
            ))}
            {schedules.data && rows.length === 0 ? (
              <tr>
                <td colSpan={6} className="empty">
                  No schedules.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      {schedules.data && schedules.data.pagination.totalPages > 1 ? (
        <nav className="pager" aria-label="Pages">
          <button type="button" className="button" disabled={page <= 1} onClick={() => setPage(page - 1)}>
            ← Previous
          </button>
          <span className="muted">
            Page {page} of {schedules.data.pagination.totalPages}
          </span>
          <button
            type="button"
            className="button"
            disabled={page >= schedules.data.pagination.totalPages}
            onClick={() => setPage(page + 1)}
          >
            Next →
          </button>
        </nav>
      ) : null}
      {scheduledTasks.length === 0 && tasks.data ? (
        <Section title="No scheduled tasks">
          <p>Define a task with schedules.task() to schedule it here.</p>
        </Section>
      ) : null}
    </>
  );
}
