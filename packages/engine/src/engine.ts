import {
  allQueues,
  type BatchHandle,
  type BatchItem,
  type CreateTokenOptions,
  getQueue,
  getRuntime,
  type ListRunsFilter,
  type ListTokensOptions,
  type MainspringConfig,
  MainspringError,
  parseDuration,
  type Queue,
  type Run,
  type RunHandle,
  type RunMetadata,
  type RunPage,
  resolveDate,
  type StreamAppendResult,
  type StreamReadOptions,
  type StreamRecord,
  setRuntime,
  type TaskRuntime,
  type TriggerOptions,
  type WaitToken,
  type WaitTokenInfo,
} from "@mainspring/sdk";
import { newId } from "./ids.js";
import { Inspector } from "./inspect.js";
import { DEFAULT_LIMITS, type Limits, MAX_TAGS } from "./limits.js";
import { Maintenance, type MaintenanceOptions } from "./maintenance.js";
import { migrate } from "./migrations/index.js";
import { ScheduleService } from "./schedules.js";
import { type QueueStats, queueStats, setQueuePaused, syncQueues } from "./sql/queues.js";
import { toRun } from "./sql/rows.js";
import {
  addRunTags,
  cancelRunRow,
  getRunRow,
  getRunRows,
  type LogPage,
  listLogs,
  listRunRows,
  rescheduleRunRow,
  updateRunMetadata,
} from "./sql/runs.js";
import type { Db, Queryable } from "./store/db.js";
import type { StoreOptions } from "./store/open.js";
import { type StreamInfo, StreamService } from "./streams.js";
import { tagsSchema } from "./trigger-options.js";
import { batchHandle, insertPrepared, insertPreparedIn, prepareRun } from "./triggering.js";
import { openUrlSigner } from "./url-signer.js";
import { WaitService } from "./waits.js";
import { Worker, type WorkerOptions } from "./worker/worker.js";

export interface EngineOptions extends StoreOptions {
  /** An already open store (tests share one); otherwise one is opened from the options. */
  db?: Db;
  config?: MainspringConfig;
  limits?: Partial<Limits>;
  /** Run a worker in this process (default true). `false` makes a trigger-only engine. */
  worker?: WorkerOptions | false;
  /** Run the time-based passes (delays, TTL, lease rescue) here (default true). */
  maintenance?: MaintenanceOptions | false;
  /** Register as the SDK's runtime so `task.trigger()` reaches this engine (default true). */
  registerRuntime?: boolean;
  /** Public base URL of the HTTP API, for wait token callback URLs. Default http://localhost:3030. */
  apiUrl?: string;
  /** Overrides the store's URL-signing secret (the API's MAINSPRING_JWT_SECRET). */
  urlSecret?: string;
  onError?: (error: unknown, where: string) => void;
}

/**
 * A running Mainspring engine: the store, optionally a worker and the maintenance passes,
 * and the TaskRuntime the SDK calls. Create it with `startEngine()`; stop it with `stop()`.
 */
export class Engine implements TaskRuntime {
  readonly worker: Worker | undefined;
  readonly waits: WaitService;
  readonly schedules: ScheduleService;
  readonly streams: StreamService;
  /** Read-only views for operators: attempts, timelines, queue and key counts, runs per minute. */
  readonly inspect: Inspector;
  private readonly maintenance: Maintenance | undefined;
  private readonly limits: Limits;
  private readonly config: MainspringConfig;
  private stopped = false;
  private readonly syncedQueues = new Set<string>();

  private async syncQueues(queues: Queue[]): Promise<void> {
    await syncQueues(this.db, queues);
    for (const q of queues) this.syncedQueues.add(q.name);
  }

  /** A queue defined after start (a task file imported later) is written before its first run. */
  private async ensureQueues(names: string[]): Promise<void> {
    const missing = [...new Set(names)].filter((n) => !this.syncedQueues.has(n));
    if (missing.length > 0)
      await this.syncQueues(missing.map((n) => getQueue(n) ?? { kind: "queue" as const, name: n }));
  }

  constructor(
    readonly db: Db,
    private readonly options: EngineOptions,
    private readonly ownsDb: boolean,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.config = options.config ?? {};
    const onError = options.onError ?? ((error, where) => console.error(`[mainspring] ${where}:`, error));
    this.schedules = new ScheduleService({
      db,
      config: this.config,
      limits: this.limits,
      onError,
      poke: (ms) => this.maintenance?.poke(ms),
      ensureQueues: (names) => this.ensureQueues(names),
    });
    this.streams = new StreamService(db, this.limits, onError);
    this.inspect = new Inspector(db);
    this.waits = new WaitService(db, options.apiUrl ?? "http://localhost:3030", this.limits.maxOutputBytes);
    if (options.maintenance !== false) {
      this.maintenance = new Maintenance(
        db,
        onError,
        options.maintenance || {},
        () => this.waits.completeDue(),
        () => this.schedules.tick(),
      );
    }
    if (options.worker !== false) {
      this.worker = new Worker(
        {
          db,
          config: this.config,
          limits: this.limits,
          addTags: (id, tags) => this.addTags(id, tags),
          childrenFinished: (ids) => this.waits.childrenFinished(ids),
          runsFinished: (ids) => this.streams.runsFinished(ids),
          durable: {
            db,
            config: this.config,
            limits: this.limits,
            createToken: (o) => this.waits.createToken(o),
            waitScheduled: (ms) => this.maintenance?.poke(ms),
            appendStream: (runId, streamId, values, writer) =>
              this.streams.append(runId, streamId, values, writer),
          },
          onError,
        },
        options.worker ?? {},
      );
    }
  }

  async start(): Promise<void> {
    await migrate(this.db);
    this.waits.signCallbackUrls(await openUrlSigner(this.db, this.options.urlSecret));
    await this.syncQueues(allQueues());
    await this.schedules.syncDeclarative();
    if (this.options.registerRuntime !== false) setRuntime(this);
    await this.worker?.start();
    this.maintenance?.start();
  }

  /** Stops claiming, drains running attempts for up to `graceMs`, and closes the store if it opened it. */
  async stop(graceMs?: number): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.maintenance?.stop();
    await this.worker?.stop(graceMs);
    await this.streams.stop();
    if (this.options.registerRuntime !== false) {
      try {
        if (getRuntime() === this) setRuntime(undefined);
      } catch {
        // no runtime registered
      }
    }
    if (this.ownsDb) await this.db.close();
  }

  async trigger(taskId: string, payload: unknown, options?: TriggerOptions): Promise<RunHandle> {
    const prepared = prepareRun(taskId, payload, options, {
      config: this.config,
      limits: this.limits,
      where: `for "${taskId}"`,
    });
    await this.ensureQueues([prepared.run.queue]);
    const [handle] = await insertPrepared(this.db, [prepared]);
    this.afterInsert(options);
    return handle!;
  }

  /**
   * `options.batchId`: the id to give the batch (the HTTP API's two-phase batches choose it
   * first). `options.inTransaction` runs first in the transaction that inserts the runs, so
   * the caller's own bookkeeping (sealing its batch) commits or rolls back with them.
   */
  async batchTrigger(
    items: Array<{ task: string } & BatchItem<unknown>>,
    options: { batchId?: string; inTransaction?: (tx: Queryable) => Promise<void> } = {},
  ): Promise<BatchHandle> {
    if (items.length === 0) throw new MainspringError("INVALID_OPTIONS", "A batch needs at least one item");
    if (items.length > this.limits.maxBatchSize) {
      throw new MainspringError(
        "BATCH_TOO_LARGE",
        `A batch can have at most ${this.limits.maxBatchSize} items; this one has ${items.length}. Split it.`,
      );
    }
    const batchId = options.batchId ?? newId("batch");
    const prepared = items.map((item, index) =>
      prepareRun(item.task, item.payload, item.options, {
        config: this.config,
        limits: this.limits,
        batchId,
        where: `in batch item ${index} ("${item.task}")`,
      }),
    );
    await this.ensureQueues(prepared.map((p) => p.run.queue));
    const inTransaction = options.inTransaction;
    const runs = inTransaction
      ? await this.db.transaction(async (tx) => {
          await inTransaction(tx);
          return insertPreparedIn(tx, prepared, batchId);
        })
      : await insertPrepared(this.db, prepared, batchId);
    for (const item of items) this.afterInsert(item.options);
    return batchHandle(batchId, runs);
  }

  private afterInsert(options?: TriggerOptions): void {
    if (options?.delay === undefined) this.worker?.wake();
    else {
      const at = resolveDate(options.delay);
      this.maintenance?.poke(at.getTime() - Date.now());
    }
  }

  async retrieveRun(runId: string): Promise<Run> {
    const row = await getRunRow(this.db, runId);
    if (!row) throw new MainspringError("RUN_NOT_FOUND", `Run "${runId}" does not exist`);
    return toRun(row);
  }

  /** Several runs in one query; ids that do not exist are left out. */
  async retrieveRuns(runIds: string[]): Promise<Run[]> {
    if (runIds.length === 0) return [];
    return (await getRunRows(this.db, runIds)).map(toRun);
  }

  async listRuns(filter: ListRunsFilter = {}): Promise<RunPage> {
    try {
      const { rows, nextCursor } = await listRunRows(this.db, filter);
      return { data: rows.map(toRun), nextCursor };
    } catch (error) {
      if (error instanceof Error && error.message === "bad cursor")
        throw new MainspringError("INVALID_OPTIONS", "The `after` cursor is not one this API returned");
      throw error;
    }
  }

  /** Cancels a run; `canceled` is false when it had already finished (nothing changed). */
  async cancelRun(runId: string): Promise<{ id: string; canceled: boolean }> {
    const was = await cancelRunRow(this.db, runId);
    if (was === "EXECUTING") this.worker?.wake();
    if (was === undefined)
      await this.retrieveRun(runId); // RUN_NOT_FOUND if it does not exist
    else await this.waits.childrenFinished([runId]); // a parent waiting on it resumes with the cancel
    return { id: runId, canceled: was !== undefined };
  }

  createToken(options: CreateTokenOptions = {}): Promise<WaitToken> {
    return this.waits.createToken(options);
  }

  completeToken(tokenId: string, data: unknown): Promise<{ success: true }> {
    return this.waits.completeToken(tokenId, data);
  }

  retrieveToken(tokenId: string): Promise<WaitTokenInfo> {
    return this.waits.retrieveToken(tokenId);
  }

  listTokens(options: ListTokensOptions = {}): Promise<{ data: WaitTokenInfo[]; nextCursor?: string }> {
    return this.waits.listTokens(options);
  }

  /**
   * A new run of the same task with the same payload and options; `overrides.payload` replaces
   * the payload (the dashboard's "replay with an edited payload"), validated like any trigger.
   */
  async replayRun(runId: string, overrides: { payload?: unknown } = {}): Promise<{ id: string }> {
    const run = await this.retrieveRun(runId);
    const payload = "payload" in overrides ? overrides.payload : run.payload;
    const handle = await this.trigger(run.taskIdentifier, payload, {
      tags: run.tags,
      queue: run.queue,
      concurrencyKey: run.concurrencyKey,
      priority: run.priority,
      maxAttempts: run.maxAttempts,
      maxDuration: run.maxDuration,
      ttl: run.ttl,
    });
    return { id: handle.id };
  }

  async rescheduleRun(runId: string, options: { delay: string | Date }): Promise<Run> {
    const isDate = options.delay instanceof Date || /^\d{4}-\d{2}-\d{2}/.test(options.delay);
    const runAt = resolveDate(options.delay);
    const ok = await rescheduleRunRow(
      this.db,
      runId,
      isDate ? { runAt } : { delayMs: parseDuration(options.delay as string) },
    );
    if (!ok) {
      const run = await this.retrieveRun(runId);
      throw new MainspringError(
        "RUN_NOT_RESCHEDULABLE",
        `Run "${runId}" is ${run.status}; only DELAYED runs can be rescheduled`,
      );
    }
    this.maintenance?.poke(runAt.getTime() - Date.now());
    return this.retrieveRun(runId);
  }

  async addTags(runId: string, tags: string[]): Promise<void> {
    const check = tagsSchema.safeParse(tags);
    if (!check.success) {
      throw new MainspringError(
        "INVALID_OPTIONS",
        `Cannot add tags to run "${runId}": ${check.error.issues[0]?.message}`,
      );
    }
    const result = await addRunTags(this.db, runId, check.data, MAX_TAGS);
    if (result === undefined) throw new MainspringError("RUN_NOT_FOUND", `Run "${runId}" does not exist`);
    if (result === "limit") {
      throw new MainspringError(
        "INVALID_OPTIONS",
        `Cannot add tags to run "${runId}": a run can have at most ${MAX_TAGS} tags`,
      );
    }
  }

  /**
   * Changes a run's metadata from outside the run (the HTTP API's metadata endpoint), in one
   * transaction. An executing run owns its metadata (its attempt flushes it), so changing it
   * from outside would be lost at the next flush: that is refused with RUN_EXECUTING.
   */
  async updateMetadata(runId: string, apply: (current: RunMetadata) => RunMetadata): Promise<RunMetadata> {
    return updateRunMetadata(this.db, runId, apply, this.limits.maxMetadataBytes);
  }

  /** Appends chunks to a run's stream (TaskRuntime; no replay protection, see `streams.define`). */
  appendStream(runId: string, streamId: string, chunks: unknown[]): Promise<StreamAppendResult> {
    return this.streams.append(runId, streamId, chunks);
  }

  /**
   * A run's stream from index `from` (default 0): stored chunks, then live ones; ends when the
   * run is final and every chunk was delivered, or when `signal` aborts. An SSE endpoint
   * resumes with `{ from: Number(lastEventId) + 1, signal }`.
   */
  readStream(runId: string, streamId: string, options?: StreamReadOptions): AsyncIterable<StreamRecord> {
    return this.streams.read(runId, streamId, options);
  }

  /** The streams a run has, in creation order, with their length. */
  listStreams(runId: string): Promise<StreamInfo[]> {
    return this.streams.list(runId);
  }

  /** A run's log lines, oldest first: all of them, or a page (see LogPage). */
  logs(runId: string, page?: LogPage) {
    return listLogs(this.db, runId, page);
  }

  queues(): Promise<QueueStats[]> {
    return queueStats(this.db);
  }

  async pauseQueue(name: string, paused: boolean): Promise<void> {
    if (!(await setQueuePaused(this.db, name, paused)))
      throw new MainspringError("QUEUE_NOT_FOUND", `Queue "${name}" does not exist`);
    if (!paused) this.worker?.wake();
  }
}
