import { AsyncLocalStorage } from "node:async_hooks";
import { rescueExpiredLeases } from "./sql/leases.js";
import { expireRuns, nextDueInMs, promoteDelayedRuns } from "./sql/maintenance.js";
import type { Db } from "./store/db.js";

export interface MaintenanceOptions {
  /** Longest sleep between passes. Default 1 s; a due delayed run shortens it. */
  intervalMs?: number;
  /** How often expired leases are looked for. Default 5 s. */
  rescueIntervalMs?: number;
}

/**
 * Periodic passes that move runs on by time: delayed runs become queued, runs past their TTL
 * expire, attempts whose lease expired are rescued. Every process may run them at once; the
 * statements skip rows another process holds.
 */
export class Maintenance {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private lastRescue = 0;

  constructor(
    private readonly db: Db,
    private readonly onError: (error: unknown, where: string) => void,
    private readonly options: MaintenanceOptions = {},
    /** Completes waitpoints that are due (durations, token timeouts, finished children). */
    private readonly completeDueWaits: () => Promise<number> = async () => 0,
    /** Fires due schedule slots; returns the ms until the next one is due. */
    private readonly tickSchedules: () => Promise<number | undefined> = async () => undefined,
  ) {}

  start(): void {
    this.schedule(0);
  }

  /** Runs a pass soon (a delayed trigger may be due before the next scheduled pass). */
  poke(inMs: number): void {
    if (!this.stopped && inMs < (this.options.intervalMs ?? 1000)) this.schedule(Math.max(0, inMs));
  }

  /**
   * Runs in the async context the maintenance was created in. `poke` is called from inside
   * runs (a delayed trigger, a wait); without this, its timer would carry that run's context
   * and every later pass would act as if it were inside the run.
   */
  private readonly inOwnContext = AsyncLocalStorage.snapshot();

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(
      () =>
        this.inOwnContext(() => {
          this.running = this.pass().finally(() => {
            this.running = undefined;
          });
        }),
      ms,
    );
    this.timer.unref();
  }

  async pass(): Promise<void> {
    const interval = this.options.intervalMs ?? 1000;
    let next = interval;
    try {
      while ((await promoteDelayedRuns(this.db)) === 1000) {}
      while ((await expireRuns(this.db)).length === 1000) {}
      while ((await this.completeDueWaits()) >= 500) {}
      if (Date.now() - this.lastRescue >= (this.options.rescueIntervalMs ?? 5000)) {
        this.lastRescue = Date.now();
        await rescueExpiredLeases(this.db);
      }
      const due = await nextDueInMs(this.db);
      if (due !== undefined) next = Math.min(next, due + 5);
    } catch (error) {
      this.onError(error, "maintenance");
    }
    try {
      const scheduleDue = await this.tickSchedules();
      if (scheduleDue !== undefined) next = Math.min(next, scheduleDue + 5);
    } catch (error) {
      this.onError(error, "schedules");
    }
    this.schedule(next);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
