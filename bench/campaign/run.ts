/**
 * Campaign sending benchmark (not a test): `npm run bench:campaign`.
 *
 * N leads (default 100,000) in one enterprise workspace, one campaign to all of them, sent by
 * `send-campaign` through the engine to a real SMTP server in this process (smtp-server, the
 * same sink as the tests, bodies discarded). The workspace's rate limit is set with --rate
 * (messages/s, MAIL_RATE_LIMIT_ENTERPRISE; 0 = none). Reports wall time, messages/s, the
 * highest count in any 1-second window (from the ledger's claim times) against the limit, and
 * checks that every Message-ID arrived once.
 *
 * Flags: --store pglite|postgres (default pglite), --n 100000, --rate 1000, --concurrency 10.
 * PostgreSQL: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), scratch schema.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type Run, runs } from "@mainspring/sdk";
import pg from "pg";
import { createCampaign } from "../../app/src/crm/email/campaigns.js";
import { insertProspects } from "../../app/src/crm/prospects.js";
import { setupCrm } from "../../app/src/crm/setup.js";
import { createWorkspace } from "../../app/src/crm/workspaces.js";
import { unbindCrmStore } from "../../app/src/db/store.js";
import { campaignSendOptions, sendCampaignTask } from "../../app/src/trigger/campaign-sender.js";
import { startSmtpSink } from "../../app/test/smtp-sink.js";
import { startEngine } from "../../packages/engine/src/index.js";

const { values } = parseArgs({
  options: {
    store: { type: "string", default: "pglite" },
    n: { type: "string", default: "100000" },
    rate: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "10" },
  },
});
const N = Number(values.n);
const RATE = Number(values.rate);
const DB_URL = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";

const sink = await startSmtpSink({ keepRaw: false });
process.env.SMTP_URL = sink.url;
process.env.MAIL_FROM = "Bench <bench@bench.test>";
process.env.MAIL_RATE_LIMIT_ENTERPRISE = String(RATE);
process.env.MAIL_CONCURRENCY = values.concurrency;
process.env.CAMPAIGN_APPROVAL_THRESHOLD = String(N + 1);

let schema: string | undefined;
let dir: string | undefined;
if (values.store === "postgres") {
  schema = `bench_mail_${Date.now()}`;
  const c = new pg.Client({ connectionString: DB_URL });
  await c.connect();
  await c.query(`create schema ${schema}`);
  await c.end();
} else dir = mkdtempSync(join(tmpdir(), "ms-bench-mail-"));

const engine = await startEngine({
  ...(schema ? { databaseUrl: DB_URL, schema } : { dataDir: dir }),
  worker: { concurrency: 10 },
  onError: (e, where) => console.error(where, e),
});
try {
  await setupCrm(engine.db, { log: () => {} });
  const ws = await createWorkspace(engine.db, {
    id: "ws_bench",
    name: "Bench",
    slug: "bench",
    tier: "enterprise",
  });
  const t0 = performance.now();
  for (let i = 0; i < N; i += 10_000) {
    await insertProspects(
      engine.db,
      ws.id,
      Array.from({ length: Math.min(10_000, N - i) }, (_, j) => ({
        firstName: `Lead${i + j}`,
        email: `lead${i + j}@bench.test`,
        company: "Bench Co",
      })),
    );
  }
  const seedMs = performance.now() - t0;
  const campaign = await createCampaign(engine.db, {
    workspaceId: ws.id,
    name: "Bench",
    subject: "Hello {{first_name|there}}",
    body: "Hi {{name|there}},\n\nour news from {{company|us}}.\n",
    audience: "all_leads",
  });
  const start = performance.now();
  const handle = await sendCampaignTask.trigger(
    { campaignId: campaign.id, workspaceId: ws.id },
    campaignSendOptions(ws.id, ws.tier, campaign.id),
  );
  let run: Run;
  for (;;) {
    run = await runs.retrieve(handle.id);
    if (run.isCompleted) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const wallS = (performance.now() - start) / 1000;
  const out = run.output as { ratePerSecond: number; counts: { sent: number } };
  const window = await engine.db.query<{ peak: number; p50: number }>(
    `select max(n)::int as peak, percentile_cont(0.5) within group (order by n)::float8 as p50 from (
       select date_trunc('second', claimed_at) s, count(*) n from crm_send_ledger where campaign_id = $1 group by 1) w`,
    [campaign.id],
  );
  const duplicates = [...sink.counts.values()].filter((n) => n > 1).length;
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
    store: values.store,
    messages: N,
    concurrency: Number(values.concurrency),
    rateLimit: RATE,
    status: run.status,
    sent: out.counts.sent,
    received: sink.received.length,
    duplicates,
    seedSeconds: Math.round(seedMs) / 1000,
    wallSeconds: Math.round(wallS * 10) / 10,
    messagesPerSecondWall: Math.round(N / wallS),
    messagesPerSecondSending: Math.round(out.ratePerSecond),
    peakPerSecondWindow: window.rows[0]!.peak,
    medianPerSecondWindow: window.rows[0]!.p50,
  };
  console.log(JSON.stringify(result, null, 2));
  writeFileSync(
    join("bench/results", `campaign-${values.store}-${result.date.slice(0, 10)}.json`),
    `${JSON.stringify(result, null, 2)}\n`,
  );
} finally {
  await engine.stop(5000);
  unbindCrmStore(engine.db);
  await sink.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (schema) {
    const c = new pg.Client({ connectionString: DB_URL });
    await c.connect();
    await c.query(`drop schema ${schema} cascade`);
    await c.end();
  }
}
