import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Engine, openStore, startEngine } from "@mainspring/engine";
import { queue, task } from "@mainspring/sdk";
import pg from "pg";
import type { Target } from "./harness.js";
import { chunks, probe, waitUntil } from "./stats.js";

// Tasks and queues are registered at module load: the engine syncs queues on start and its
// worker claims only tasks registered in this process.
const fairQueue = queue({ name: "bench-fair", concurrencyLimit: 10 });

const fairNoop = task({
  id: "bench-noop-fair",
  queue: fairQueue,
  run: async (p: { i: number }) => {
    probe.hit(p.i);
  },
});

const plainNoop = task({
  id: "bench-noop-plain",
  run: async (p: { i: number }) => {
    probe.hit(p.i);
  },
});

/** The worker options the brief asks for, and a larger-batch variant (graphile-worker's best config fetches 500). */
export const WORKER = { concurrency: 200, batchSize: 100 } as const;
export const WORKER_LARGE = { concurrency: 1000, batchSize: 500 } as const;
export const KEYS = 100;

type Store = "postgres" | "pglite-memory" | "pglite-dir";
type Mode = "fair" | "plain";

type Db = Awaited<ReturnType<typeof openStore>>;

function makeTarget(
  store: Store,
  mode: Mode,
  databaseUrl: string,
  worker: { concurrency: number; batchSize: number } = WORKER,
): Target {
  const noop = mode === "fair" ? fairNoop : plainNoop;
  const optionsFor = (i: number) => (mode === "fair" ? { concurrencyKey: `k${i % KEYS}` } : undefined);
  const schema = `bench_ms_${mode}`;
  let db: Db | undefined;
  let engine: Engine | undefined;
  let dir: string | undefined;

  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };

  const storeLabel = {
    postgres: "PostgreSQL",
    "pglite-memory": "PGlite (in-memory)",
    "pglite-dir": "PGlite (temp dataDir, durable: false)",
  }[store];
  const configLabel =
    (mode === "fair" ? `fair: ${KEYS} concurrency keys, limit 10/key` : "plain: no keys, no limit") +
    `; worker concurrency ${worker.concurrency}, batchSize ${worker.batchSize}`;

  return {
    key: `mainspring-${store}`,
    system: `Mainspring on ${storeLabel}`,
    config: configLabel,
    notes: [
      "enqueue: noop.batchTrigger() in batches of 1000 through a trigger-only engine (worker: false) on the same store",
      "timer covers startEngine() of the worker engine (migrate no-op, queue sync, LISTEN) until ms_runs shows N COMPLETED",
    ],
    async setup() {
      if (store === "postgres") {
        await admin(`drop schema if exists ${schema} cascade; create schema ${schema}`);
        db = await openStore({ databaseUrl, schema });
      } else if (store === "pglite-dir") {
        dir = mkdtempSync(join(tmpdir(), "bench-ms-pglite-"));
        db = await openStore({ dataDir: dir });
      } else {
        db = await openStore({});
      }
    },
    async enqueue(ids) {
      const producer = await startEngine({ db, worker: false, maintenance: false });
      try {
        for (const chunk of chunks(ids, 1000)) {
          await noop.batchTrigger(chunk.map((i) => ({ payload: { i }, options: optionsFor(i) })));
        }
      } finally {
        await producer.stop();
      }
    },
    async startWorkers() {
      engine = await startEngine({ db, worker: { ...worker } });
    },
    async waitCompleted(n) {
      await waitUntil(
        async () => {
          const { rows } = await db!.query<{ c: number }>(
            "select count(*)::int as c from ms_runs where status = 'COMPLETED'",
          );
          return rows[0]!.c >= n;
        },
        `${n} COMPLETED runs`,
        120_000,
      );
    },
    async enqueueOne(id) {
      await noop.trigger({ i: id }, optionsFor(id));
    },
    async teardown() {
      await engine?.stop(5000).catch(() => {});
      engine = undefined;
      await db?.close().catch(() => {});
      db = undefined;
      if (store === "postgres") await admin(`drop schema if exists ${schema} cascade`);
      if (dir) rmSync(dir, { recursive: true, force: true });
      dir = undefined;
    },
  };
}

export function mainspringTargets(databaseUrl: string): Target[] {
  return [
    makeTarget("postgres", "fair", databaseUrl),
    makeTarget("postgres", "fair", databaseUrl, WORKER_LARGE),
    makeTarget("postgres", "plain", databaseUrl),
    makeTarget("pglite-memory", "fair", databaseUrl),
    makeTarget("pglite-memory", "fair", databaseUrl, WORKER_LARGE),
    makeTarget("pglite-memory", "plain", databaseUrl),
    makeTarget("pglite-dir", "fair", databaseUrl),
  ];
}
