import { loadavg } from "node:os";
import { median, percentile, probe, round, sleep, withTimeout } from "./stats.js";

/**
 * One system in one configuration. The harness calls, per repetition:
 * setup → enqueue(all ids, not timed) → [timer starts] startWorkers → every handler started →
 * waitCompleted (the system's own durable "completed" state) → [timer stops] → latency samples
 * with enqueueOne on the now idle worker → teardown.
 */
export interface Target {
  /** Key used by --only (prefix match), e.g. "mainspring-pg". */
  key: string;
  system: string;
  config: string;
  /** Jobs in the throughput phase when it differs from --n (slow default configurations). */
  n?: number;
  /** Repetitions when it differs from --reps (a configuration whose figure is set by a poll interval). */
  repetitions?: number;
  /** Most latency samples for this configuration (polling systems take ~a poll interval each). */
  maxLatencySamples?: number;
  /** Warm-up latency samples per repetition when it differs from the default. */
  latencyWarmup?: number;
  /**
   * Extra random idle time (uniform 0..jitter ms) before each latency sample. Polling systems
   * get their poll interval here so samples land at random points of the poll cycle instead of
   * always right after a fetch.
   */
  latencyJitterMs?: number;
  notes?: string[];
  setup(): Promise<void>;
  enqueue(ids: number[]): Promise<void>;
  startWorkers(): Promise<void>;
  /** Resolves once the system records `n` jobs as completed (or deleted, for graphile-worker). */
  waitCompleted(n: number): Promise<void>;
  enqueueOne(id: number): Promise<void>;
  teardown(): Promise<void>;
}

export interface RepResult {
  n: number;
  enqueueSeconds: number;
  seconds: number;
  runsPerSec: number;
  /** Time until the last handler started (before the completion check). */
  allStartedSeconds: number;
  duplicates: number;
  latencyMs: number[];
}

export interface TargetResult {
  key: string;
  system: string;
  config: string;
  n: number;
  repetitions: RepResult[];
  runsPerSecMedian: number | null;
  latency: {
    samples: number;
    p50Ms: number | null;
    p95Ms: number | null;
    minMs: number | null;
    maxMs: number | null;
  };
  notes: string[];
  /** os.loadavg() (1 min) when the configuration started and ended: other work on the machine. */
  loadAverage: { start: number; end: number };
  error?: string;
}

export interface HarnessOptions {
  n: number;
  repetitions: number;
  /** Latency samples per configuration, spread over the repetitions. */
  samples: number;
  warmup: number;
  /** Idle pause between latency samples. */
  gapMs: number;
  log: (line: string) => void;
}

const ID_LATENCY_BASE = 1_000_000_000;

async function runRep(t: Target, n: number, samples: number, o: HarnessOptions): Promise<RepResult> {
  await t.setup();
  try {
    const ids = Array.from({ length: n }, (_, i) => i);
    const e0 = performance.now();
    await t.enqueue(ids);
    const enqueueSeconds = (performance.now() - e0) / 1000;

    const allStarted = probe.expectAll(n);
    const budgetMs = Math.max(120_000, n * 5);
    const t0 = performance.now();
    await t.startWorkers();
    await withTimeout(allStarted, budgetMs, `${t.system} ${t.config}: all ${n} handlers to start`).catch(
      (e) => {
        throw new Error(`${(e as Error).message} (${probe.started} started)`);
      },
    );
    const t1 = performance.now();
    await t.waitCompleted(n);
    const seconds = (performance.now() - t0) / 1000;
    const duplicates = probe.duplicates;
    probe.reset();

    // Latency: the worker is running and idle; one job at a time.
    await sleep(300);
    const latencyMs: number[] = [];
    let next = ID_LATENCY_BASE;
    const warmup = t.latencyWarmup ?? o.warmup;
    for (let k = 0; k < warmup + samples; k++) {
      const id = next++;
      const started = probe.expectOne(id);
      const before = performance.now();
      await t.enqueueOne(id);
      const at = await withTimeout(started, 30_000, `${t.system} ${t.config}: latency job to start`);
      if (k >= warmup) latencyMs.push(Math.round((at - before) * 1000) / 1000);
      await sleep(o.gapMs + Math.random() * (t.latencyJitterMs ?? 0));
    }
    probe.reset();
    return {
      n,
      enqueueSeconds,
      seconds,
      runsPerSec: n / seconds,
      allStartedSeconds: (t1 - t0) / 1000,
      duplicates,
      latencyMs,
    };
  } finally {
    probe.reset();
    await t.teardown();
  }
}

export async function measure(t: Target, o: HarnessOptions): Promise<TargetResult> {
  const n = t.n ?? o.n;
  const totalSamples = Math.min(o.samples, t.maxLatencySamples ?? Number.POSITIVE_INFINITY);
  const reps = t.repetitions ?? o.repetitions;
  const perRep = Math.max(1, Math.ceil(totalSamples / reps));
  const repetitions: RepResult[] = [];
  const result: TargetResult = {
    key: t.key,
    system: t.system,
    config: t.config,
    n,
    repetitions,
    runsPerSecMedian: null,
    latency: { samples: 0, p50Ms: null, p95Ms: null, minMs: null, maxMs: null },
    notes: t.notes ?? [],
    loadAverage: { start: round(loadavg()[0]!) ?? 0, end: 0 },
  };
  try {
    for (let r = 0; r < reps; r++) {
      const rep = await runRep(t, n, perRep, o);
      repetitions.push(rep);
      o.log(
        `  ${t.system} | ${t.config} | rep ${r + 1}: ${Math.round(rep.runsPerSec)} runs/s ` +
          `(${rep.seconds.toFixed(2)} s; enqueue ${rep.enqueueSeconds.toFixed(2)} s; ` +
          `latency p50 ${percentile(rep.latencyMs, 50).toFixed(2)} ms over ${rep.latencyMs.length})` +
          (rep.duplicates ? ` [${rep.duplicates} duplicate starts]` : ""),
      );
    }
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    o.log(`  ${t.system} | ${t.config}: FAILED: ${result.error}`);
  }
  result.loadAverage.end = round(loadavg()[0]!) ?? 0;
  const all = repetitions.flatMap((r) => r.latencyMs);
  const mid = median(repetitions.map((r) => r.runsPerSec));
  result.runsPerSecMedian = repetitions.length ? round(mid, mid < 100 ? 2 : 0) : null;
  result.latency = {
    samples: all.length,
    p50Ms: round(percentile(all, 50)),
    p95Ms: round(percentile(all, 95)),
    minMs: round(Math.min(...all)),
    maxMs: round(Math.max(...all)),
  };
  return result;
}
