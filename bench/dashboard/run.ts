/**
 * Dashboard benchmark (not a test): `npm run bench:dashboard`.
 *
 * 100,000 runs are put in the store with set-based SQL (one statement for the runs, one for
 * their tags, one for the queue counters: seconds, not minutes), then headless Chromium loads
 * the built dashboard from the real server and times, from navigation start to the first row
 * (or the "No runs match." row) on screen, the runs list unfiltered and filtered by tag, status,
 * task and combinations; and the overview until its chart is drawn. Each page is loaded
 * `--loads` times in a fresh tab (HTTP cache warm, as for someone already using the dashboard);
 * the median is reported, with the median time of the list request alone (fetch from Node).
 *
 * The seeded runs: created over the last 24 hours; 70% COMPLETED, 10% FAILED, 10% QUEUED,
 * 5% WAITING, 5% CANCELED; 10 tasks; one `workspace:w_N` tag of 100 each (1% per tag), and
 * `vip` on 0.1%. No run is EXPIRED, so that filter scans everything before answering "none".
 *
 * Flags: --store pglite|postgres|both (default both), --runs 100000, --loads 7.
 * PostgreSQL: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), in a scratch schema.
 */
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import pino from "pino";
import { type Browser, chromium } from "playwright-core";
import { DIST_DIR, ensureDashboardBuilt } from "../../packages/dashboard/build.js";
import type { Engine } from "../../packages/engine/src/index.js";
import { createKey } from "../../packages/server/src/auth/keys.js";
import { startServer } from "../../packages/server/src/server.js";
import { withBenchEngine } from "../with-engine.js";

const { values } = parseArgs({
  options: {
    store: { type: "string", default: "both" },
    runs: { type: "string", default: "100000" },
    loads: { type: "string", default: "7" },
  },
});
const RUNS = Number(values.runs);
const LOADS = Number(values.loads);
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** The pages timed: [label, dashboard path, API list query (or undefined)]. */
const CASES: Array<[string, string, string | undefined]> = [
  ["runs, no filter", "/runs", ""],
  ["tag (1% of runs)", "/runs?tags=workspace:w_42", "filter[tag]=workspace:w_42"],
  ["tag (0.1%)", "/runs?tags=vip", "filter[tag]=vip"],
  ["status FAILED (10%)", "/runs?status=FAILED", "filter[status]=FAILED"],
  ["status WAITING (5%)", "/runs?status=WAITING", "filter[status]=WAITING"],
  ["status EXPIRED (none)", "/runs?status=EXPIRED", "filter[status]=EXPIRED"],
  [
    "task + status QUEUED",
    "/runs?task=bench-task-6&status=QUEUED",
    "filter[taskIdentifier]=bench-task-6&filter[status]=QUEUED",
  ],
  [
    "tag + status WAITING",
    "/runs?tags=workspace:w_58&status=WAITING",
    "filter[tag]=workspace:w_58&filter[status]=WAITING",
  ],
  ["overview (charts)", "/", undefined],
];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/** 100,000 runs, their tags and the queue counters, in three statements. */
async function seed(engine: Engine, n: number): Promise<number> {
  const t0 = performance.now();
  await engine.db.query(
    `insert into ms_queues (name) select 'task/bench-task-' || t from generate_series(0, 9) t on conflict do nothing`,
  );
  await engine.db.query(
    `insert into ms_runs (id, task_id, status, queue, payload, max_attempts, attempt_number, tags,
                          created_at, updated_at, started_at, completed_at, available_at, order_at)
     select 'run_bench' || lpad(g::text, 9, '0'),
            'bench-task-' || (g % 10),
            s.status,
            'task/bench-task-' || (g % 10),
            '{"i":' || g || '}',
            3,
            case when s.status in ('QUEUED') then 0 else 1 end,
            case when g % 1000 = 0 then array['workspace:w_' || (g % 100), 'vip'] else array['workspace:w_' || (g % 100)] end,
            c.at, c.at,
            case when s.status <> 'QUEUED' then c.at + interval '50 milliseconds' end,
            case when s.status in ('COMPLETED', 'FAILED', 'CANCELED') then c.at + interval '300 milliseconds' end,
            c.at, c.at
     from generate_series(1, $1::int) g
     cross join lateral (select now() - (($1::int - g) * (86400.0 / $1::int)) * interval '1 second' as at) c
     cross join lateral (select case
              when g % 20 < 14 then 'COMPLETED'
              when g % 20 < 16 then 'FAILED'
              when g % 20 < 18 then 'QUEUED'
              when g % 20 < 19 then 'WAITING'
              else 'CANCELED' end as status) s`,
    [n],
  );
  await engine.db.query(
    `insert into ms_run_tags (tag, run_id, created_at)
     select t, id, created_at from ms_runs, unnest(tags) t where id like 'run_bench%'`,
  );
  await engine.db.query(
    `insert into ms_queue_keys (queue, key, queued, running)
     select queue, concurrency_key, count(*) filter (where status = 'QUEUED'), 0
     from ms_runs where id like 'run_bench%' group by 1, 2
     on conflict (queue, key) do update set queued = excluded.queued`,
  );
  await engine.db.query("analyze");
  return performance.now() - t0;
}

async function measure(store: string, browser: Browser, engine: Engine) {
  const seedMs = await seed(engine, RUNS);
  console.log(`${store}: seeded ${RUNS} runs in ${(seedMs / 1000).toFixed(1)} s`);
  const server = await startServer({
    engine,
    port: 0,
    host: "127.0.0.1",
    logger: pino({ level: "silent" }),
    staticDir: DIST_DIR,
    limits: { requestsPerMinute: 0 },
  });
  try {
    const { key } = await createKey(engine.db, { name: "bench" });
    const login = await fetch(`${server.url}/api/v1/dashboard/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ key }),
    });
    const session = (await login.json()) as { token: string; expiresAt: string; via: string };
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    await context.addInitScript(
      (s) => (globalThis as any).localStorage.setItem("mainspring.session", s),
      JSON.stringify(session),
    );
    const rows: Array<{
      label: string;
      paintMs: number;
      apiMs?: number;
      rows: number;
      /** When the app, loaded and started, sent its list request (page clock). */
      appReadyMs: number;
      /** That request's duration as the page saw it. */
      fetchMs: number;
    }> = [];
    for (const [label, path, apiQuery] of CASES) {
      const paints: number[] = [];
      const appReady: number[] = [];
      const listFetch: number[] = [];
      let shown = 0;
      for (let i = 0; i < LOADS + 1; i++) {
        const page = await context.newPage();
        const t0 = performance.now();
        await page.goto(`${server.url}${path}`);
        if (path === "/") await page.locator(".chart canvas").first().waitFor({ timeout: 60_000 });
        else await page.locator("tbody tr[data-run-id], tbody td.empty").first().waitFor({ timeout: 60_000 });
        const ms = performance.now() - t0;
        // where the time went, by the page's own clock (from its navigation start)
        const timing = await page.evaluate(() => {
          const p = (globalThis as any).performance;
          const list = p
            .getEntriesByType("resource")
            .find((e: any) => /\/api\/v1\/(runs\?|dashboard\/stats)/.test(e.name));
          return { now: p.now(), fetchStart: list?.startTime ?? 0, fetchEnd: list?.responseEnd ?? 0 };
        });
        shown = await page.locator("tbody tr[data-run-id]").count();
        await page.close();
        if (i > 0) {
          // the first load warms the HTTP cache and the plans
          paints.push(ms);
          appReady.push(timing.fetchStart);
          listFetch.push(timing.fetchEnd - timing.fetchStart);
        }
      }
      let apiMs: number | undefined;
      if (apiQuery !== undefined) {
        const times: number[] = [];
        for (let i = 0; i < LOADS; i++) {
          const t0 = performance.now();
          const res = await fetch(
            `${server.url}/api/v1/runs?page[size]=25${apiQuery ? `&${apiQuery}` : ""}`,
            {
              headers: { authorization: `Bearer ${key}` },
            },
          );
          await res.json();
          times.push(performance.now() - t0);
        }
        apiMs = median(times);
      }
      rows.push({
        label,
        paintMs: median(paints),
        apiMs,
        rows: shown,
        appReadyMs: median(appReady),
        fetchMs: median(listFetch),
      });
      console.log(
        store,
        label,
        `${median(paints).toFixed(0)} ms`,
        apiMs === undefined ? "" : `api ${apiMs.toFixed(1)} ms`,
      );
    }
    await context.close();
    return { seedMs, rows };
  } finally {
    await server.close();
  }
}

if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
await ensureDashboardBuilt();
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
  headless: true,
});
const stores = values.store === "both" ? ["pglite", "postgres"] : [values.store!];
const results: Record<string, Awaited<ReturnType<typeof measure>>> = {};
for (const store of stores) {
  results[store] = await withBenchEngine(
    store,
    "dashboard",
    { worker: false, maintenance: false },
    (engine) => measure(store, browser, engine),
  );
}
await browser.close();

console.log(
  `\n${RUNS} runs; median of ${LOADS} loads; first paint = navigation start to the first row on screen`,
);
console.log(
  `\n| page | ${stores.map((s) => `${s}: first paint (app started / its request) | list API alone`).join(" | ")} | rows shown |`,
);
console.log(`|---|${stores.map(() => "---|---|").join("")}---|`);
for (const [i, [label]] of CASES.entries()) {
  const cells = stores.map((s) => {
    const r = results[s]!.rows[i]!;
    const parts = `${r.appReadyMs.toFixed(0)} / ${r.fetchMs.toFixed(0)} ms`;
    return `**${r.paintMs.toFixed(0)} ms** (${parts}) | ${r.apiMs === undefined ? "–" : `${r.apiMs.toFixed(1)} ms`}`;
  });
  console.log(`| ${label} | ${cells.join(" | ")} | ${results[stores[0]!]!.rows[i]!.rows} |`);
}
console.log(`\nseeding: ${stores.map((s) => `${s} ${(results[s]!.seedMs / 1000).toFixed(1)} s`).join(", ")}`);
process.exit(0);
