import { CLAIM_SQL } from "../src/sql/claim.js";
import { openPostgres } from "../src/store/postgres.js";

const db = await openPostgres({
  connectionString: "postgres://postgres@127.0.0.1:5432/test",
  schema: "plan2",
});
await db.query("update ms_runs set status='QUEUED'");
await db.query(
  "update ms_queue_keys set queued = (select count(*) from ms_runs r where r.concurrency_key = ms_queue_keys.key), running = 0",
);
await db.query("analyze");
const r = await db.query<any>("explain (analyze, buffers off, timing on) " + CLAIM_SQL, [
  JSON.stringify(["q"]),
  JSON.stringify(["t"]),
  100,
  "w",
  1000,
]);
console.log(r.rows.map((x: any) => x["QUERY PLAN"]).join("\n"));
await db.close();
