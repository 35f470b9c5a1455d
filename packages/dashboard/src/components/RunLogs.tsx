import { useCallback, useEffect, useRef, useState } from "react";
import { api, query } from "../api.js";
import { formatDate } from "../format.js";
import { useAction } from "../hooks.js";
import type { LogLine } from "../types.js";
import { ErrorNote } from "./ui.js";

interface LogPage {
  data: LogLine[];
  more: boolean;
}

const byId = (a: LogLine, b: LogLine) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1);

function logsPath(runId: string, params: { before?: string; after?: string }) {
  return `/api/v1/dashboard/runs/${runId}/logs${query(params)}`;
}

/**
 * A run's log lines. The run's detail carries only its newest lines (a window that moves while
 * the run writes); every line seen stays shown, older ones load on request, and lines that went
 * past between two refreshes of a busy run are fetched, so the list never has a hole.
 */
export function RunLogs({ runId, latest, earlier }: { runId: string; latest: LogLine[]; earlier: boolean }) {
  const [seen, setSeen] = useState(() => new Map<string, LogLine>());
  // whether lines older than the oldest seen exist; set from the first window
  const [hasOlder, setHasOlder] = useState<boolean>();
  const newest = useRef<bigint | undefined>(undefined);
  const [gapError, setGapError] = useState<Error>();

  const add = useCallback(
    (lines: LogLine[]) =>
      setSeen((prev) => {
        const next = new Map(prev);
        for (const l of lines) next.set(l.id, l);
        return next;
      }),
    [],
  );

  useEffect(() => {
    if (latest.length === 0) return;
    const before = newest.current;
    const first = BigInt(latest[0]!.id);
    newest.current = BigInt(latest.at(-1)!.id);
    add(latest);
    setHasOlder((h) => h ?? earlier);
    if (before === undefined || !earlier || first <= before) return;
    // The window moved past lines never shown: fetch them, oldest first, up to the window.
    const controller = new AbortController();
    void (async () => {
      let after = before.toString();
      for (;;) {
        const page = await api<LogPage>(logsPath(runId, { after }), { signal: controller.signal });
        add(page.data);
        const last = page.data.at(-1);
        if (!page.more || !last || BigInt(last.id) >= first) return;
        after = last.id;
      }
    })().catch((e) => {
      if (!controller.signal.aborted) setGapError(e as Error);
    });
    return () => controller.abort();
  }, [latest, earlier, runId, add]);

  const lines = [...seen.values()].sort(byId);
  const loadOlder = useAction(async () => {
    const page = await api<LogPage>(logsPath(runId, { before: lines[0]?.id }));
    add(page.data);
    setHasOlder(page.more);
  });

  if (lines.length === 0) return <p className="muted">No log lines.</p>;
  return (
    <>
      {hasOlder ? (
        <p className="logs-older">
          <button type="button" onClick={() => void loadOlder.run()} disabled={loadOlder.busy}>
            {loadOlder.busy ? "Loading…" : "Show earlier lines"}
          </button>
        </p>
      ) : null}
      <ErrorNote error={loadOlder.error ?? gapError} />
      <div className="logs" role="log" aria-label="Run logs" data-lines={lines.length}>
        {lines.map((l) => (
          <div key={l.id} className={`log log-${l.level}`}>
            <span className="when">{formatDate(l.at)}</span>
            <span className="level">{l.level}</span>
            <span className="small muted">#{l.attempt}</span>
            <span className="message">{l.message}</span>
            {l.data && Object.keys(l.data as object).length ? (
              <span className="data mono small">{JSON.stringify(l.data)}</span>
            ) : null}
          </div>
        ))}
      </div>
    </>
  );
}
