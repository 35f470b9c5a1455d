import { migrate } from "../src/migrations/index.js";
import { claimRuns } from "../src/sql/claim.js";
import { syncQueues } from "../src/sql/queues.js";
import { openPglite } from "../src/store/pglite.js";

const db = await openPglite();
await migrate(db);
await syncQueues(db, [{ name: "q" }]);
const p = { queues: ["q"], taskIds: ["t"], limit: 20, workerId: "w", leaseMs: 1000 };
let t = performance.now();
for (let i = 0; i < 500; i++) await claimRuns(db, p);
console.log("empty claim ms", (performance.now() - t) / 500);
t = performance.now();
for (let i = 0; i < 500; i++) await db.query("select 1");
console.log("select 1 ms", (performance.now() - t) / 500);
const r = await db.query<any>(
  "explain (analyze, format json) " + (await import("../src/sql/claim.js")).CLAIM_SQL,
  [JSON.stringify(["q"]), JSON.stringify(["t"]), 20, "w", 1000],
);
console.log(r.rows[0]["QUERY PLAN"][0]["Planning Time"], r.rows[0]["QUERY PLAN"][0]["Execution Time"]);
