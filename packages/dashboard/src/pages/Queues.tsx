import { Fragment, useState } from "react";
import { Link } from "react-router-dom";
import { api } from "../api.js";
import { QueueDepthChart } from "../components/QueueDepth.js";
import { ErrorNote, PageHeader, Section } from "../components/ui.js";
import { useAction, useApi } from "../hooks.js";
import type { QueueInfo, QueueKey } from "../types.js";

const POLL_MS = 2000;

function Keys({ queue }: { queue: string }) {
  const keys = useApi<{ data: QueueKey[] }>(
    `/api/v1/dashboard/queues/${encodeURIComponent(queue)}/keys`,
    POLL_MS,
  );
  if (keys.error) return <ErrorNote error={keys.error} />;
  const rows = keys.data?.data ?? [];
  if (rows.length === 0)
    return <p className="muted small">{keys.data ? "No key has runs right now." : "Loading…"}</p>;
  return (
    <table className="table inner">
      <caption className="sr-only">Concurrency keys of {queue}</caption>
      <thead>
        <tr>
          <th scope="col">Concurrency key</th>
          <th scope="col">Running</th>
          <th scope="col">Queued</th>
          <th scope="col">Waiting</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((k) => (
          <tr key={k.key}>
            <td className="mono">{k.key || "(none)"}</td>
            <td>{k.running}</td>
            <td>{k.queued}</td>
            <td>{k.waiting}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Every queue, live: running / queued / waiting, per key on demand, pause and resume. */
export function QueuesPage() {
  const queues = useApi<{ data: QueueInfo[] }>("/api/v1/dashboard/queues", POLL_MS);
  const [open, setOpen] = useState<Set<string>>(new Set());
  const toggle = useAction(async (q: QueueInfo) => {
    await api(`/api/v1/dashboard/queues/${encodeURIComponent(q.name)}/${q.paused ? "resume" : "pause"}`, {
      body: {},
    });
    queues.reload();
  });
  const rows = queues.data?.data ?? [];

  return (
    <>
      <PageHeader title="Queues" />
      <Section title="Depth">
        <QueueDepthChart queues={queues.data?.data} />
      </Section>
      <ErrorNote error={queues.error ?? toggle.error} />
      <div className="table-wrap card flush">
        <table className="table">
          <caption className="sr-only">Queues with live counts</caption>
          <thead>
            <tr>
              <th scope="col">Queue</th>
              <th scope="col">Limit</th>
              <th scope="col">Running</th>
              <th scope="col">Queued</th>
              <th scope="col">Waiting</th>
              <th scope="col" className="hide-sm">
                Keys
              </th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((q) => (
              <Fragment key={q.name}>
                <tr data-queue={q.name}>
                  <td>
                    <button
                      type="button"
                      className="disclosure mono"
                      aria-expanded={open.has(q.name)}
                      onClick={() => {
                        const next = new Set(open);
                        if (!next.delete(q.name)) next.add(q.name);
                        setOpen(next);
                      }}
                    >
                      {q.name}
                    </button>
                  </td>
                  <td>
                    {q.concurrencyLimit ?? "∞"}
                    {q.totalConcurrencyLimit ? ` (total ${q.totalConcurrencyLimit})` : ""}
                  </td>
                  <td data-count="running">{q.running}</td>
                  <td data-count="queued">
                    <Link to={`/runs?queue=${encodeURIComponent(q.name)}&status=QUEUED`}>{q.queued}</Link>
                  </td>
                  <td data-count="waiting">{q.waiting}</td>
                  <td className="hide-sm">{q.keys}</td>
                  <td>
                    <button
                      type="button"
                      className={`button small ${q.paused ? "primary" : ""}`}
                      disabled={toggle.busy}
                      onClick={() => toggle.run(q)}
                      aria-label={`${q.paused ? "Resume" : "Pause"} queue ${q.name}`}
                    >
                      {q.paused ? "Resume" : "Pause"}
                    </button>
                    {q.paused ? <span className="badge badge-wait">paused</span> : null}
                  </td>
                </tr>
                {open.has(q.name) ? (
                  <tr className="subrow">
                    <td colSpan={7}>
                      <Keys queue={q.name} />
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
