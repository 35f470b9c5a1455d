/**
 * A Server-Sent Events parser for `fetch` response bodies, following the WHATWG "event stream
 * interpretation" rules: lines end in CRLF, LF or CR (also split across chunks), `:` starts a
 * comment, one space after the field's colon is dropped, `data` lines join with "\n", a blank
 * line dispatches, an event without data is not dispatched, `id` sticks until changed.
 * Browser-safe: only TextDecoder and ReadableStream.
 */

export interface SseEvent {
  /** `event:` field; "message" when the server sent none. */
  event: string;
  data: string;
  /** The last `id:` seen on this connection (sticky, as the spec's "last event ID"). */
  id?: string;
  /** `retry:` (milliseconds), when this event carried one. */
  retry?: number;
}

/** Incremental parser: feed text as it arrives, get the events it completes. */
export class SseParser {
  private buffer = "";
  /** A CR ended the previous chunk: a LF at the start of the next one belongs to it. */
  private pendingCR = false;
  private data: string[] = [];
  private event = "";
  private retry: number | undefined;
  private started = false;
  lastEventId: string | undefined;

  feed(text: string): SseEvent[] {
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.pendingCR && text.startsWith("\n")) text = text.slice(1);
    this.pendingCR = false;
    this.buffer += text;
    const events: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const ch = this.buffer.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue;
      const line = this.buffer.slice(start, i);
      if (ch === 13) {
        if (i + 1 === this.buffer.length) this.pendingCR = true;
        else if (this.buffer.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
      const event = this.line(line);
      if (event) events.push(event);
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  private line(line: string): SseEvent | undefined {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "data":
        this.data.push(value);
        break;
      case "event":
        this.event = value;
        break;
      case "id":
        if (!value.includes("\0")) this.lastEventId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
    }
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const { data, event, retry } = this;
    this.data = [];
    this.event = "";
    this.retry = undefined;
    if (data.length === 0) return undefined;
    const out: SseEvent = { event: event || "message", data: data.join("\n") };
    if (this.lastEventId !== undefined) out.id = this.lastEventId;
    if (retry !== undefined) out.retry = retry;
    return out;
  }
}

/**
 * Yields the events of an SSE body until it ends. Cancels the body when the consumer stops
 * early; a network failure while reading rejects the iteration (the caller reconnects).
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        // A final event without its blank line is incomplete: the spec drops it.
        parser.feed(decoder.decode());
        return;
      }
      for (const event of parser.feed(decoder.decode(value, { stream: true }))) yield event;
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
