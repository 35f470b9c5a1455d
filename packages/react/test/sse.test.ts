/** The SSE parser: line endings, chunk boundaries anywhere, comments, multi-line data, ids. */
import { describe, expect, it } from "vitest";
import { readSse, type SseEvent, SseParser } from "../src/sse.js";

const STREAM =
  "\uFEFF: keepalive\n\n" +
  'event: run\nid: 1\ndata: {"a":1}\n\n' +
  "event: chunk\r\nid: 7\r\ndata: line one\r\ndata:line two\r\n\r\n" +
  "data\n\n" + // a field with no colon: empty data line
  "event: chunk\rid: 8\rdata: cr only\r\r" +
  "id: 9\n\n" + // no data: not dispatched, but the id sticks
  "retry: 1500\nevent: end\ndata: {}\n\n" +
  "data: incomplete, never dispatched";

const EXPECTED: SseEvent[] = [
  { event: "run", id: "1", data: '{"a":1}' },
  { event: "chunk", id: "7", data: "line one\nline two" },
  { event: "message", id: "7", data: "" },
  { event: "chunk", id: "8", data: "cr only" },
  { event: "end", id: "9", data: "{}", retry: 1500 },
];

describe("SseParser", () => {
  it("parses a stream fed whole", () => {
    expect(new SseParser().feed(STREAM)).toEqual(EXPECTED);
  });

  it("gives the same events whatever the chunk boundaries (also between CR and LF)", () => {
    for (let size = 1; size <= 7; size++) {
      const parser = new SseParser();
      const events: SseEvent[] = [];
      for (let i = 0; i < STREAM.length; i += size) events.push(...parser.feed(STREAM.slice(i, i + size)));
      expect(events, `chunks of ${size}`).toEqual(EXPECTED);
    }
  });

  it("reads a byte stream, with multi-byte characters split across chunks", async () => {
    const bytes = new TextEncoder().encode('event: chunk\ndata: "héllo → wörld"\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const b of bytes) controller.enqueue(new Uint8Array([b]));
        controller.close();
      },
    });
    const events: SseEvent[] = [];
    for await (const event of readSse(body)) events.push(event);
    expect(events).toEqual([{ event: "chunk", data: '"héllo → wörld"' }]);
  });
});
