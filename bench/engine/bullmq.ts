import { createRequire } from "node:module";
import { type Job, Queue, Worker } from "bullmq";
import type { Target } from "./harness.js";
import { chunks, probe, waitUntil } from "./stats.js";

const QUEUE = "bench-noop";

/**
 * BullMQ 6 makes its Redis driver an optional peer dependency and the repository does not
 * install one. Run with a driver on NODE_PATH, e.g.
 *   npm install --prefix /tmp/bench-deps ioredis@5.11.1
 *   NODE_PATH=/tmp/bench-deps/node_modules npm run bench:engine
 */
export function ioredisVersion(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    return (require(require.resolve("ioredis/package.json")) as { version: string }).version;
  } catch {
    return undefined;
  }
}

interface BullConfig {
  label: string;
  concurrency?: number;
}

const DEFAULT: BullConfig = { label: "defaults: Worker concurrency 1" };
const CONCURRENT: BullConfig = { label: "Worker concurrency 100", concurrency: 100 };

function makeTarget(cfg: BullConfig, redisUrl: string): Target {
  const url = new URL(redisUrl);
  const connection = { host: url.hostname, port: Number(url.port || 6379) };
  let queue: Queue | undefined;
  let worker: Worker | undefined;
  let completed = 0;

  return {
    key: "bullmq",
    system: "BullMQ 6.7.0 (Redis 7)",
    config: cfg.label,
    notes: [
      "enqueue: queue.addBulk() in batches of 1000",
      "completed = the worker's 'completed' event (after the job is moved to the completed set)",
    ],
    async setup() {
      if (!ioredisVersion()) {
        throw new Error(
          "skipped: BullMQ 6 needs a Redis driver (ioredis) that is not installed; " +
            "install one outside the repo and put it on NODE_PATH (see bench/engine/bullmq.ts)",
        );
      }
      queue = new Queue(QUEUE, { connection });
      await queue.obliterate({ force: true });
      completed = 0;
    },
    async enqueue(ids) {
      for (const chunk of chunks(ids, 1000)) {
        await queue!.addBulk(chunk.map((i) => ({ name: "noop", data: { i } })));
      }
    },
    async startWorkers() {
      worker = new Worker(
        QUEUE,
        async (job: Job<{ i: number }>) => {
          probe.hit(job.data.i);
        },
        { connection, ...(cfg.concurrency ? { concurrency: cfg.concurrency } : {}) },
      );
      worker.on("completed", () => {
        completed++;
      });
      worker.on("error", (e) => console.error("[bullmq]", e));
    },
    async waitCompleted(n) {
      await waitUntil(() => completed >= n, `${n} BullMQ 'completed' events`, 120_000, 2);
    },
    async enqueueOne(id) {
      await queue!.add("noop", { i: id });
    },
    async teardown() {
      await worker?.close().catch(() => {});
      worker = undefined;
      await queue?.obliterate({ force: true }).catch(() => {});
      await queue?.close().catch(() => {});
      queue = undefined;
    },
  };
}

export function bullmqTargets(redisUrl: string): Target[] {
  return [makeTarget(DEFAULT, redisUrl), makeTarget(CONCURRENT, redisUrl)];
}
