/**
 * Realtime over SSE: run changes until the run finishes, and a 10,000-chunk stream that
 * arrives complete and in order, also across a forced reconnect with Last-Event-ID.
 */
import { streams, task, wait } from "@mainspring/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, STORES, startHarness } from "./harness.js";

const CHUNKS = 10_000;
const tokens = streams.define<{ i: number; text: string }>({ id: "tokens" });

task({
  id: "rt-stream",
  run: async () => {
    // appended in bursts, as an LLM produces tokens
    for (let i = 0; i < CHUNKS; i += 500) {
      const { waitUntilComplete } = tokens.pipe(
        (async function* () {
          for (let j = i; j < i + 500; j++) yield { i: j, text: `token-${j}` };
        })(),
      );
      await waitUntilComplete();
    }
    return { chunks: CHUNKS };
  },
});

task({
  id: "rt-progress",
  run: async (payload: { token: string }, { ctx }) => {
    void ctx;
    const { metadata } = await import("@mainspring/sdk");
    metadata.set("progress", 0.5);
    await metadata.flush();
    await wait.forToken(payload.token);
    metadata.set("progress", 1);
    return "done";
  },
});

interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/** Reads SSE events from a fetch response until `stop` returns true or the stream ends. */
async function* sseEvents(res: Response): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(bytes, { stream: true });
    let cut = buffer.indexOf("\n\n");
    while (cut >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      cut = buffer.indexOf("\n\n");
      const event: SseEvent = { data: "" };
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("id: ")) event.id = line.slice(4);
        else if (line.startsWith("event: ")) event.event = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
      }
      if (event.event || data.length) {
        event.data = data.join("\n");
        yield event;
      }
    }
  }
}

for (const makeStore of STORES) {
  const store = makeStore();
  describe(`realtime over SSE (${store.name})`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness(store);
    });
    afterAll(() => h?.close());

    const open = (path: string, headers: Record<string, string> = {}, signal?: AbortSignal) =>
      fetch(`${h.server.url}${path}`, { headers: { authorization: `Bearer ${h.key}`, ...headers }, signal });

    it("streams a run's changes (status, metadata, output) and ends when it finishes", async () => {
      const token = await h.engine.createToken({});
      const run = await h.engine.trigger("rt-progress", { token: token.id });
      const res = await open(`/api/v1/realtime/runs/${run.id}`);
      expect(res.headers.get("content-type")).toContain("text/event-stream");
      const seen: Array<{ status: string; metadata: Record<string, unknown>; output?: unknown }> = [];
      for await (const event of sseEvents(res)) {
        const data = JSON.parse(event.data);
        seen.push(data);
        if (data.status === "WAITING") await h.engine.completeToken(token.id, "go");
      }
      // the connection ended by itself, after the final state
      const last = seen.at(-1)!;
      expect(last).toMatchObject({ status: "COMPLETED", output: "done", metadata: { progress: 1 } });
      expect(seen.some((s) => s.metadata.progress === 0.5)).toBe(true);
    });

    it("delivers 10,000 chunks complete and in order, also across a forced reconnect", async () => {
      const run = await h.engine.trigger("rt-stream", {});
      // first connection: read a third, then drop it
      const controller = new AbortController();
      const first = await open(`/api/v1/realtime/streams/${run.id}/tokens`, {}, controller.signal);
      const received: number[] = [];
      let lastId = -1;
      try {
        for await (const event of sseEvents(first)) {
          if (event.event !== "chunk") continue;
          lastId = Number(event.id);
          received.push((JSON.parse(event.data) as { i: number }).i);
          if (received.length === 3_333) {
            controller.abort();
            break;
          }
        }
      } catch (error) {
        if ((error as Error).name !== "AbortError") throw error;
      }
      // resume after the last id seen; the stream then ends by itself once the run finished
      const second = await open(`/api/v1/realtime/streams/${run.id}/tokens`, {
        "last-event-id": String(lastId),
      });
      let ended = false;
      for await (const event of sseEvents(second)) {
        if (event.event === "end") ended = true;
        else if (event.event === "chunk") received.push((JSON.parse(event.data) as { i: number }).i);
      }
      expect(ended).toBe(true);
      expect(received).toHaveLength(CHUNKS);
      expect(received.every((value, index) => value === index)).toBe(true);
      // a late subscriber gets the whole stream from the start
      const late = await open(`/api/v1/realtime/streams/${run.id}/tokens`);
      let count = 0;
      for await (const event of sseEvents(late)) if (event.event === "chunk") count++;
      expect(count).toBe(CHUNKS);
    });

    it("follows runs by tag and a batch's runs", async () => {
      const batch = await h.engine.batchTrigger([
        {
          task: "rt-progress",
          payload: { token: (await h.engine.createToken({})).id },
          options: { tags: ["rt:batch"] },
        },
      ]);
      const res = await open(`/api/v1/realtime/runs?tags=rt:batch`);
      const controller = new AbortController();
      const batchRes = await open(`/api/v1/realtime/batches/${batch.batchId}`, {}, controller.signal);
      for await (const event of sseEvents(res)) {
        const data = JSON.parse(event.data) as { id: string; status: string };
        expect(data.id).toBe(batch.runs[0]!.id);
        break;
      }
      for await (const event of sseEvents(batchRes)) {
        expect((JSON.parse(event.data) as { batchId: string }).batchId).toBe(batch.batchId);
        break;
      }
      controller.abort();
      await h.engine.cancelRun(batch.runs[0]!.id);
    });
  });
}
