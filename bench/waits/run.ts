/**
 * Durable-wait benchmarks (not a test): `npm run bench:waits`.
 *
 * 1. Memory: N runs suspended on wait tokens in one process. A waiting run is a row, not a
 *    closure: RSS after N runs are WAITING should be close to the idle baseline.
 * 2. Resume latency: from `wait.completeToken()` returning to the code after `wait.forToken()`
 *    running again (the run is queued, claimed, and replays its journal), p50/p95.
 *
 * Flags: --store pglite|postgres|both (default both), --n 10000, --samples 200.
 * PostgreSQL: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), in a scratch schema.
 */
import { parseArgs } from "node:util";
import { runs, task, wait } from "@mainspring/sdk";
import type { Engine } from "../../packages/engine/src/index.js";
import { withBenchEngine } from "../with-engine.js";

const { values } = parseArgs({
  options: {
    store: { type: "string", default: "both" },
    n: { type: "string", default: "10000" },
    samples: { type: "string", default: "200" },
  },
});
const N = Number(values.n);
const SAMPLES = Number(values.samples);

const resumedAt = new Map<string, number>();
const waiter = task({
  id: "bench-token-waiter",
  run: async (payload: { token: string }) => {
    await wait.forToken(payload.token);
    resumedAt.set(payload.token, performance.now());
  },
});

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
const gc = () => (globalThis as { gc?: () => void }).gc?.();
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

async function until(check: () => Promise<boolean>, timeoutMs = 600_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function memory(engine: Engine) {
  const count = async (status: string) =>
    Number(
      (
        await engine.db.query<{ n: number }>("select count(*)::int as n from ms_runs where status = $1", [
          status,
        ])
      ).rows[0]!.n,
    );
  // Warm up (first claims, prepared statements, JIT) before the baseline.
  const warm = await wait.createToken({});
  const warmRun = await waiter.trigger({ token: warm.id });
  await until(async () => (await runs.retrieve(warmRun.id)).status === "WAITING");
  await wait.completeToken(warm, null);
  await until(async () => (await runs.retrieve(warmRun.id)).status === "COMPLETED");
  gc();
  const baseline = process.memoryUsage();
  const tokens: string[] = [];
  for (let i = 0; i < N; i += 1000) {
    const made = await Promise.all(Array.from({ length: Math.min(1000, N - i) }, () => wait.createToken({})));
    tokens.push(...made.map((t) => t.id));
    await waiter.batchTrigger(made.map((t) => ({ payload: { token: t.id } })));
  }
  await until(async () => (await count("WAITING")) === N);
  gc();
  const waiting = process.memoryUsage();
  const started = performance.now();
  for (const t of tokens) await wait.completeToken(t, null);
  await until(async () => (await count("COMPLETED")) >= N);
  const drainS = (performance.now() - started) / 1000;
  gc();
  return {
    heapIdleMb: mb(baseline.heapUsed),
    heapWaitingMb: mb(waiting.heapUsed),
    rssIdleMb: mb(baseline.rss),
    rssWaitingMb: mb(waiting.rss),
    drainS,
  };
}

async function latency(_engine: Engine) {
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES + 10; i++) {
    const token = await wait.createToken({});
    const handle = await waiter.trigger({ token: token.id });
    await until(async () => (await runs.retrieve(handle.id)).status === "WAITING");
    const t0 = performance.now();
    await wait.completeToken(token, null);
    await until(async () => resumedAt.has(token.id), 10_000);
    if (i >= 10) samples.push(resumedAt.get(token.id)! - t0);
  }
  return { p50Ms: quantile(samples, 0.5), p95Ms: quantile(samples, 0.95) };
}

const stores = values.store === "both" ? ["pglite", "postgres"] : [values.store!];
const results: Record<string, unknown> = {};
for (const store of stores) {
  results[store] = await withBenchEngine(
    store,
    "waits",
    { worker: { concurrency: 200 } },
    async (engine) => ({
      memory: await memory(engine),
      resume: await latency(engine),
    }),
  );
  console.log(store, JSON.stringify(results[store]));
}
console.log(
  `\n| store | runs waiting | JS heap idle → waiting | RSS idle → waiting | resume p50 | resume p95 |`,
);
console.log(`|---|---|---|---|---|---|`);
for (const [store, r] of Object.entries(results) as Array<[string, any]>) {
  const m = r.memory;
  console.log(
    `| ${store} | ${N} | ${m.heapIdleMb} → ${m.heapWaitingMb} MB | ${m.rssIdleMb} → ${m.rssWaitingMb} MB | ${r.resume.p50Ms.toFixed(1)} ms | ${r.resume.p95Ms.toFixed(1)} ms |`,
  );
}
