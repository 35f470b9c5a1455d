import { migrate } from "../src/migrations/index.js";
import { claimRuns } from "../src/sql/claim.js";
import { completeAttempts } from "../src/sql/complete.js";
import { syncQueues } from "../src/sql/queues.js";
import { insertRuns } from "../src/sql/trigger.js";
import { openPglite } from "../src/store/pglite.js";
import { openPostgres } from "../src/store/postgres.js";

const db = process.env.PG
  ? await openPostgres({ connectionString: "postgres://postgres@127.0.0.1:5432/test", schema: "plan2" })
  : await openPglite();
if (process.env.PG) {
  await db.query("drop schema if exists plan2 cascade");
  await db.query("create schema plan2");
}
await migrate(db);
await syncQueues(db, [{ name: "q", concurrencyLimit: 1000 }]);
if (process.env.DROP) for (const i of process.env.DROP.split(",")) await db.query(`drop index ${i}`);
const N = 5000,
  K = Number(process.env.K ?? 1);
for (let i = 0; i < N; i += 1000)
  await insertRuns(
    db,
    Array.from({ length: 1000 }, (_, j) => ({
      id: `r${i + j}`,
      task_id: "t",
      queue: "q",
      concurrency_key: `k${(i + j) % K}`,
      payload: "{}",
      payload_type: "application/json",
      metadata: null,
      tags: [],
      priority_s: 0,
      delay_ms: null,
      run_at: null,
      ttl_s: null,
      max_attempts: 3,
      max_duration_s: null,
      idempotency_key: null,
      parent_run_id: null,
      root_run_id: null,
      batch_id: null,
      depth: 0,
    })),
  );
let tc = 0,
  tk = 0,
  n = 0;
const t0 = performance.now();
while (n < N) {
  let t = performance.now();
  const rows = await claimRuns(db, {
    queues: ["q"],
    taskIds: ["t"],
    limit: 100,
    workerId: "w",
    leaseMs: 30000,
  });
  tc += performance.now() - t;
  t = performance.now();
  await completeAttempts(
    db,
    rows.map((r) => ({ id: r.id, attempt_id: r.attempt_id!, status: "COMPLETED", output: null })),
  );
  tk += performance.now() - t;
  n += rows.length;
}
console.log({
  perSec: Math.round(N / ((performance.now() - t0) / 1000)),
  claimMsPerBatch: tc / (N / Number(process.env.B ?? 100)),
  completeMsPerBatch: tk / (N / Number(process.env.B ?? 100)),
});
await db.close();
