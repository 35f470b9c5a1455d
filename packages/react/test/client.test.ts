/**
 * `subscribe` against a scripted SSE server: retries on 503, gives up on 403, resumes with
 * Last-Event-ID after the server closes early, stops on the idle timeout and on a bad event.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ApiError, subscribe } from "../src/client.js";
import type { SseEvent } from "../src/sse.js";

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void;

let server: http.Server | undefined;

async function serve(handler: Handler): Promise<{ baseURL: string; requests: http.IncomingMessage[] }> {
  const requests: http.IncomingMessage[] = [];
  server = http.createServer((req, res) => {
    requests.push(req);
    handler(req, res, requests.length);
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return { baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

const sse = (res: http.ServerResponse) => res.writeHead(200, { "content-type": "text/event-stream" });
const chunk = (i: number) => `event: chunk\nid: ${i}\ndata: ${JSON.stringify(`c${i}`)}\n\n`;

function collect() {
  const events: SseEvent[] = [];
  const onEvent = (event: SseEvent) => {
    events.push(event);
    return event.event === "end" ? ("stop" as const) : undefined;
  };
  return { events, onEvent };
}

describe("subscribe", () => {
  it("retries a 503, then reads the stream with the bearer token", async () => {
    const { baseURL, requests } = await serve((_req, res, n) => {
      if (n === 1)
        return void res
          .writeHead(503, { "content-type": "application/json" })
          .end('{"error":"busy","code":"X"}');
      sse(res);
      res.end(`${chunk(0)}event: end\ndata: {}\n\n`);
    });
    const { events, onEvent } = collect();
    await subscribe({
      config: { baseURL, accessToken: "tok" },
      path: "/s",
      signal: new AbortController().signal,
      onEvent,
    });
    expect(events.map((e) => e.event)).toEqual(["chunk", "end"]);
    expect(requests).toHaveLength(2);
    expect(requests[1]!.headers.authorization).toBe("Bearer tok");
  });

  it("rejects with the server's code on 403, without retrying", async () => {
    const { baseURL, requests } = await serve((_req, res) =>
      res.writeHead(403, { "content-type": "application/json" }).end('{"error":"nope","code":"FORBIDDEN"}'),
    );
    const error = await subscribe({
      config: { baseURL, accessToken: "tok" },
      path: "/s",
      signal: new AbortController().signal,
      onEvent: () => undefined,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 403, code: "FORBIDDEN", message: "nope" });
    expect(requests).toHaveLength(1);
  });

  it("resumes after the last event id when the server closes early, and when the socket dies", async () => {
    const { baseURL, requests } = await serve((_req, res, n) => {
      sse(res);
      if (n === 1) return void res.end(chunk(0) + chunk(1)); // closed cleanly, but no `end`
      if (n === 2) {
        res.write(chunk(2));
        return void setTimeout(() => res.socket?.destroy(), 50); // dropped mid-stream
      }
      res.end(`${chunk(3)}event: end\ndata: {}\n\n`);
    });
    const { events, onEvent } = collect();
    await subscribe({
      config: { baseURL, accessToken: "tok" },
      path: "/s",
      signal: new AbortController().signal,
      resume: true,
      endedNormally: () => false,
      onEvent,
    });
    expect(events.filter((e) => e.event === "chunk").map((e) => e.data)).toEqual([
      '"c0"',
      '"c1"',
      '"c2"',
      '"c3"',
    ]);
    expect(requests.map((r) => r.headers["last-event-id"])).toEqual([undefined, "1", "2"]);
  });

  it("ends quietly after the idle timeout, and fails on an event it cannot handle", async () => {
    const { baseURL } = await serve((_req, res) => {
      sse(res);
      res.write(": keepalive\n\n"); // comments do not count as activity
    });
    const started = Date.now();
    await subscribe({
      config: { baseURL, accessToken: "tok" },
      path: "/s",
      signal: new AbortController().signal,
      idleTimeoutMs: 300,
      onEvent: () => undefined,
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);

    server?.closeAllConnections();
    server?.close();
    const bad = await serve((_req, res) => {
      sse(res);
      res.end(chunk(0));
    });
    const error = await subscribe({
      config: { baseURL: bad.baseURL, accessToken: "tok" },
      path: "/s",
      signal: new AbortController().signal,
      endedNormally: () => false,
      onEvent: (event) => JSON.parse(`{${event.data}`),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SyntaxError);
    expect(bad.requests).toHaveLength(1);
  });
});
