import { useRealtimeRun } from "@mainspring/react";
import { type FormEvent, useEffect, useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { api } from "../api.js";
import { RunLogs } from "../components/RunLogs.js";
import { STREAMS_OPEN_AT_FIRST, StreamView } from "../components/StreamView.js";
import { Code, ErrorNote, Facts, PageHeader, RunLink, Section, StatusBadge, Tags } from "../components/ui.js";
import { formatDate, formatDuration, pretty } from "../format.js";
import { useAction, useApi } from "../hooks.js";
import { FINAL_STATUSES, type RunDetail, type RunStatus, type TimelineEntry } from "../types.js";

const DETAIL_POLL_MS = 2000;

function describeEntry(entry: TimelineEntry) {
  switch (entry.kind) {
    case "wait": {
      const wp = entry.waitpoints[0];
      return wp?.completeAfter ? `Wait until ${formatDate(wp.completeAfter)}` : "Wait (already elapsed)";
    }
    case "createToken":
      return (
        <>
          Created wait token{" "}
          {entry.tokenId ? (
            <Link className="mono" to={`/tokens/${entry.tokenId}`}>
              {entry.tokenId}
            </Link>
          ) : null}
        </>
      );
    case "waitForToken":
      return (
        <>
          Wait for token{" "}
          <Link className="mono" to={`/tokens/${entry.key}`}>
            {entry.key}
          </Link>
        </>
      );
    case "triggerAndWait":
    case "batchTriggerAndWait":
      return `${entry.kind === "batchTriggerAndWait" ? "Batch-triggered" : "Triggered"} ${entry.key} and waited`;
    case "step":
      return `Step "${entry.key}"`;
    default:
      return `${entry.kind} ${entry.key}`;
  }
}

function Timeline({ detail }: { detail: RunDetail }) {
  const { run, timeline } = detail;
  return (
    <ol className="timeline">
      <li>
        <span className="dot" />
        <span className="when">{formatDate(run.createdAt)}</span> Triggered
        {run.delayedUntil ? ` (delayed until ${formatDate(run.delayedUntil)})` : ""}
      </li>
      {run.startedAt ? (
        <li>
          <span className="dot" />
          <span className="when">{formatDate(run.startedAt)}</span> Started
        </li>
      ) : null}
      {timeline.map((entry) => {
        const pending = entry.waitpoints.some((w) => w.status === "WAITING");
        const done = entry.waitpoints.filter((w) => w.completedAt).map((w) => w.completedAt!);
        return (
          <li key={entry.seq} className={pending ? "pending" : undefined}>
            <span className="dot" />
            <span className="when">{formatDate(entry.at)}</span> {describeEntry(entry)}
            {entry.waitpoints.length > 0 ? (
              <>
                {" "}
                <StatusBadge
                  status={
                    pending
                      ? "WAITING"
                      : entry.waitpoints.some((w) => w.status === "TIMED_OUT")
                        ? "TIMED_OUT"
                        : "COMPLETED"
                  }
                />
                {!pending && done.length ? (
                  <span className="muted small"> resumed {formatDate(done.sort().at(-1))}</span>
                ) : null}
              </>
            ) : null}
            {entry.runs.length > 0 ? (
              <ul className="child-runs">
                {entry.runs.map((r) => (
                  <li key={r.id}>
                    <RunLink id={r.id} /> {r.taskIdentifier} <StatusBadge status={r.status} />
                  </li>
                ))}
              </ul>
            ) : null}
          </li>
        );
      })}
      {run.finishedAt ? (
        <li>
          <span className="dot" />
          <span className="when">{formatDate(run.finishedAt)}</span> Finished{" "}
          <StatusBadge status={run.status} />
        </li>
      ) : null}
    </ol>
  );
}

/** Payload editor for "replay with edited payload". */
function ReplayForm({ runId, payload, onClose }: { runId: string; payload: unknown; onClose: () => void }) {
  const navigate = useNavigate();
  const [text, setText] = useState(pretty(payload) || "null");
  const [parseError, setParseError] = useState<string>();
  const replay = useAction(async (value: unknown) => {
    const { id } = await api<{ id: string }>(`/api/v1/dashboard/runs/${runId}/replay`, {
      body: { payload: value },
    });
    navigate(`/runs/${id}`);
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    try {
      const value = JSON.parse(text);
      setParseError(undefined);
      void replay.run(value);
    } catch (error) {
      setParseError((error as Error).message);
    }
  };
  return (
    <form className="card" onSubmit={submit} aria-label="Replay with an edited payload">
      <label className="field">
        <span>Payload (JSON)</span>
        <textarea
          className="code-input"
          rows={10}
          value={text}
          onChange={(e) => setText(e.target.value)}
          spellCheck={false}
        />
      </label>
      {parseError ? <p className="error-note">Not valid JSON: {parseError}</p> : null}
      <ErrorNote error={replay.error} />
      <div className="row">
        <button className="button primary" type="submit" disabled={replay.busy}>
          Replay with this payload
        </button>
        <button className="button ghost" type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </form>
  );
}

function RescheduleForm({ runId, onDone }: { runId: string; onDone: () => void }) {
  const [delay, setDelay] = useState("5m");
  const action = useAction(async () => {
    await api(`/api/v1/runs/${runId}/reschedule`, { body: { delay } });
    onDone();
  });
  return (
    <form
      className="row"
      aria-label="Reschedule"
      onSubmit={(e) => {
        e.preventDefault();
        void action.run();
      }}
    >
      <label className="field inline">
        <span>Start in (e.g. 30s, 10m, 2h) or at (ISO date)</span>
        <input value={delay} onChange={(e) => setDelay(e.target.value)} required />
      </label>
      <button className="button" type="submit" disabled={action.busy}>
        Reschedule
      </button>
      <ErrorNote error={action.error} />
    </form>
  );
}

/** One run: live status, payload, output or error, streams, timeline, attempts, logs; actions. */
export function RunPage() {
  const { runId = "" } = useParams();
  const navigate = useNavigate();
  const [editing, setEditing] = useState(false);
  const { run: live } = useRealtimeRun(runId);
  const liveFinal = live ? FINAL_STATUSES.includes(live.status as RunStatus) : false;
  const detail = useApi<RunDetail>(`/api/v1/dashboard/runs/${runId}`, liveFinal ? undefined : DETAIL_POLL_MS);
  const { reload } = detail;
  // the realtime run says when something changed: fetch the detail (logs, timeline) again
  const liveKey = live ? `${live.status}:${live.attemptCount}:${String(live.updatedAt)}` : "";
  useEffect(() => {
    if (liveKey) reload();
  }, [liveKey, reload]);

  const cancel = useAction(async () => {
    await api(`/api/v2/runs/${runId}/cancel`, { body: {} });
    reload();
  });
  const replay = useAction(async () => {
    const { id } = await api<{ id: string }>(`/api/v1/dashboard/runs/${runId}/replay`, { body: {} });
    navigate(`/runs/${id}`);
  });

  const d = detail.data;
  if (!d) {
    return (
      <>
        <PageHeader title="Run" />
        <ErrorNote error={detail.error} />
        {!detail.error ? <p className="muted">Loading…</p> : null}
      </>
    );
  }
  const run = d.run;
  const status = (live?.status ?? run.status) as RunStatus;
  const final = FINAL_STATUSES.includes(status);
  const metadata = live?.metadata ?? run.metadata;
  const output = live?.output ?? run.output;
  const error = live?.error ?? run.error;
  const duration = run.startedAt
    ? (run.finishedAt ? Date.parse(run.finishedAt) : Date.now()) - Date.parse(run.startedAt)
    : undefined;

  return (
    <>
      <PageHeader title={run.taskIdentifier}>
        <span id="run-status" aria-live="polite" data-status={status}>
          <StatusBadge status={status} />
        </span>
        {!final ? (
          <button type="button" className="button danger" disabled={cancel.busy} onClick={() => cancel.run()}>
            Cancel run
          </button>
        ) : null}
        <button type="button" className="button" disabled={replay.busy} onClick={() => replay.run()}>
          Replay
        </button>
        <button
          type="button"
          className="button ghost"
          aria-expanded={editing}
          onClick={() => setEditing((e) => !e)}
        >
          Replay with edited payload…
        </button>
      </PageHeader>
      <p className="mono muted subtitle">{run.id}</p>
      <ErrorNote error={cancel.error ?? replay.error ?? detail.error} />
      {editing ? <ReplayForm runId={run.id} payload={run.payload} onClose={() => setEditing(false)} /> : null}

      <div className="grid-2">
        <Section title="Details">
          <Facts
            items={{
              Created: formatDate(run.createdAt),
              Started: formatDate(run.startedAt),
              Finished: formatDate(run.finishedAt),
              Duration: formatDuration(duration),
              Attempts: `${live?.attemptCount ?? run.attemptCount} of ${run.maxAttempts}`,
              Queue: <span className="mono">{run.queue}</span>,
              "Concurrency key": run.concurrencyKey ?? "–",
              "Idempotency key": run.idempotencyKey ?? "–",
              Tags: <Tags tags={live?.tags ?? run.tags} />,
              Parent: run.relatedRuns.parent ? <RunLink id={run.relatedRuns.parent.id} /> : "–",
              Root: run.relatedRuns.root ? <RunLink id={run.relatedRuns.root.id} /> : "–",
              Batch: run.batchId ?? "–",
              "Max duration": run.maxDuration ? `${run.maxDuration} s` : "–",
              TTL: run.ttl ? `${run.ttl} s` : "–",
            }}
          />
          {status === "DELAYED" ? <RescheduleForm runId={run.id} onDone={reload} /> : null}
        </Section>
        <Section title="Timeline">
          <Timeline detail={d} />
          {d.blockedOn.length ? (
            <p className="muted small">
              Waiting on {d.blockedOn.length} waitpoint{d.blockedOn.length === 1 ? "" : "s"}.
            </p>
          ) : null}
        </Section>
      </div>

      <div className="grid-2">
        <Section title="Payload">
          <Code value={run.payload} label="Payload" />
        </Section>
        {error ? (
          <Section title="Error">
            <p className="error-note">
              <strong>{error.name ?? "Error"}: </strong>
              {error.message}
            </p>
            <Code
              value={error.stackTrace ?? (error as { stack?: string }).stack}
              label="Stack trace"
              empty="No stack trace"
            />
          </Section>
        ) : (
          <Section title="Output">
            <Code value={output} label="Output" empty={final ? "No output" : "Not finished yet"} />
          </Section>
        )}
      </div>

      <Section title="Live streams">
        {d.streams.length === 0 ? (
          <p className="muted">This run has written no stream{final ? "" : " yet"}.</p>
        ) : (
          d.streams.map((s, i) => (
            <StreamView key={s.id} runId={run.id} streamId={s.id} open={i < STREAMS_OPEN_AT_FIRST} />
          ))
        )}
      </Section>

      <Section title="Metadata">
        <Code value={Object.keys(metadata ?? {}).length ? metadata : undefined} label="Metadata" />
      </Section>

      {run.relatedRuns.children?.length ? (
        <Section title="Child runs">
          <ul className="plain">
            {run.relatedRuns.children.map((c) => (
              <li key={c.id}>
                <RunLink id={c.id} /> {c.taskIdentifier} <StatusBadge status={c.status} />
              </li>
            ))}
          </ul>
        </Section>
      ) : null}

      <Section title="Attempts">
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Status</th>
                <th scope="col">Started</th>
                <th scope="col">Duration</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {d.attempts.map((a) => (
                <tr key={`${a.number}-${a.id}`}>
                  <td>{a.number}</td>
                  <td>
                    <StatusBadge status={a.status} />
                  </td>
                  <td>{formatDate(a.startedAt)}</td>
                  <td>
                    {a.startedAt && a.endedAt
                      ? formatDuration(Date.parse(a.endedAt) - Date.parse(a.startedAt))
                      : "–"}
                  </td>
                  <td className="small">{a.error?.message ?? ""}</td>
                </tr>
              ))}
              {d.attempts.length === 0 ? (
                <tr>
                  <td colSpan={5} className="empty">
                    Not started yet.
                  </td>
                </tr>
              ) : null}
            </tbody>
          </table>
        </div>
      </Section>

      <Section title="Logs">
        <RunLogs key={run.id} runId={run.id} latest={d.logs} earlier={d.logsEarlier} />
      </Section>
    </>
  );
}
