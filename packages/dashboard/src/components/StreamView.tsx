import { useRealtimeStream } from "@mainspring/react";
import { useState } from "react";

/** The text of a chunk when it has one: a string, or an object's content/text/delta/token. */
function textOf(part: unknown): string | undefined {
  if (typeof part === "string") return part;
  if (part && typeof part === "object") {
    for (const field of ["content", "text", "delta", "token"]) {
      const value = (part as Record<string, unknown>)[field];
      if (typeof value === "string") return value;
    }
  }
  return undefined;
}

/**
 * How many of a run's streams are open (subscribed) when its page loads. Each open stream holds
 * one server-sent-events connection, and a browser allows six HTTP/1.1 connections per server
 * across all its tabs: a run with many streams would otherwise leave the page (and other
 * dashboard tabs) no connection for anything else.
 */
export const STREAMS_OPEN_AT_FIRST = 3;

/**
 * One run stream in a panel that can be closed. Open, it is live (useRealtimeStream: stored
 * chunks first, then new ones as they are written, resumed after a dropped connection); closed,
 * its connection is let go.
 */
export function StreamView({ runId, streamId, open }: { runId: string; streamId: string; open: boolean }) {
  const [isOpen, setOpen] = useState(open);
  return (
    <details
      className="stream"
      open={isOpen}
      onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}
    >
      <summary className="stream-head">
        <h3 className="mono">{streamId}</h3>
        {isOpen ? null : <span className="muted small">closed: open to follow it live</span>}
      </summary>
      {isOpen ? <LiveStream runId={runId} streamId={streamId} /> : null}
    </details>
  );
}

/** Text chunks (agent tokens) read as one text; other chunks (progress objects) as a JSON line each. */
function LiveStream({ runId, streamId }: { runId: string; streamId: string }) {
  const { parts, error } = useRealtimeStream<unknown>(runId, streamId);
  const texts = parts.map(textOf);
  const allText = parts.length > 0 && texts.every((t) => t !== undefined);
  return (
    <>
      <p className="muted small stream-count" aria-live="polite">
        {parts.length} chunk{parts.length === 1 ? "" : "s"}
      </p>
      {error ? <p className="error-note">{error.message}</p> : null}
      <pre className="code stream-body" data-stream={streamId}>
        {allText ? texts.join("") : parts.map((p) => JSON.stringify(p)).join("\n")}
      </pre>
    </>
  );
}
