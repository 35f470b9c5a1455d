import { useMemo, useState } from "react";
import { Link } from "react-router-dom";
import { TimeChart } from "../components/Chart.js";
import { QueueDepthChart } from "../components/QueueDepth.js";
import { ErrorNote, PageHeader, RunLink, Section, StatusBadge } from "../components/ui.js";
import { relative } from "../format.js";
import { useApi } from "../hooks.js";
import type { ListedRun, Page, QueueInfo, RunStatus } from "../types.js";

interface PerMinute {
  from: string;
  to: string;
  data: Array<{ minute: string; status: RunStatus; count: number }>;
}

/** Statuses drawn together: one line each reads better than eleven. */
const GROUPS: Array<{ label: string; color: string; statuses: RunStatus[] }> = [
  { label: "completed", color: "#16a34a", statuses: ["COMPLETED"] },
  {
    label: "failed",
    color: "#dc2626",
    statuses: ["FAILED", "CRASHED", "SYSTEM_FAILURE", "TIMED_OUT", "EXPIRED"],
  },
  { label: "canceled", color: "#6b7280", statuses: ["CANCELED"] },
  { label: "in progress", color: "#2563eb", statuses: ["DELAYED", "QUEUED", "EXECUTING", "WAITING"] },
];
const FAILED = "FAILED,CRASHED,SYSTEM_FAILURE,TIMED_OUT";

export function OverviewPage() {
  const perMinute = useApi<PerMinute>("/api/v1/dashboard/stats/runs-per-minute?minutes=60", 10_000);
  const queues = useApi<{ data: QueueInfo[] }>("/api/v1/dashboard/queues", 2000);
  // The last day's: a time bound keeps this poll from reading every run when failures are rare.
  const [since] = useState(() => Date.now() - 86_400_000);
  const failures = useApi<Page<ListedRun>>(
    `/api/v1/runs?filter[status]=${FAILED}&filter[createdAt][from]=${since}&page[size]=8`,
    10_000,
  );

  const chart = useMemo(() => {
    if (!perMinute.data) return undefined;
    const start = Date.parse(perMinute.data.from);
    const end = Date.parse(perMinute.data.to);
    const times: number[] = [];
    for (let t = start; t < end; t += 60_000) times.push(t / 1000);
    const index = new Map(times.map((t, i) => [t * 1000, i]));
    const series = GROUPS.map((g) => ({
      label: g.label,
      color: g.color,
      values: times.map(() => 0) as Array<number | null>,
    }));
    const totals = GROUPS.map(() => 0);
    for (const row of perMinute.data.data) {
      const i = index.get(Date.parse(row.minute));
      const g = GROUPS.findIndex((x) => x.statuses.includes(row.status));
      if (i === undefined || g < 0) continue;
      (series[g]!.values[i] as number) += row.count;
      totals[g]! += row.count;
    }
    return { times, series, totals };
  }, [perMinute.data]);

  const q = queues.data?.data ?? [];
  const sum = (f: (x: QueueInfo) => number) => q.reduce((n, x) => n + f(x), 0);

  return (
    <>
      <PageHeader title="Overview" />
      <ul className="stats" aria-label="Last hour">
        {chart
          ? GROUPS.map((g, i) => (
              <li className="stat card" key={g.label}>
                <span className="stat-value" style={{ color: g.color }}>
                  {chart.totals[i]}
                </span>
                <span className="stat-label">{g.label}, last hour</span>
              </li>
            ))
          : null}
        <li className="stat card">
          <span className="stat-value">{sum((x) => x.queued)}</span>
          <span className="stat-label">queued now</span>
        </li>
        <li className="stat card">
          <span className="stat-value">{sum((x) => x.running)}</span>
          <span className="stat-label">running now</span>
        </li>
      </ul>
      <ErrorNote error={perMinute.error ?? queues.error} />
      <div className="grid-2">
        <Section title="Runs per minute">
          {chart ? (
            <TimeChart
              times={chart.times}
              series={chart.series}
              bars={false}
              summary={`Runs created per minute over the last hour: ${GROUPS.map((g, i) => `${chart.totals[i]} ${g.label}`).join(", ")}`}
            />
          ) : (
            <p className="muted">Loading…</p>
          )}
        </Section>
        <Section title="Queue depth">
          <QueueDepthChart queues={queues.data?.data} />
          <p className="muted small">
            Sampled every 2 s while this page is open. <Link to="/queues">All queues</Link>
          </p>
        </Section>
      </div>
      <div className="grid-2">
        <Section title="Busiest queues">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Queue</th>
                <th scope="col">Running</th>
                <th scope="col">Queued</th>
                <th scope="col">Waiting</th>
              </tr>
            </thead>
            <tbody>
              {[...q]
                .sort((a, b) => b.queued + b.running + b.waiting - (a.queued + a.running + a.waiting))
                .slice(0, 6)
                .map((x) => (
                  <tr key={x.name}>
                    <td className="mono small">
                      {x.name}
                      {x.paused ? <span className="badge badge-wait">paused</span> : null}
                    </td>
                    <td>{x.running}</td>
                    <td>{x.queued}</td>
                    <td>{x.waiting}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </Section>
        <Section title="Recent failures">
          {failures.data?.data.length ? (
            <ul className="plain">
              {failures.data.data.map((r) => (
                <li key={r.id}>
                  <StatusBadge status={r.status} /> {r.taskIdentifier} <RunLink id={r.id} />{" "}
                  <span className="muted small">{relative(r.createdAt)}</span>
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">No failed runs.</p>
          )}
          <Link to={`/runs?status=${FAILED}`}>All failed runs</Link>
        </Section>
      </div>
    </>
  );
}
