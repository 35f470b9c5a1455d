import type { Engine } from "@mainspring/engine";
import { Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * Prometheus metrics for `GET /metrics`. Queue gauges are read from the store at scrape time,
 * so every API process reports the same cluster-wide numbers.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Histogram<"method" | "route" | "status">;
  private readonly errors: Counter<"code">;
  private readonly unsubscribe: (() => void) | undefined;

  constructor(engine: Engine) {
    const claim = new Histogram({
      name: "mainspring_claim_duration_seconds",
      help: "Claim statements by this process's worker: time from send to rows back",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [this.registry],
    });
    const claimed = new Counter({
      name: "mainspring_claimed_runs_total",
      help: "Runs claimed by this process's worker",
      registers: [this.registry],
    });
    const start = new Histogram({
      name: "mainspring_start_latency_seconds",
      help: "First attempts: from the run becoming available (trigger, or end of its delay) to its claim",
      labelNames: ["queue"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
      registers: [this.registry],
    });
    // Only processes that run a worker claim; an API-only process reports none.
    this.unsubscribe = engine.worker?.onClaim(({ rows, claimMs }) => {
      claim.observe(claimMs / 1000);
      claimed.inc(rows.length);
      for (const row of rows) {
        if (row.attempt_number !== 1 || row.resumed || !row.attempt_started_at) continue;
        const since = Math.max(row.created_at.getTime(), row.available_at.getTime());
        start.observe({ queue: row.queue }, Math.max(0, row.attempt_started_at.getTime() - since) / 1000);
      }
    });
    this.requests = new Histogram({
      name: "mainspring_http_request_duration_seconds",
      help: "HTTP requests by route and status",
      labelNames: ["method", "route", "status"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
    this.errors = new Counter({
      name: "mainspring_http_errors_total",
      help: "Error responses by error code",
      labelNames: ["code"],
      registers: [this.registry],
    });
    const queued = new Gauge({
      name: "mainspring_queue_queued",
      help: "Runs waiting to start, per queue",
      labelNames: ["queue"],
      registers: [this.registry],
    });
    const running = new Gauge({
      name: "mainspring_queue_running",
      help: "Runs executing, per queue",
      labelNames: ["queue"],
      registers: [this.registry],
      async collect() {
        const stats = await engine.queues();
        queued.reset();
        running.reset();
        for (const q of stats) {
          queued.set({ queue: q.name }, q.queued);
          running.set({ queue: q.name }, q.running);
        }
      },
    });
    const runCounts = { at: 0, rows: [] as Array<{ status: string; n: number }> };
    new Gauge({
      name: "mainspring_runs",
      help: "Runs by status",
      labelNames: ["status"],
      registers: [this.registry],
      async collect() {
        // counting runs scans the table: at most once per 10 s, however often /metrics is hit
        if (Date.now() - runCounts.at > 10_000) {
          const { rows } = await engine.db.query<{ status: string; n: number }>(
            "select status, count(*)::int as n from ms_runs group by status",
          );
          runCounts.rows = rows;
          runCounts.at = Date.now();
        }
        this.reset();
        for (const row of runCounts.rows) this.set({ status: row.status }, row.n);
      },
    });
  }

  close(): void {
    this.unsubscribe?.();
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.requests.observe({ method, route, status: String(status) }, seconds);
  }

  countError(code: string): void {
    this.errors.inc({ code });
  }
}
