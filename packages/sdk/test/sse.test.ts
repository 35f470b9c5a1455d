import { describe, expect, it } from "vitest";
import { parseSse, SseParser } from "../src/remote/sse.js";

function bodyOf(parts: Array<string | Uint8Array>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(typeof part === "string" ? encoder.encode(part) : part);
      controller.close();
    },
  });
}

async function collect(parts: Array<string | Uint8Array>) {
  const events = [];
  for await (const event of parseSse(bodyOf(parts))) events.push(event);
  return events;
}

describe("SSE parser", () => {
  it("parses id, event and data, and joins data lines", async () => {
    const events = await collect([
      'id: 0\nevent: chunk\ndata: {"a":1}\n\n',
      "event: end\ndata: x\ndata: y\n\n",
    ]);
    expect(events).toEqual([
      { event: "chunk", data: '{"a":1}', id: "0" },
      // lastEventId persists across events, as the spec says
      { event: "end", data: "x\ny", id: "0" },
    ]);
  });

  it("handles events split anywhere across chunks, including inside CRLF and multi-byte characters", async () => {
    const text = 'id: 7\r\nevent: chunk\r\ndata: "héllo ✓"\r\n\r\nid: 8\rdata: 2\r\r';
    const bytes = new TextEncoder().encode(text);
    for (let split = 1; split < bytes.length; split++) {
      const events = await collect([bytes.slice(0, split), bytes.slice(split)]);
      expect(events, `split at ${split}`).toEqual([
        { event: "chunk", data: '"héllo ✓"', id: "7" },
        { event: "message", data: "2", id: "8" },
      ]);
    }
  });

  it("ignores comments, unknown fields and blank events; reads values without the optional space", () => {
    const parser = new SseParser();
    expect(parser.push(": keepalive\n\n")).toEqual([]);
    expect(parser.push("foo: bar\n\n")).toEqual([]);
    expect(parser.push("data:no-space\nid:3\n\n")).toEqual([{ event: "message", data: "no-space", id: "3" }]);
    expect(parser.push("data\n\n")).toEqual([{ event: "message", data: "", id: "3" }]);
  });

  it("keeps the retry field and drops an unterminated event at the end", async () => {
    const parser = new SseParser();
    expect(parser.push("retry: 250\n\n")).toEqual([]);
    expect(parser.reconnectMs).toBe(250);
    expect(await collect(["data: complete\n\n", "data: cut off"])).toEqual([
      { event: "message", data: "complete" },
    ]);
  });

  it("ignores an id containing NUL", () => {
    const parser = new SseParser();
    expect(parser.push("id: 1\n\nid: a\u0000b\ndata: x\n\n")).toEqual([
      { event: "message", data: "x", id: "1" },
    ]);
  });
});
