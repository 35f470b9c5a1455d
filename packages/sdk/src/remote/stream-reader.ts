import { MainspringError } from "../errors.js";
import type { StreamReadOptions, StreamRecord } from "../streams.js";
import { type HttpClient, MainspringApiError } from "./http-client.js";
import { parseSse } from "./sse.js";

/** Reconnect attempts in a row that deliver nothing before the read gives up. */
const MAX_FAILED_CONNECTS = 8;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });

/**
 * A run's stream over SSE: `GET /api/v1/realtime/streams/:runId/:streamId`, events
 * `id: <index>` / `event: chunk` / `data: <JSON>`, and `event: end` once the run finished and
 * every chunk was sent. A dropped connection is reopened with `Last-Event-ID` set to the last
 * index received, so no chunk is lost or repeated. Ends quietly when `signal` aborts.
 */
export async function* readSseStream(
  client: HttpClient,
  runId: string,
  streamId: string,
  options: StreamReadOptions = {},
): AsyncGenerator<StreamRecord> {
  const { signal } = options;
  const from = options.from ?? 0;
  if (!Number.isInteger(from) || from < 0)
    throw new MainspringError(
      "INVALID_OPTIONS",
      `readStream: from must be a whole number >= 0 (got ${from})`,
    );
  const path = `/api/v1/realtime/streams/${encodeURIComponent(runId)}/${encodeURIComponent(streamId)}`;
  let last = from - 1;
  let failures = 0;
  let reconnectMs: number | undefined;
  let lastError: unknown;
  while (!signal?.aborted) {
    let progressed = false;
    try {
      const response = await client.send("GET", path, {
        headers: { accept: "text/event-stream", ...(last >= 0 ? { "last-event-id": String(last) } : {}) },
        signal,
      });
      if (!response.body) throw new Error("the stream response has no body");
      const events = parseSse(response.body);
      for await (const event of events) {
        if (signal?.aborted) return; // events parsed from data already received
        if (event.retry !== undefined) reconnectMs = event.retry;
        if (event.event === "end") return;
        if (event.event !== "chunk") continue;
        const index = Number(event.id);
        if (!Number.isInteger(index)) {
          throw new MainspringError("INVALID_OPTIONS", `Stream "${streamId}": a chunk event has no index id`);
        }
        if (index <= last) continue; // already delivered before a reconnect
        let value: unknown;
        try {
          value = JSON.parse(event.data);
        } catch {
          throw new MainspringError("INVALID_OPTIONS", `Stream "${streamId}": chunk ${index} is not JSON`);
        }
        last = index;
        progressed = true;
        failures = 0;
        lastError = undefined;
        yield { index, value };
      }
      // The body ended without `end`: the connection dropped (or a proxy cut it); reconnect.
    } catch (error) {
      if (signal?.aborted) return;
      // 4xx answers (unknown run, forbidden, bad token) will not get better by retrying.
      if (error instanceof MainspringApiError && error.status >= 400 && error.status < 500) throw error;
      if (error instanceof MainspringError && !(error instanceof MainspringApiError)) throw error;
      lastError = error;
    }
    if (progressed) continue;
    if (++failures > MAX_FAILED_CONNECTS) {
      throw (
        lastError ??
        new MainspringApiError(
          "STREAM_INTERRUPTED",
          `Stream "${streamId}" of run "${runId}": the connection kept closing before the stream ended`,
          0,
        )
      );
    }
    await sleep(reconnectMs ?? Math.min(5000, 100 * 2 ** failures), signal);
  }
}
