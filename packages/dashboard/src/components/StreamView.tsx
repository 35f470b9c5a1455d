import { useRealtimeStream } from "@mainspring/react";

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
 * One run stream, live (useRealtimeStream: stored chunks first, then new ones as they are
 * written, resumed after a dropped connection). Text chunks (agent tokens) read as one text;
 * other chunks (progress objects) as one JSON line each.
 */
export function StreamView({ runId, streamId }: { runId: string; streamId: string }) {
  const { parts, error } = useRealtimeStream<unknown>(runId, streamId);
  const texts = parts.map(textOf);
  const allText = parts.length > 0 && texts.every((t) => t !== undefined);
  return (
    <div className="stream">
      <div className="stream-head">
        <h3 className="mono">{streamId}</h3>
        <span className="muted small" aria-live="polite">
          {parts.length} chunk{parts.length === 1 ? "" : "s"}
        </span>
      </div>
      {error ? <p className="error-note">{error.message}</p> : null}
      <pre className="code stream-body" data-stream={streamId}>
        {allText ? texts.join("") : parts.map((p) => JSON.stringify(p)).join("\n")}
      </pre>
    </div>
  );
}
