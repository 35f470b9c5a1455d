/**
 * CRM benchmarks (not a test): `npm run bench:scoring`.
 *
 * 1. Lead scoring: N generated prospects (default 100,000) in one enterprise workspace, then
 *    `bulk-score-leads` through the engine (trigger → run completed), `--reps` times with
 *    rescoreAll. Reports wall time and leads/s (median), and the seeding time.
 * 2. Document indexing: D generated documents (the demo corpus with distinct numbers, so no
 *    two chunks share a hash) indexed by `bulk-index-documents` with the offline model:
 *    chunks/s. Then a forced re-index of the unchanged corpus (embeds nothing) and search
 *    latency (p50/p95 over the queries of the search test).
 *
 * Flags: --store pglite|postgres|both (default both), --n 100000, --reps 3, --docs 60,
 * --page-size 2000. PostgreSQL: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test),
 * in a scratch schema dropped afterwards. PGlite: a temporary data folder (fsync off, the default).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type Run, runs } from "@mainspring/sdk";
import pg from "pg";
import { DEMO_DOCUMENTS } from "../../app/src/crm/demo/corpus.js";
import { generateProspects, rng } from "../../app/src/crm/demo/generate.js";
import { createDocuments } from "../../app/src/crm/documents.js";
import { embeddingProviderFromEnv } from "../../app/src/crm/embeddings/provider.js";
import { toPgvector } from "../../app/src/crm/embeddings/vector.js";
import { newId } from "../../app/src/crm/ids.js";
import { insertProspects } from "../../app/src/crm/prospects.js";
import { searchDocuments } from "../../app/src/crm/search/search.js";
import { setupCrm } from "../../app/src/crm/setup.js";
import { createWorkspace } from "../../app/src/crm/workspaces.js";
import { type CrmDb, unbindCrmStore } from "../../app/src/db/store.js";
import { vectorSql } from "../../app/src/db/vector-mode.js";
import {
  buildWorkspaceQueueOptions,
  bulkIndexDocumentsTask,
  bulkScoreLeadsTask,
} from "../../app/src/trigger/jobs.js";
import { type Engine, startEngine } from "../../packages/engine/src/index.js";

const { values } = parseArgs({
  options: {
    store: { type: "string", default: "both" },
    n: { type: "string", default: "100000" },
    reps: { type: "string", default: "3" },
    docs: { type: "string", default: "60" },
    "page-size": { type: "string", default: "2000" },
    "scale-chunks": { type: "string", default: "1000,5000" },
  },
});
const N = Number(values.n);
const REPS = Number(values.reps);
const DOCS = Number(values.docs);
const PAGE = Number(values["page-size"]);
const SCALE = values["scale-chunks"]!.split(",").filter(Boolean).map(Number);
const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

async function done(id: string, timeoutMs = 1_800_000): Promise<Run> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await runs.retrieve(id);
    if (run.isCompleted) {
      if (run.status !== "COMPLETED")
        throw new Error(`run ${id} ended ${run.status}: ${JSON.stringify(run.error)}`);
      return run;
    }
    if (Date.now() > deadline) throw new Error(`run ${id} did not finish`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function withEngine<T>(store: string, fn: (engine: Engine) => Promise<T>): Promise<T> {
  let cleanup = async () => {};
  let engine: Engine;
  if (store === "pglite") {
    const dir = mkdtempSync(join(tmpdir(), "ms-bench-scoring-"));
    engine = await startEngine({ dataDir: dir, worker: { concurrency: 20 } });
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const schema = `bench_scoring_${process.pid}`;
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    await admin.query(`drop schema if exists ${schema} cascade; create schema ${schema}`);
    engine = await startEngine({ databaseUrl: DATABASE_URL, schema, worker: { concurrency: 20 } });
    cleanup = async () => {
      await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.end();
    };
  }
  try {
    await setupCrm(engine.db, { log: (l) => console.log(l) });
    return await fn(engine);
  } finally {
    await engine.stop();
    unbindCrmStore(engine.db);
    await cleanup();
  }
}

/** The demo articles with a distinct figure in every paragraph: D documents, no shared chunk. */
function corpus(d: number) {
  return Array.from({ length: d }, (_, i) => {
    const base = DEMO_DOCUMENTS[i % DEMO_DOCUMENTS.length]!;
    return {
      title: `${base.title} (${i + 1})`,
      content: base.content.replace(/\n\n/g, ` (ref ${i + 1}).\n\n`),
    };
  });
}

const QUERIES = [
  "getting reimbursed after cancelling my plan",
  "is my data encrypted",
  "what certifications do you have for privacy",
  "sync contacts with another CRM",
  "my messages are flagged as spam",
  "how much does it cost for a big company",
  "how to onboard my sales team",
];

const WORDS =
  "account billing contract pipeline forecast renewal invoice onboarding integration security export import webhook campaign sequence reply meeting quota territory discount".split(
    " ",
  );

/**
 * A workspace of `chunks` synthetic chunks (10 per document) for search latency at scale:
 * random words and random unit vectors, stored under the real model's id so the vector list
 * scans them all. Embedding thousands of real chunks would take minutes and measure the model.
 */
async function syntheticWorkspace(db: CrmDb, chunks: number): Promise<string> {
  const ws = await createWorkspace(db, {
    id: newId("ws"),
    name: "Scale",
    slug: `scale-${chunks}-${Date.now()}`,
    tier: "enterprise",
  });
  const model = embeddingProviderFromEnv().model;
  const vsql = await vectorSql(db);
  const r = rng(chunks);
  const docs = Math.ceil(chunks / 10);
  const ids = await createDocuments(
    db,
    ws.id,
    Array.from({ length: docs }, (_, i) => ({ title: `Synthetic ${i}`, content: "synthetic" })),
  );
  for (let d = 0; d < docs; d += 50) {
    const rows = ids.slice(d, d + 50).flatMap((itemId) =>
      Array.from({ length: 10 }, (_, ordinal) => {
        const v = Array.from({ length: 512 }, () => r() - 0.5);
        const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
        const content = Array.from({ length: 120 }, () => WORDS[Math.floor(r() * WORDS.length)]).join(" ");
        return {
          item_id: itemId,
          ordinal,
          content,
          hash: `${itemId}-${ordinal}`,
          embedding: toPgvector(v.map((x) => x / norm)),
        };
      }),
    );
    await db.query(
      `insert into crm_chunks (workspace_id, item_id, ordinal, heading, content, content_hash, embedding_model, embedding)
       select $1, r.item_id, r.ordinal, 'Synthetic', r.content, r.hash, $2, ${vsql.cast("r.embedding")}
       from jsonb_to_recordset($3::jsonb) as r(item_id text, ordinal integer, content text, hash text, embedding text)`,
      [ws.id, model, JSON.stringify(rows)],
    );
  }
  await db.exec("analyze crm_chunks");
  return ws.id;
}

async function benchStore(store: string) {
  return withEngine(store, async (engine) => {
    const db = engine.db;
    const ws = await createWorkspace(db, {
      id: newId("ws"),
      name: "Bench",
      slug: `bench-${Date.now()}`,
      tier: "enterprise",
    });
    const opts = buildWorkspaceQueueOptions(ws.id, ws.tier, "bench");

    // 1. Seed N prospects, 5,000 per statement.
    let t = performance.now();
    const now = new Date();
    for (let i = 0; i < N; i += 5_000) {
      await insertProspects(db, ws.id, generateProspects(Math.min(5_000, N - i), 42 + i, now));
    }
    const seedS = (performance.now() - t) / 1000;
    console.log(`[${store}] seeded ${N} prospects in ${seedS.toFixed(1)} s`);

    const scoring: Array<{ wallS: number; leadsPerS: number; scored: number }> = [];
    for (let rep = 0; rep < REPS; rep++) {
      t = performance.now();
      const handle = await bulkScoreLeadsTask.trigger(
        { workspaceId: ws.id, rescoreAll: rep > 0, pageSize: PAGE },
        opts,
      );
      const run = await done(handle.id);
      const wallS = (performance.now() - t) / 1000;
      const scored = (run.output as { scored: number }).scored;
      if (scored !== N)
        throw new Error(
          `scored ${scored}, expected ${N}; attempts ${run.attemptCount}: ${JSON.stringify(await runs.retrieve(handle.id))}`,
        );
      scoring.push({ wallS, leadsPerS: scored / wallS, scored });
      console.log(
        `[${store}] bulk-score-leads rep ${rep + 1}: ${scored} leads in ${wallS.toFixed(2)} s = ${Math.round(scored / wallS)} leads/s`,
      );
    }

    // 2. Index D documents, then force a re-index of the unchanged corpus, then search.
    await createDocuments(db, ws.id, corpus(DOCS));
    t = performance.now();
    const indexed = (await done((await bulkIndexDocumentsTask.trigger({ workspaceId: ws.id }, opts)).id))
      .output as {
      chunks: number;
      embedded: number;
    };
    const indexS = (performance.now() - t) / 1000;
    console.log(
      `[${store}] indexed ${DOCS} documents: ${indexed.chunks} chunks (${indexed.embedded} embedded) in ${indexS.toFixed(1)} s = ${(indexed.chunks / indexS).toFixed(1)} chunks/s`,
    );
    t = performance.now();
    const reindexed = (
      await done((await bulkIndexDocumentsTask.trigger({ workspaceId: ws.id, force: true }, opts)).id)
    ).output as { chunks: number; embedded: number };
    const reindexS = (performance.now() - t) / 1000;
    console.log(
      `[${store}] forced re-index: ${reindexed.chunks} chunks, ${reindexed.embedded} embedded, in ${reindexS.toFixed(1)} s`,
    );
    const latencies: number[] = [];
    let mode = "";
    for (let i = 0; i < 5; i++) {
      for (const query of QUERIES) {
        const s = performance.now();
        const r = await searchDocuments({ workspaceId: ws.id, query, limit: 5 }, { db });
        latencies.push(performance.now() - s);
        mode = r.vectorMode;
      }
    }
    console.log(
      `[${store}] search (${mode}) over ${indexed.chunks} chunks: p50 ${quantile(latencies, 0.5).toFixed(1)} ms, p95 ${quantile(latencies, 0.95).toFixed(1)} ms`,
    );
    const scale: Array<{ chunks: number; p50Ms: number; p95Ms: number }> = [];
    for (const chunks of SCALE) {
      const big = await syntheticWorkspace(db, chunks);
      const ms: number[] = [];
      for (let i = 0; i < 3; i++) {
        for (const query of QUERIES) {
          const s0 = performance.now();
          await searchDocuments({ workspaceId: big, query, limit: 5 }, { db });
          ms.push(performance.now() - s0);
        }
      }
      scale.push({ chunks, p50Ms: quantile(ms, 0.5), p95Ms: quantile(ms, 0.95) });
      console.log(
        `[${store}] search (${mode}) over ${chunks} chunks: p50 ${quantile(ms, 0.5).toFixed(1)} ms, p95 ${quantile(ms, 0.95).toFixed(1)} ms`,
      );
    }
    return {
      store,
      n: N,
      searchAtScale: scale,
      seedS,
      scoring,
      scoringMedian: {
        wallS: median(scoring.map((s) => s.wallS)),
        leadsPerS: median(scoring.map((s) => s.leadsPerS)),
      },
      indexing: {
        documents: DOCS,
        chunks: indexed.chunks,
        embedded: indexed.embedded,
        wallS: indexS,
        chunksPerS: indexed.chunks / indexS,
      },
      reindex: { chunks: reindexed.chunks, embedded: reindexed.embedded, wallS: reindexS },
      search: {
        vectorMode: mode,
        chunks: indexed.chunks,
        p50Ms: quantile(latencies, 0.5),
        p95Ms: quantile(latencies, 0.95),
      },
    };
  });
}

const stores = values.store === "both" ? ["pglite", "postgres"] : [values.store!];
const results = [];
const load = loadavg()[0]!.toFixed(1);
for (const store of stores) results.push(await benchStore(store));
const file = join("bench", "results", `scoring-${new Date().toISOString().slice(0, 10)}.json`);
writeFileSync(
  file,
  `${JSON.stringify(
    {
      at: new Date().toISOString(),
      node: process.version,
      cpus: cpus().length,
      cpu: cpus()[0]?.model,
      loadBefore: load,
      loadAfter: loadavg()[0]!.toFixed(1),
      pageSize: PAGE,
      results,
    },
    null,
    2,
  )}\n`,
);
console.log(
  `\n| store | leads | bulk-score-leads wall (median of ${REPS}) | leads/s | chunks/s (indexing) | re-index embedded | search p50 / p95 |`,
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const r of results) {
  console.log(
    `| ${r.store} | ${r.n.toLocaleString("en-US")} | ${r.scoringMedian.wallS.toFixed(2)} s | ${Math.round(r.scoringMedian.leadsPerS).toLocaleString("en-US")} | ${r.indexing.chunksPerS.toFixed(1)} | ${r.reindex.embedded} of ${r.reindex.chunks} | ${r.search.p50Ms.toFixed(1)} / ${r.search.p95Ms.toFixed(1)} ms (${r.search.vectorMode}) |`,
  );
}
console.log(`\nraw: ${file}`);
