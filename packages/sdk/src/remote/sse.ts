/**
 * A small Server-Sent Events parser (the WHATWG event-stream format) over a fetch body, for
 * the remote client's `readStream`. Lines end with LF, CRLF or CR; `data` lines are joined
 * with LF; a blank line dispatches the event if it had data; comments (`:`) and unknown fields
 * are ignored.
 */

export interface SseEvent {
  /** The `event` field; "message" when the event has none. */
  event: string;
  data: string;
  /** The last `id` seen on the stream so far (SSE's lastEventId), if any. */
  id?: string;
  /** The `retry` field, in milliseconds, when this event carried one. */
  retry?: number;
}

/** Incremental parser: feed it text as it arrives, collect the complete events. */
export class SseParser {
  private buffer = "";
  private pendingCR = false;
  private data: string[] = [];
  private event = "";
  private retry: number | undefined;
  private hasData = false;
  /** Persists across events, as in the spec. */
  lastEventId: string | undefined;
  /** The last `retry` the server sent: how long to wait before reconnecting. */
  reconnectMs: number | undefined;

  /** Parses `text`; returns the events it completed. */
  push(text: string): SseEvent[] {
    const events: SseEvent[] = [];
    let input = text;
    // A CR at the end of the previous chunk may be the first half of CRLF.
    if (this.pendingCR) {
      this.pendingCR = false;
      if (input.startsWith("\n")) input = input.slice(1);
    }
    this.buffer += input;
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const ch = this.buffer[i];
      if (ch !== "\n" && ch !== "\r") continue;
      const line = this.buffer.slice(start, i);
      if (ch === "\r") {
        if (i + 1 === this.buffer.length) this.pendingCR = true;
        else if (this.buffer[i + 1] === "\n") i++;
      }
      start = i + 1;
      const event = this.line(line);
      if (event) events.push(event);
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  /** Call at the end of the stream: an unterminated event is discarded, as the spec says. */
  end(): void {
    this.buffer = "";
    this.reset();
  }

  private line(line: string): SseEvent | undefined {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "data":
        this.data.push(value);
        this.hasData = true;
        break;
      case "event":
        this.event = value;
        break;
      case "id":
        if (!value.includes("\u0000")) this.lastEventId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retry = this.reconnectMs = Number(value);
        break;
    }
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const event: SseEvent | undefined = this.hasData
      ? {
          event: this.event || "message",
          data: this.data.join("\n"),
          ...(this.lastEventId === undefined ? {} : { id: this.lastEventId }),
          ...(this.retry === undefined ? {} : { retry: this.retry }),
        }
      : undefined;
    this.reset();
    return event;
  }

  private reset(): void {
    this.data = [];
    this.event = "";
    this.retry = undefined;
    this.hasData = false;
  }
}

/** The events of an event-stream body, in order. Throws what the body throws (a dropped connection). */
export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
    yield* parser.push(decoder.decode());
    parser.end();
  } finally {
    reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
