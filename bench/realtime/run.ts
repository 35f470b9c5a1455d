/**
 * Realtime streaming benchmark (not a test): `npm run bench:realtime`.
 *
 * A run appends chunks to a stream; an SSE client (fetch over real HTTP, as a browser would)
 * reads them from the HTTP API. Both sit in this process, so one clock times each chunk from
 * its `append` call to its arrival at the client.
 *
 * 1. Latency: `--samples` chunks appended one at a time, `--gap` ms apart (token by token,
 *    as an LLM emits them), p50/p95 append → SSE client.
 * 2. Throughput: `--n` chunks piped as fast as the run can produce them; chunks/s end to end.
 *
 * Flags: --store pglite|postgres|both (default both), --samples 500, --gap 5, --n 10000.
 * PostgreSQL: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), in a scratch schema.
 */
import { parseArgs } from "node:util";
import { streams, task } from "@mainspring/sdk";
import pino from "pino";
import type { Engine } from "../../packages/engine/src/index.js";
import { createKey } from "../../packages/server/src/auth/keys.js";
import { startServer } from "../../packages/server/src/server.js";
import { withBenchEngine } from "../with-engine.js";

const { values } = parseArgs({
  options: {
    store: { type: "string", default: "both" },
    samples: { type: "string", default: "500" },
    gap: { type: "string", default: "5" },
    n: { type: "string", default: "10000" },
  },
});
const SAMPLES = Number(values.samples);
const GAP_MS = Number(values.gap);
const N = Number(values.n);

const sentAt = new Map<number, number>();
const paced = streams.define<{ i: number }>({ id: "paced" });
const burst = streams.define<{ i: number }>({ id: "burst" });

task({
  id: "bench-paced-stream",
  run: async () => {
    for (let i = 0; i < SAMPLES; i++) {
      sentAt.set(i, performance.now());
      await paced.append({ i });
      await new Promise((r) => setTimeout(r, GAP_MS));
    }
  },
});

task({
  id: "bench-burst-stream",
  run: async () => {
    const { waitUntilComplete } = burst.pipe(
      (async function* () {
        for (let i = 0; i < N; i++) yield { i };
      })(),
    );
    await waitUntilComplete();
  },
});

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

/** Calls `onChunk(index, arrivedAt)` for each SSE chunk until the stream's `end` event. */
async function readSse(
  url: string,
  key: string,
  onChunk: (index: number, at: number) => void,
): Promise<void> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
    const at = performance.now();
    buffer += decoder.decode(bytes, { stream: true });
    let cut = buffer.indexOf("\n\n");
    while (cut >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      cut = buffer.indexOf("\n\n");
      const id = /^id: (\d+)$/m.exec(block);
      if (/^event: end$/m.test(block)) return;
      if (id) onChunk(Number(id[1]), at);
    }
  }
}

async function measure(engine: Engine) {
  const server = await startServer({ engine, port: 0, host: "127.0.0.1", logger: pino({ level: "silent" }) });
  const { key } = await createKey(engine.db, { name: "bench" });
  try {
    sentAt.clear();
    const latencies: number[] = [];
    const paced = await engine.trigger("bench-paced-stream", {});
    await readSse(`${server.url}/api/v1/realtime/streams/${paced.id}/paced`, key, (i, at) => {
      latencies.push(at - sentAt.get(i)!);
    });
    if (latencies.length !== SAMPLES) throw new Error(`got ${latencies.length} of ${SAMPLES} paced chunks`);
    const t0 = performance.now();
    const run = await engine.trigger("bench-burst-stream", {});
    let received = 0;
    let expected = 0;
    await readSse(`${server.url}/api/v1/realtime/streams/${run.id}/burst`, key, (i) => {
      if (i !== expected++) throw new Error(`chunk ${i} arrived out of order`);
      received++;
    });
    if (received !== N) throw new Error(`got ${received} of ${N} burst chunks`);
    const seconds = (performance.now() - t0) / 1000;
    return {
      latencyP50Ms: Number(quantile(latencies, 0.5).toFixed(2)),
      latencyP95Ms: Number(quantile(latencies, 0.95).toFixed(2)),
      burstChunks: N,
      burstSeconds: Number(seconds.toFixed(2)),
      burstChunksPerS: Math.round(N / seconds),
    };
  } finally {
    await server.close();
  }
}

const stores = values.store === "both" ? ["pglite", "postgres"] : [values.store!];
const results: Record<string, Awaited<ReturnType<typeof measure>>> = {};
for (const store of stores) {
  results[store] = await withBenchEngine(store, "realtime", { worker: { concurrency: 10 } }, measure);
  console.log(store, JSON.stringify(results[store]));
}
console.log(`\n| store | append → SSE p50 | p95 | ${N} chunks burst | chunks/s |`);
console.log("|---|---|---|---|---|");
for (const [store, r] of Object.entries(results)) {
  console.log(
    `| ${store} | ${r.latencyP50Ms} ms | ${r.latencyP95Ms} ms | ${r.burstSeconds} s | ${r.burstChunksPerS} |`,
  );
}
process.exit(0);
