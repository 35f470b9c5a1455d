/**
 * Engine benchmark: Mainspring (PostgreSQL, PGlite) against graphile-worker, pg-boss and
 * BullMQ, in one run on one machine. See docs/benchmarks.md.
 *
 *   npm run bench:engine -- [--n 20000] [--only mainspring,graphile-worker] [--samples 200] [--reps 3]
 *
 * --only takes prefixes of the target keys: mainspring-postgres, mainspring-pglite-memory,
 * mainspring-pglite-dir, graphile-worker, pg-boss, bullmq ("mainspring-pglite" selects both
 * PGlite stores, "mainspring" all of Mainspring).
 */
import { execSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { bullmqTargets, ioredisVersion } from "./bullmq.js";
import { graphileWorkerTargets } from "./graphile-worker.js";
import { type HarnessOptions, measure, type Target, type TargetResult } from "./harness.js";
import { mainspringTargets } from "./mainspring.js";
import { pgBossTargets } from "./pg-boss.js";

interface Args {
  n: number;
  only: string[] | undefined;
  samples: number;
  reps: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { n: 20_000, only: undefined, samples: 200, reps: 3 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const [name, inline] = flag.includes("=") ? flag.split("=", 2) : [flag, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      return v;
    };
    const int = () => {
      const v = Number(value());
      if (!Number.isInteger(v) || v < 1) throw new Error(`${name} needs a positive integer`);
      return v;
    };
    switch (name) {
      case "--n":
        args.n = int();
        break;
      case "--samples":
        args.samples = int();
        break;
      case "--reps":
        args.reps = int();
        break;
      case "--only":
        args.only = value()
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean);
        break;
      case "--help":
      case "-h":
        console.log("usage: npm run bench:engine -- [--n 20000] [--only a,b] [--samples 200] [--reps 3]");
        process.exit(0);
        break;
      default:
        throw new Error(`unknown flag ${flag}`);
    }
  }
  return args;
}

const sh = (cmd: string) => {
  try {
    return execSync(cmd, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "(unavailable)";
  }
};

async function serverInfo(databaseUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const q = async (sql: string) => String((await client.query(sql)).rows[0]?.v);
    return {
      version: await q("select version() as v"),
      synchronous_commit: await q("select current_setting('synchronous_commit') as v"),
      fsync: await q("select current_setting('fsync') as v"),
      shared_buffers: await q("select current_setting('shared_buffers') as v"),
    };
  } finally {
    await client.end();
  }
}

const fmt = (v: number | null, digits = 2) => (v === null ? "–" : v.toFixed(digits));

/** Ratio of each configuration's runs/s to graphile-worker's fastest configuration in this run. */
function ratioBase(results: TargetResult[]): number | undefined {
  const gw = results.filter((r) => r.key === "graphile-worker" && r.runsPerSecMedian !== null);
  return gw.length ? Math.max(...gw.map((r) => r.runsPerSecMedian!)) : undefined;
}

function table(results: TargetResult[]): string {
  const base = ratioBase(results);
  const lines = [
    "| system | configuration | N | runs/s (median) | × graphile-worker best | p50 trigger→start ms | p95 ms | samples | load avg |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of results) {
    if (r.error && r.repetitions.length === 0) {
      lines.push(`| ${r.system} | ${r.config} | ${r.n} | ${r.error} | | | | | |`);
      continue;
    }
    const ratio = base && r.runsPerSecMedian !== null ? (r.runsPerSecMedian / base).toFixed(2) : "–";
    lines.push(
      `| ${r.system} | ${r.config} | ${r.n} | ${r.runsPerSecMedian ?? "–"}${r.error ? " (incomplete)" : ""} | ` +
        `${ratio} | ${fmt(r.latency.p50Ms)} | ${fmt(r.latency.p95Ms)} | ${r.latency.samples} | ` +
        `${r.loadAverage.start.toFixed(1)}→${r.loadAverage.end.toFixed(1)} |`,
    );
  }
  return lines.join("\n");
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const databaseUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

  const all: Target[] = [
    ...mainspringTargets(databaseUrl),
    ...graphileWorkerTargets(databaseUrl, args.n),
    ...pgBossTargets(databaseUrl),
    ...bullmqTargets(redisUrl),
  ];
  const targets = args.only ? all.filter((t) => args.only!.some((o) => t.key.startsWith(o))) : all;
  if (targets.length === 0) throw new Error(`--only ${args.only?.join(",")} matches no target`);

  const machine = {
    nproc: sh("nproc"),
    cpu: cpus()[0]?.model ?? "?",
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    psql: sh("psql --version"),
    postgres: await serverInfo(databaseUrl),
    redis: sh("redis-cli -u " + redisUrl + " info server | grep redis_version").replace("redis_version:", ""),
  };
  // at-commit.sh measures an exported revision; otherwise the working tree is measured as it
  // is, uncommitted changes included, and they are listed.
  const exported = process.env.BENCH_ENGINE_COMMIT;
  const repo = exported
    ? { commit: exported, source: "exported commit (bench/engine/at-commit.sh)", uncommittedEngineFiles: [] }
    : {
        commit: sh("git rev-parse HEAD"),
        source: "working tree",
        uncommittedEngineFiles: sh("git status --porcelain -- packages")
          .split("\n")
          .filter((l) => l && !l.startsWith("(")),
      };
  const versions = {
    "graphile-worker": "0.17.3",
    "pg-boss": "10.4.2",
    bullmq: "6.7.0",
    ioredis: ioredisVersion() ?? "(not installed)",
  };

  const options: HarnessOptions = {
    n: args.n,
    repetitions: args.reps,
    samples: args.samples,
    warmup: 10,
    gapMs: 10,
    log: (line) => console.log(line),
  };
  console.log(
    `engine benchmark: N=${args.n}, ${args.reps} reps, ${args.samples} latency samples per configuration; ` +
      `${machine.nproc} cores, node ${machine.node}`,
  );

  const started = new Date();
  const results: TargetResult[] = [];
  for (const t of targets) {
    console.log(`\n${t.system} — ${t.config}`);
    const t0 = performance.now();
    results.push(await measure(t, options));
    console.log(`  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }

  const md = table(results);
  console.log(`\n${md}\n`);

  const here = dirname(fileURLToPath(import.meta.url));
  const outDir = join(here, "..", "results");
  mkdirSync(outDir, { recursive: true });
  // A run with non-default flags (a quick check, one system) must not replace the day's full run.
  const full = !args.only && args.n === 20_000 && args.reps === 3 && args.samples === 200;
  const file = join(outDir, `engine-${started.toISOString().slice(0, 10)}${full ? "" : "-partial"}.json`);
  const report = {
    startedAt: started.toISOString(),
    durationSeconds: Math.round((Date.now() - started.getTime()) / 1000),
    command: (exported
      ? `bench/engine/at-commit.sh ${exported} ${process.argv.slice(2).join(" ")}`
      : `npm run bench:engine -- ${process.argv.slice(2).join(" ")}`
    ).trim(),
    args,
    machine,
    repo,
    versions,
    method: {
      throughput:
        "enqueue N no-op jobs with the system's bulk API (not timed), then time from starting the workers until " +
        "every handler has started and the system records all N as completed; runs/s = N / that time; median of reps",
      latency:
        "worker running and idle; one job at a time, from just before the enqueue call to the first line of the " +
        "handler (performance.now(), same process); samples pooled over the reps after a warm-up per rep",
      warmup: options.warmup,
      gapMs: options.gapMs,
    },
    results,
  };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  // Lay the file out as the repository's formatter (biome) would, so `npm run lint` stays clean.
  sh(`${join(here, "..", "..", "node_modules", ".bin", "biome")} format --write ${file}`);
  console.log(`results written to ${file}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
