import { Logger, makeWorkerUtils, type Runner, run, runMigrations, type WorkerUtils } from "graphile-worker";
import pg from "pg";
import type { Target } from "./harness.js";
import { chunks, probe, waitUntil } from "./stats.js";

const SCHEMA = "bench_gw";
const TASK = "bench_noop";
const silent = new Logger(() => () => {});

interface GwConfig {
  label: string;
  /** Fraction of --n for the throughput phase. */
  nFactor?: number;
  concurrency: number;
  maxPoolSize?: number;
  worker?: { localQueue?: { size: number }; completeJobBatchDelay?: number; failJobBatchDelay?: number };
}

/**
 * Concurrency 10 (the library's own default is 1); everything else as shipped. About 1,000
 * runs/s here, so its throughput phase uses N/2 jobs to keep the whole run near 10 minutes.
 */
const DEFAULT: GwConfig = {
  label: "defaults, concurrency 10 (no localQueue, no completion batching)",
  concurrency: 10,
  nFactor: 0.5,
};

/** The configuration graphile-worker's performance page publishes its numbers with. */
const BATCHED: GwConfig = {
  label:
    "docs' performance config: concurrency 24, maxPoolSize 25, localQueue 500, complete/failJobBatchDelay 0",
  concurrency: 24,
  maxPoolSize: 25,
  worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 },
};

function makeTarget(cfg: GwConfig, connectionString: string, n: number): Target {
  let pool: pg.Pool | undefined;
  let utils: WorkerUtils | undefined;
  let runner: Runner | undefined;

  return {
    key: "graphile-worker",
    system: "graphile-worker 0.17.3",
    config: cfg.label,
    n: cfg.nFactor ? Math.max(1, Math.round(n * cfg.nFactor)) : undefined,
    notes: [
      "enqueue: workerUtils.addJobs() in batches of 1000",
      `completed = row gone from ${SCHEMA}._private_jobs (graphile-worker deletes jobs on success)`,
    ],
    async setup() {
      pool = new pg.Pool({ connectionString, max: 2 });
      await pool.query(`drop schema if exists ${SCHEMA} cascade`);
      await runMigrations({ connectionString, schema: SCHEMA, logger: silent });
      utils = await makeWorkerUtils({ connectionString, schema: SCHEMA, logger: silent });
    },
    async enqueue(ids) {
      for (const chunk of chunks(ids, 1000)) {
        await utils!.addJobs(chunk.map((i) => ({ identifier: TASK, payload: { i } })));
      }
    },
    async startWorkers() {
      runner = await run({
        connectionString,
        schema: SCHEMA,
        concurrency: cfg.concurrency,
        ...(cfg.maxPoolSize ? { maxPoolSize: cfg.maxPoolSize } : {}),
        noHandleSignals: true,
        logger: silent,
        taskList: {
          [TASK]: async (payload) => {
            probe.hit((payload as { i: number }).i);
          },
        },
        ...(cfg.worker ? { preset: { worker: cfg.worker } } : {}),
      });
    },
    async waitCompleted() {
      await waitUntil(
        async () => {
          const { rows } = await pool!.query(`select count(*)::int as c from ${SCHEMA}._private_jobs`);
          return rows[0].c === 0;
        },
        "graphile-worker jobs table to empty",
        120_000,
      );
    },
    async enqueueOne(id) {
      await utils!.addJob(TASK, { i: id });
    },
    async teardown() {
      await runner?.stop().catch(() => {});
      runner = undefined;
      await Promise.resolve(utils?.release()).catch(() => {});
      utils = undefined;
      await pool?.query(`drop schema if exists ${SCHEMA} cascade`).catch(() => {});
      await pool?.end().catch(() => {});
      pool = undefined;
    },
  };
}

export function graphileWorkerTargets(connectionString: string, n: number): Target[] {
  return [makeTarget(DEFAULT, connectionString, n), makeTarget(BATCHED, connectionString, n)];
}
