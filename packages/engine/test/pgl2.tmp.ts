import { startEngine } from "@mainspring/engine";
import { queue, task } from "@mainspring/sdk";

let n = 0;
let done!: () => void;
const all = new Promise<void>((r) => (done = r));
const N = Number(process.env.N ?? 5000);
const q = queue({ name: "fq", concurrencyLimit: 1000 });
const t = task({
  id: "noop",
  queue: q,
  run: async () => {
    if (process.env.SLEEP) await new Promise((r) => setTimeout(r, Number(process.env.SLEEP)));
    if (++n === N) done();
  },
});
const engine = await startEngine({
  worker: { concurrency: Number(process.env.C ?? 20), pollIntervalMs: 250, leaseMs: 5000 },
  maintenance: process.env.MAINT ? { intervalMs: 100, rescueIntervalMs: 200 } : false,
});
await engine.pauseQueue("fq", true);
for (let i = 0; i < N; i += 1000)
  await t.batchTrigger(
    Array.from({ length: Math.min(1000, N - i) }, () => ({ payload: {}, options: { concurrencyKey: "A" } })),
  );
const t0 = performance.now();
await engine.pauseQueue("fq", false);
await all;
console.log("runs/s", Math.round(N / ((performance.now() - t0) / 1000)));
await engine.stop();
