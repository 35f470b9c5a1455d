import { allQueues, allTasks, getTask, RunCanceledError } from "@mainspring/sdk";
import { newId } from "../ids.js";
import type { ClaimedRow as RunRow } from "../sql/claim.js";
import { claimRuns } from "../sql/claim.js";
import { type AttemptResult, completeAttempts } from "../sql/complete.js";
import { CANCEL_CHANNEL, READY_CHANNEL } from "../sql/counters.js";
import { releaseAttempts, renewLeases } from "../sql/leases.js";
import { suspendRun } from "../sql/waitpoints.js";
import { Attempt, executeAttempt } from "./execute.js";
import { SideWrites } from "./side-writes.js";
import type { ClaimEvent, WorkerDeps, WorkerOptions } from "./worker-types.js";

export type { ClaimEvent, WorkerDeps, WorkerOptions } from "./worker-types.js";

/**
 * Claims runs in batches, executes them in this process, and records their results in
 * batches. Claims and completions are single-flight: while one statement is in progress, the
 * next batch accumulates, so an idle worker answers in one round trip and a busy one
 * amortises each statement over many runs.
 */
export class Worker {
  readonly id = newId("worker");
  private readonly concurrency: number;
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly pollIntervalMs: number;
  /** Free slots worth a claim statement at once; fewer wait COALESCE_MS for company. */
  private readonly refillAt: number;
  private readonly active = new Map<string, Attempt>();
  private pendingResults: AttemptResult[] = [];
  private readonly sideWrites: SideWrites;
  private completing: Promise<void> | undefined;
  private readonly wakers = new Set<() => void>();
  /** Slots a claim statement in flight may fill. */
  private reserved = 0;
  private readonly claimers: number;
  private readonly claimListeners = new Set<(event: ClaimEvent) => void>();
  /** Attempts whose function is still running (active also holds ones awaiting their commit). */
  private executing = 0;
  private wakeRequested = false;
  private stopping = false;
  private loopDone: Promise<void> | undefined;
  private timers: NodeJS.Timeout[] = [];
  private unlisteners: Array<() => Promise<void>> = [];
  private idleWaiters: Array<() => void> = [];
  private readonly settled = new Map<string, Promise<void>>();
  private flushScheduled = false;

  constructor(
    private readonly deps: WorkerDeps,
    private readonly options: WorkerOptions = {},
  ) {
    this.concurrency = options.concurrency ?? deps.config.concurrency ?? 50;
    this.batchSize = options.batchSize ?? 100;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.sideWrites = new SideWrites(deps.db, deps.limits, deps.onError);
    this.refillAt = Math.max(1, Math.min(this.batchSize, Math.floor(this.concurrency / 4)));
    // One by default: a second loop measured no throughput gain here (docs/benchmarks.md) and
    // doubles the claim statements an idle worker sends per wake-up. On PGlite a second loop
    // would only queue behind the first (one statement at a time).
    this.claimers = Math.max(1, options.claimers ?? 1);
  }

  get activeCount(): number {
    return this.active.size;
  }

  async start(): Promise<void> {
    const { db } = this.deps;
    this.unlisteners.push(await db.listen(READY_CHANNEL, () => this.wake()));
    this.unlisteners.push(
      await db.listen(CANCEL_CHANNEL, (runId) => this.active.get(runId)?.abort(new RunCanceledError())),
    );
    const every = (ms: number, fn: () => Promise<void>) => {
      const t = setInterval(() => fn().catch((e) => this.deps.onError(e, "worker timer")), ms);
      t.unref();
      this.timers.push(t);
    };
    every(Math.max(100, Math.floor(this.leaseMs / 3)), () => this.heartbeat());
    every(500, () => this.flushSideWrites());
    this.loopDone = Promise.all(Array.from({ length: this.claimers }, () => this.loop())).then(() => {});
  }

  /** Observes every claim statement that ran (metrics). Returns the unsubscribe. */
  onClaim(listener: (event: ClaimEvent) => void): () => void {
    this.claimListeners.add(listener);
    return () => this.claimListeners.delete(listener);
  }

  /** Asks the claim loop to look for work now (after a local trigger or a notification). */
  wake(): void {
    this.wakeRequested = true;
    for (const waker of this.wakers) waker();
  }

  /**
   * A slot frees when its attempt's function returns, not when the result is committed: the
   * queue limits are enforced by the database counters, which only move at completion, so
   * claiming ahead of the completion commit cannot break them. Results waiting to be written
   * are capped at one worker's worth, so a slow database slows claims down.
   */
  private freeSlots(): number {
    if (this.pendingResults.length >= this.concurrency) return 0;
    return this.concurrency - this.executing - this.reserved;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      let claimedFull = false;
      let claimed = false;
      let reserved = 0;
      try {
        let free = this.freeSlots();
        if (free > 0 && free < this.refillAt && this.executing > 0) {
          // Only a few slots are free and more attempts are about to finish: wait a moment
          // so one claim statement fills many slots instead of one statement per slot.
          await sleep(COALESCE_MS);
          free = this.freeSlots();
        }
        if (free > 0 && !this.stopping) {
          this.wakeRequested = false;
          const limit = Math.min(free, this.batchSize);
          // Slots being claimed by this loop are reserved, so parallel claim loops never
          // take more runs than the worker's concurrency.
          reserved = limit;
          this.reserved += reserved;
          const claimStarted = performance.now();
          const rows = await claimRuns(this.deps.db, {
            queues: this.options.queues ?? allQueues().map((q) => q.name),
            taskIds: allTasks().map((t) => t.id),
            limit,
            workerId: this.id,
            leaseMs: this.leaseMs,
          });
          this.reserved -= reserved;
          reserved = 0;
          claimed = true;
          if (this.claimListeners.size > 0) {
            const event = { rows, claimMs: performance.now() - claimStarted };
            for (const listener of this.claimListeners) listener(event);
          }
          for (const row of rows) this.begin(row);
          claimedFull = rows.length === limit;
        }
      } catch (error) {
        this.reserved -= reserved;
        this.deps.onError(error, "claim");
        await sleep(Math.min(this.pollIntervalMs, 1000));
      }
      // Loop again at once only after a claim statement ran (it awaited): a loop that found no
      // free slot (another loop reserved them) must wait, or it would spin without yielding.
      if (claimed && (claimedFull || (this.wakeRequested && this.freeSlots() > 0))) continue;
      let waker: (() => void) | undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.pollIntervalMs);
        waker = () => {
          clearTimeout(timer);
          resolve();
        };
        this.wakers.add(waker);
      });
      this.wakers.delete(waker!);
    }
  }

  private begin(row: RunRow): void {
    const attempt = new Attempt(row);
    this.active.set(row.id, attempt);
    this.executing++;
    const def = getTask(row.task_id);
    const work = def
      ? executeAttempt(attempt, def, {
          config: this.deps.config,
          limits: this.deps.limits,
          durable: this.deps.durable,
          log: (r, level, message, data) => this.sideWrites.log(r, level, message, data),
          addTags: this.deps.addTags,
          flushMetadata: (a) => this.sideWrites.flushMetadata([a]),
        })
      : Promise.resolve<AttemptResult>({
          id: row.id,
          attempt_id: row.attempt_id!,
          status: "SYSTEM_FAILURE",
          error: {
            type: "INTERNAL_ERROR",
            message: `Task "${row.task_id}" is not registered in this worker`,
          },
        });
    const done = work
      .catch(
        (error): AttemptResult => ({
          id: row.id,
          attempt_id: row.attempt_id!,
          status: "SYSTEM_FAILURE",
          error: {
            type: "INTERNAL_ERROR",
            message: `Mainspring failed running the attempt: ${String(error)}`,
          },
        }),
      )
      .then((result) => this.finish(attempt, result));
    this.settled.set(row.id, done);
  }

  /**
   * Every result goes to the completion batch. Results of attempts stopped because their run
   * was canceled, released or rescued are fenced out there (the row changed before the
   * attempt was aborted), so there is no special case here.
   */
  private finish(attempt: Attempt, result: AttemptResult | undefined): void {
    this.executing--;
    attempt.returned = true;
    if (!this.stopping) this.wake();
    if (result?.status === "WAIT") {
      void this.suspend(attempt, result);
      return;
    }
    if (result) this.pendingResults.push(result);
    // Flush on the next turn of the event loop, so attempts finishing in this turn (their
    // timers fired together, say) share one completion statement.
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        void this.flushResults();
      });
    }
  }

  /** Records a wait: the run leaves this worker and its slot is given back. */
  private async suspend(attempt: Attempt, result: AttemptResult): Promise<void> {
    for (let tries = 0; ; tries++) {
      try {
        await suspendRun(
          this.deps.db,
          { id: attempt.row.id, attempt_id: attempt.attemptId, metadata: result.metadata },
          result.waitpoints ?? [],
        );
        break;
      } catch (error) {
        this.deps.onError(error, "suspend");
        if (tries > 5) break; // the lease expires and the rescuer re-queues the run; it replays
        await sleep(Math.min(100 * 2 ** tries, 5000));
      }
    }
    this.active.delete(attempt.row.id);
    this.settled.delete(attempt.row.id);
    this.afterSlotFreed();
  }

  /** Records finished attempts; while a flush runs, new results wait and go in the next one. */
  private flushResults(): Promise<void> {
    if (this.completing) return this.completing;
    this.completing = (async () => {
      while (this.pendingResults.length > 0) {
        const batch = this.pendingResults;
        this.pendingResults = [];
        // Logs go first so a run's lines are stored before it shows as finished; a failed log
        // write loses those lines (reported), never the results.
        await this.sideWrites.flushLogs().catch((e) => this.deps.onError(e, "logs"));
        let accepted = new Set<string>();
        for (let tries = 0; ; tries++) {
          try {
            accepted = await completeAttempts(this.deps.db, batch);
            break;
          } catch (error) {
            // The database is unreachable: keep the results and try again; the leases are
            // what protects the runs meanwhile.
            this.deps.onError(error, "complete");
            if (this.stopping && tries > 5) break;
            await sleep(Math.min(100 * 2 ** tries, 5000));
          }
        }
        const finishedChildren: string[] = [];
        const finished: string[] = [];
        for (const r of batch) {
          if (r.status !== "RETRY" && accepted.has(r.id)) finished.push(r.id);
          // Only a result the fence accepted ends the child; a rejected one (released, rescued,
          // canceled) must not wake its parent.
          if (r.status !== "RETRY" && accepted.has(r.id) && this.active.get(r.id)?.row.resume_parent)
            finishedChildren.push(r.id);
          this.active.delete(r.id);
          this.settled.delete(r.id);
        }
        if (finished.length > 0) this.deps.runsFinished?.(finished);
        if (finishedChildren.length > 0)
          await this.deps
            .childrenFinished(finishedChildren)
            .catch((e) => this.deps.onError(e, "resume parents"));
        this.afterSlotFreed();
      }
    })().finally(() => {
      this.completing = undefined;
    });
    return this.completing;
  }

  private afterSlotFreed(): void {
    if (this.active.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    if (!this.stopping) this.wake();
  }

  private async flushSideWrites(): Promise<void> {
    await this.sideWrites.flushLogs();
    await this.sideWrites.flushMetadata([...this.active.values()]);
  }

  private async heartbeat(): Promise<void> {
    // Every attempt until its result is committed, including ones aborted by maxDuration whose
    // hooks are still running: their TIMED_OUT result must not lose the run to the rescuer.
    const attempts = [...this.active.values()];
    if (attempts.length === 0) return;
    const held = await renewLeases(
      this.deps.db,
      attempts.map((a) => a.attemptId),
      this.leaseMs,
    );
    for (const a of attempts) {
      // Lost: canceled, or rescued after we were cut off. Stop it; its result would be fenced out.
      if (!held.has(a.attemptId) && !this.pendingResults.some((r) => r.id === a.row.id))
        a.abort(new RunCanceledError());
    }
  }

  /**
   * Graceful stop (SIGTERM): claim nothing more, let running attempts finish for up to
   * `graceMs`, then give the rest back to the queue without counting their attempt.
   */
  async stop(graceMs = 30_000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.wake();
    await this.loopDone;
    if (this.active.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
    }
    // Attempts that did finish are committed first; only those still running are released.
    await this.flushResults();
    const unfinished = [...this.active.values()].filter((a) => !a.returned);
    // Release first, then abort: the released rows are no longer EXECUTING under these
    // attempt ids, so the aborted attempts' results are fenced out and nothing is burnt. If the
    // release fails, the attempts are not aborted (an abort would record a failure): their
    // leases expire and the rescuer re-queues them.
    let released = true;
    await releaseAttempts(
      this.deps.db,
      unfinished.map((a) => a.attemptId),
    ).catch((e) => {
      released = false;
      this.deps.onError(e, "release");
    });
    if (released) {
      for (const a of unfinished) a.abort(new RunCanceledError());
      await Promise.all(unfinished.map((a) => this.settled.get(a.row.id)));
      await this.flushResults();
    }
    for (const t of this.timers) clearInterval(t);
    await this.sideWrites.flushLogs().catch((e) => this.deps.onError(e, "logs"));
    for (const unlisten of this.unlisteners) await unlisten();
  }
}

/** How long a claim for a few slots waits for more to free up (only while attempts run). */
const COALESCE_MS = 5;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
