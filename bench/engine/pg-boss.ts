import pg from "pg";
import PgBoss from "pg-boss";
import type { Target } from "./harness.js";
import { chunks, probe, waitUntil } from "./stats.js";

const SCHEMA = "bench_pgboss";
const QUEUE = "bench-noop";

interface BossConfig {
  label: string;
  /** work() calls (pg-boss 10 dropped teamSize: concurrency is several work() calls). */
  workers: number;
  batchSize?: number;
  pollingIntervalSeconds?: number;
  maxConnections?: number;
  n?: number;
  maxLatencySamples?: number;
  latencyWarmup?: number;
  repetitions?: number;
}

/**
 * One work() with its defaults: batchSize 1, a 2 s polling interval. pg-boss 10's worker
 * sleeps the rest of the interval after every fetch, so it completes ~1 job per 2 s whatever
 * the machine does: the throughput phase uses 10 jobs and a single repetition, and the latency
 * phase (each sample enqueued at a random point of the 2 s poll cycle) 15 samples.
 */
const DEFAULT: BossConfig = {
  label: "defaults: 1 work(), batchSize 1, polling 2 s",
  workers: 1,
  n: 10,
  repetitions: 1,
  maxLatencySamples: 15,
  latencyWarmup: 1,
};

const BATCHED: BossConfig = {
  label: "batched: 10 work() x batchSize 200, polling 0.5 s (minimum), pool 20",
  workers: 10,
  batchSize: 200,
  pollingIntervalSeconds: 0.5,
  maxConnections: 20,
  maxLatencySamples: 60,
  latencyWarmup: 3,
};

function makeTarget(cfg: BossConfig, connectionString: string): Target {
  let boss: PgBoss | undefined;
  let pool: pg.Pool | undefined;

  const handler = async (jobs: PgBoss.Job<{ i: number }>[]) => {
    for (const job of jobs) probe.hit(job.data.i);
  };

  return {
    key: "pg-boss",
    system: "pg-boss 10.4.2",
    config: cfg.label,
    n: cfg.n,
    repetitions: cfg.repetitions,
    maxLatencySamples: cfg.maxLatencySamples,
    latencyWarmup: cfg.latencyWarmup,
    latencyJitterMs: (cfg.pollingIntervalSeconds ?? 2) * 1000,
    notes: [
      "enqueue: boss.insert() in batches of 1000",
      "completed = state 'completed' in the job table; no notifyWorker() (cross-process producers cannot use it)",
    ],
    async setup() {
      pool = new pg.Pool({ connectionString, max: 1 });
      await pool.query(`drop schema if exists ${SCHEMA} cascade`);
      boss = new PgBoss({
        connectionString,
        schema: SCHEMA,
        ...(cfg.maxConnections ? { max: cfg.maxConnections } : {}),
      });
      boss.on("error", (e) => console.error("[pg-boss]", e));
      await boss.start();
      await boss.createQueue(QUEUE);
    },
    async enqueue(ids) {
      for (const chunk of chunks(ids, 1000)) {
        await boss!.insert(chunk.map((i) => ({ name: QUEUE, data: { i } })));
      }
    },
    async startWorkers() {
      const options: PgBoss.WorkOptions = {};
      if (cfg.batchSize) options.batchSize = cfg.batchSize;
      if (cfg.pollingIntervalSeconds) options.pollingIntervalSeconds = cfg.pollingIntervalSeconds;
      for (let w = 0; w < cfg.workers; w++) await boss!.work(QUEUE, options, handler);
    },
    async waitCompleted(n) {
      await waitUntil(
        async () => {
          const { rows } = await pool!.query(
            `select count(*)::int as c from ${SCHEMA}.job where name = $1 and state = 'completed'`,
            [QUEUE],
          );
          return rows[0].c >= n;
        },
        `${n} completed pg-boss jobs`,
        120_000,
      );
    },
    async enqueueOne(id) {
      await boss!.send(QUEUE, { i: id });
    },
    async teardown() {
      await boss?.stop({ graceful: true, wait: true, timeout: 5000 }).catch(() => {});
      boss = undefined;
      await pool?.query(`drop schema if exists ${SCHEMA} cascade`).catch(() => {});
      await pool?.end().catch(() => {});
      pool = undefined;
    },
  };
}

export function pgBossTargets(connectionString: string): Target[] {
  return [makeTarget(DEFAULT, connectionString), makeTarget(BATCHED, connectionString)];
}
